"""The pooling model against torch's max_pool2d / avg_pool2d, and its written-out values."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from convlessons.arithmetic import conv_output_size, receptive_field
from convlessons.pooling import MAX_SIZE, example_input, pool2d, pooling

TORCH_POOL = {"max": F.max_pool2d, "average": F.avg_pool2d}


@given(height=st.integers(1, 9), width=st.integers(1, 9), k=st.integers(1, 4),
       stride=st.one_of(st.none(), st.integers(1, 4)), mode=st.sampled_from(["max", "average"]),
       batch=st.sampled_from([(), (2,), (1, 3)]), seed=st.integers(0, 2**32 - 1))
def test_pool2d_is_torchs(height, width, k, stride, mode, batch, seed):
    x = np.random.default_rng(seed).standard_normal((*batch, height, width))
    if k > min(height, width):
        with pytest.raises(ValueError, match="kernel_size"):
            pool2d(x, k, stride, mode)
        return
    expected = TORCH_POOL[mode](torch.from_numpy(x).reshape(-1, 1, height, width), k,
                                stride).reshape(*batch, *_out(height, width, k, stride))
    result = pool2d(x, k, stride, mode)
    np.testing.assert_allclose(result, expected.numpy(), rtol=1e-12, atol=1e-12)


def _out(height, width, k, stride):
    s = k if stride is None else stride
    return conv_output_size(height, k, s), conv_output_size(width, k, s)


def test_pooling_layers_have_the_convolution_receptive_field_geometry():
    for k, s in [(2, 2), (3, 2), (3, 1)]:
        assert receptive_field(torch.nn.Sequential(torch.nn.MaxPool2d(k, s))).size == k
        assert receptive_field([{"kernel_size": k, "stride": s}]).stride == s


def test_the_model_explains_each_value():
    result = pooling(example_input(8, seed=0), 2, 2, "max")
    assert result.output.shape == (4, 4) and result.positions == 16
    i, j = result.cell(6)
    assert (i, j) == (1, 2)
    window = result.input[result.window(i, j)]
    assert window.shape == (2, 2) and result.output[i, j] == window.max()
    text = result.cell_text(i, j)
    assert text.startswith("Y[1, 2] = max(") and text.endswith(f"= {window.max():g}")
    assert result.size_text() == "output side ⌊(8 − 2) / 2⌋ + 1 = 4"
    assert result.unread() == (0, 0)
    average = pooling(example_input(8, seed=0), 3, 2, "average")
    assert average.unread() == (1, 1)  # floor((8 - 3) / 2) + 1 = 3 windows reach row 6
    assert average.cell_text(0, 0).startswith("Y[0, 0] = mean(")


def test_example_input_is_small_integers_and_seeded():
    x = example_input(6, seed=3)
    assert x.shape == (6, 6) and x.dtype == np.float64
    assert set(np.unique(x)) <= set(range(10))
    np.testing.assert_array_equal(x, example_input(6, seed=3))


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [(lambda: pool2d(np.ones((4, 4)), 0), ValueError, "kernel_size"),
     (lambda: pool2d(np.ones((4, 4)), 2, 0), ValueError, "stride"),
     (lambda: pool2d(np.ones((4, 4)), 2, mode="min"), ValueError, "mode"),
     (lambda: pool2d(np.ones((4, 4)), 5), ValueError, "kernel_size"),
     (lambda: pool2d(np.ones(4), 2), ValueError, "x"),
     (lambda: pool2d(np.ones((0, 4)), 1), ValueError, "x"),
     (lambda: pool2d(np.full((2, 2), np.nan), 1), ValueError, "x"),
     (lambda: pool2d(np.ones((2, 2)) + 1j, 1), TypeError, "x"),
     (lambda: pooling(np.ones((3, 4, 4)), 2), ValueError, "x"),
     (lambda: pooling(np.ones((MAX_SIZE + 1, 2)), 2), ValueError, "x"),
     (lambda: pooling(np.ones((4, 4)), 2).cell(16), ValueError, "position"),
     (lambda: example_input(0), ValueError, "size"),
     (lambda: example_input(4, seed=-1), ValueError, "seed")],
)
def test_bad_arguments_are_named(call, error, name):
    with pytest.raises(error, match=name):
        call()
