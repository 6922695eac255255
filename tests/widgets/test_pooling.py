"""PoolingExplorer through its controls (headless): output vs torch, the window, problems."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convlessons.widgets.pooling import KERNEL_SIZES, STRIDES, PoolingExplorer


def torch_pool(explorer: PoolingExplorer) -> np.ndarray:
    pool = F.max_pool2d if explorer.mode.value == "max" else F.avg_pool2d
    x = torch.from_numpy(explorer.input)[None, None]
    return pool(x, explorer.kernel_size.value, explorer.stride.value)[0, 0].numpy()


def test_every_setting_matches_torch():
    explorer = PoolingExplorer(size=7)
    for mode, k, s in itertools.product(("max", "average"), range(KERNEL_SIZES[0],
                                        KERNEL_SIZES[1] + 1), range(STRIDES[0], STRIDES[1] + 1)):
        explorer.mode.value, explorer.kernel_size.value, explorer.stride.value = mode, k, s
        assert explorer.problem == ""
        np.testing.assert_allclose(explorer.output, torch_pool(explorer), rtol=1e-12)
        assert explorer.position.max == explorer.output.size - 1


def test_the_window_and_the_text_follow_the_chosen_cell():
    explorer = PoolingExplorer(size=8, kernel_size=3, stride=2)
    explorer.position.value = 4  # output (1, 1) of a 3×3 output
    assert explorer.window_box.get_xy() == (1.5, 1.5)
    assert explorer.window_box.get_width() == 3
    assert explorer.cell_box.get_xy() == (0.5, 0.5)
    window = explorer.input[2:5, 2:5]
    assert f"= {window.max():g}" in explorer.text.value and "Y[1, 1] = max(" in explorer.text.value
    assert "no window reads the last 1 row(s) and 1 column(s)" in explorer.text.value
    assert explorer.unread_box.get_visible()
    explorer.kernel_size.value = 2
    assert not explorer.unread_box.get_visible()


def test_a_shrinking_output_clamps_the_cell_without_a_second_update(monkeypatch):
    explorer = PoolingExplorer(size=8, kernel_size=1, stride=1)
    explorer.position.value = 63
    calls = []
    update = explorer._update
    monkeypatch.setattr(explorer, "_update", lambda: calls.append(1) or update())
    explorer.stride.value = 4
    assert calls == [1] and explorer.position.value == explorer.position.max == 3


def test_an_impossible_setting_shows_its_message_and_recovers():
    explorer = PoolingExplorer()
    explorer.input = np.ones((2, 2))  # smaller than a 3×3 window
    explorer.kernel_size.value = 3
    assert explorer.output is None and "kernel_size" in explorer.problem
    assert "kernel_size" in explorer.text.value and not explorer.output_grid.image.get_visible()
    explorer.kernel_size.value = 2
    assert explorer.problem == "" and explorer.output.shape == (1, 1)


def test_inputs_are_drawn_bright_for_large_values():
    explorer = PoolingExplorer()
    assert explorer.input_grid.image.get_cmap().name == "gray"
    assert explorer.input_grid.image.get_clim() == (0, 9)


@pytest.mark.parametrize(
    ("arguments", "name"),
    [({"size": 3}, "size"), ({"size": 13}, "size"), ({"kernel_size": 5}, "kernel_size"),
     ({"stride": 0}, "stride"), ({"mode": "min"}, "mode"), ({"seed": -1}, "seed")],
)
def test_constructor_arguments_are_checked(arguments, name):
    with pytest.raises(ValueError, match=name):
        PoolingExplorer(**arguments)
