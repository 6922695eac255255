"""The multi-channel convolution model against torch, and its written-out arithmetic."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from convlessons.channels import INPUT_LEVELS, ChannelConv, channel_conv, example_layer


def torch_conv(x, w, b, stride, padding):
    """The oracle: F.conv2d on the unbatched input, float64."""
    return F.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w), torch.from_numpy(b),
                    stride=stride, padding=padding)[0].numpy()


@st.composite
def layers(draw):
    """Random float input, filters and biases (any shapes, strides and paddings)."""
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    height, width, k = draw(st.integers(1, 7)), draw(st.integers(1, 7)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return (rng.standard_normal((c_in, height, width)), rng.standard_normal((c_out, c_in, k, k)),
            rng.standard_normal(c_out), draw(st.integers(1, 3)), draw(st.integers(0, 2)))


@settings(max_examples=150)
@given(layers())
def test_output_equals_torch_or_refuses_when_torch_does(layer):
    x, w, b, stride, padding = layer
    try:
        expected = torch_conv(x, w, b, stride, padding)
    except RuntimeError:
        with pytest.raises(ValueError, match="kernel_size .* padding must be at least"):
            channel_conv(x, w, b, stride, padding)
        return
    result = channel_conv(x, w, b, stride, padding)
    np.testing.assert_allclose(result.output, expected, rtol=1e-12, atol=1e-12)
    assert result.positions == expected.size


@settings(max_examples=60)
@given(layers(), st.data())
def test_each_value_is_the_channel_window_sums_plus_bias(layer, data):
    x, w, b, stride, padding = layer
    try:
        result = channel_conv(x, w, b, stride, padding)
    except ValueError:
        return
    position = data.draw(st.integers(0, result.positions - 1))
    o, i, j = result.cell(position)
    assert result.position(o, i, j) == position
    k = w.shape[-1]
    padded = F.pad(torch.from_numpy(x), (padding,) * 4).numpy()
    window = padded[:, i * stride : i * stride + k, j * stride : j * stride + k]
    np.testing.assert_array_equal(result.window_values(i, j), window)
    sums = result.channel_sums(o, i, j)
    np.testing.assert_allclose(sums, [np.sum(w[o, c] * window[c]) for c in range(x.shape[0])])
    assert sums.sum() + b[o] == pytest.approx(result.output[o, i, j], abs=1e-12)


def _evaluate(line: str) -> float:
    """The sum of the ``(a×b)`` products written in one channel line."""
    products = re.findall(r"\((-?[\d.]+)×(-?[\d.]+)\)", line)
    return sum(float(a) * float(b) for a, b in products)


@pytest.mark.parametrize(("stride", "padding"), [(1, 0), (2, 1), (3, 2), (1, 2)])
def test_written_sum_adds_up_to_the_output_value(stride, padding):
    x, w, b = example_layer(3, 2, 5, 3, seed=4)
    result = channel_conv(x, w, b, stride, padding)
    for position in range(result.positions):
        o, i, j = result.cell(position)
        lines = result.sum_lines(o, i, j)
        assert len(lines) == 3 + 1
        totals = []
        for c, line in enumerate(lines[:-1]):
            assert line.startswith(f"channel {c}: ") and line.count("×") == 9
            total = float(line.rsplit("= ", 1)[1])
            assert total == _evaluate(line) == result.channel_sums(o, i, j)[c]
            totals.append(total)
        last = lines[-1]
        assert last.startswith(f"Y[{o}, {i}, {j}] = channel sums + b[{o}] = ")
        terms = [float(t.strip("() ")) for t in last.split(" = ")[2].split(" + ")]
        assert terms == [*totals, b[o]]
        assert float(last.rsplit("= ", 1)[1]) == sum(terms) == result.output[o, i, j]


def test_position_text_names_filter_window_and_padding():
    result = channel_conv(*example_layer(3, 2, 5, 3), stride=2, padding=1)
    assert result.cell(0) == (0, 0, 0) and result.cell(9) == (1, 0, 0)
    assert result.position_text(0, 0, 0) == (
        "filter 0, output (0, 0) ← rows -1 to 1, cols -1 to 1 of every input channel "
        "(partly in the zero padding)")
    assert result.position_text(1, 1, 1) == (
        "filter 1, output (1, 1) ← rows 1–3, cols 1–3 of every input channel")


def test_example_layer_is_small_integers_and_deterministic():
    x, w, b = example_layer(4, 3, 6, 2, seed=7)
    assert x.shape == (4, 6, 6) and w.shape == (3, 4, 2, 2) and b.shape == (3,)
    assert set(np.unique(x)) <= set(range(INPUT_LEVELS))
    assert set(np.unique(w)) <= {-1, 0, 1} and set(np.unique(b)) <= {-2, -1, 0, 1, 2}
    for again, first in zip(example_layer(4, 3, 6, 2, seed=7), (x, w, b), strict=True):
        np.testing.assert_array_equal(again, first)
    for seed in range(50):  # a filter of zeros would teach nothing
        assert all(f.any() for f in example_layer(1, 3, 2, 1, seed=seed)[1])


@pytest.mark.parametrize(
    ("args", "name"),
    [((0, 1, 5, 3), "in_channels"), ((1, 0, 5, 3), "out_channels"), ((1, 1, 0, 3), "size"),
     ((1, 1, 5, 0), "kernel_size"), ((1, 1, 5, 3, -1), "seed"), ((1.5, 1, 5, 3), "in_channels")],
)
def test_example_layer_bad_arguments(args, name):
    with pytest.raises((ValueError, TypeError), match=name):
        example_layer(*args)


X, W, B = example_layer(2, 2, 4, 3)


@pytest.mark.parametrize(
    ("args", "name"),
    [((X[0], W, B), "input"), ((X, W[0], B), "weight"), ((X, W[:, :1], B), "weight"),
     ((X, W[..., :2], B), "weight"), ((X, W, B[:1]), "bias"), ((X, W, B[None]), "bias"),
     ((X, W, B, 0), "stride"), ((X, W, B, 1, -1), "padding"), ((X, W, B, 1, 1.0), "padding"),
     ((X[:, :2], W, B), "kernel_size 3 is larger .* padding must be at least 1")],
)
def test_channel_conv_bad_arguments(args, name):
    with pytest.raises((ValueError, TypeError), match=name):
        channel_conv(*args)


def test_cell_and_window_bad_arguments():
    result = channel_conv(X, W, B)
    assert isinstance(result, ChannelConv) and result.output.shape == (2, 2, 2)
    with pytest.raises(ValueError, match="position must be in 0…7"):
        result.cell(8)
    with pytest.raises(ValueError, match=r"\(o, i, j\)"):
        result.position(2, 0, 0)
    with pytest.raises(ValueError, match=r"\(o, i, j\)"):
        result.window(0, 2)
