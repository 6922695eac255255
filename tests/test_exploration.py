"""exploration: explore() against torch (F.pad + F.conv2d), windows, texts and formulas."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from oracles import torch_conv

from convlessons.data import make_pattern
from convlessons.exploration import (
    MODES,
    Exploration,
    explore,
    size_formulas,
    slid_kernel,
    torch_equivalent,
)
from convlessons.kernels import KERNELS
from convlessons.reference.padding import PADDING_MODES

values = st.floats(-4, 4, allow_nan=False, width=64)


@st.composite
def settings_(draw):
    image = draw(
        arrays(np.float64, st.tuples(st.integers(1, 9), st.integers(1, 9)), elements=values)
    )
    kernel = draw(
        arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 4)), elements=values)
    )
    geometry = {
        "stride": draw(st.integers(1, 4)),
        "padding": draw(st.integers(0, 3)),
        "dilation": draw(st.integers(1, 3)),
        "padding_mode": draw(st.sampled_from(PADDING_MODES)),
        "mode": draw(st.sampled_from(MODES)),
    }
    return image, kernel, geometry


@settings(max_examples=150)
@given(settings_())
def test_explore_equals_torch_or_refuses_when_torch_does(case):
    image, kernel, geometry = case
    try:
        expected = torch_conv(image, kernel, **geometry)
    except RuntimeError:
        with pytest.raises(ValueError, match="padding|kernel_size"):
            explore(image, kernel, **geometry)
        return
    result = explore(image, kernel, **geometry)
    assert result.output.shape == expected.shape
    np.testing.assert_allclose(result.output, expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=60)
@given(settings_())
def test_every_output_is_the_sum_over_its_window(case):
    image, kernel, geometry = case
    try:
        result = explore(image, kernel, **geometry)
    except ValueError:
        return
    s, p, d = geometry["stride"], geometry["padding"], geometry["dilation"]
    rows, cols = result.output.shape
    for position in range(rows * cols):
        row, col = result.cell(position)
        assert (row, col) == divmod(position, cols)
        window_rows, window_cols = result.window(row, col)
        np.testing.assert_array_equal(window_rows, row * s + d * np.arange(kernel.shape[0]) - p)
        np.testing.assert_array_equal(window_cols, col * s + d * np.arange(kernel.shape[1]) - p)
        total = np.sum(result.weight * result.window_values(row, col))
        np.testing.assert_allclose(total, result.output[row, col], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: explore(np.ones((5, 5)), np.ones((3, 3)), mode="flip"),
            ValueError,
            "mode must be one of",
        ),
        (lambda: explore(np.ones((5, 5)), np.ones((3, 3)), stride=0), ValueError, "stride"),
        (lambda: explore(np.ones((5, 5)), np.ones((3, 3)), dilation=0), ValueError, "dilation"),
        (lambda: explore(np.ones((5, 5)), np.ones(3)), ValueError, "kernel must have 2 dimensions"),
        (
            lambda: explore(np.ones((5, 5)), np.ones((5, 5)), dilation=3),
            ValueError,
            "d(k − 1) + 1 = 3·(5 − 1) + 1 = 13 pixels",
        ),
        (
            lambda: explore(np.ones((5, 5)), np.ones((3, 3))).cell(9),
            ValueError,
            "position must be < 9",
        ),
        (
            lambda: explore(np.ones((5, 5)), np.ones((3, 3))).cell(-1),
            ValueError,
            "position must be an int >= 0",
        ),
        (
            lambda: explore(np.ones((5, 5)), np.ones((3, 3))).window(3, 0),
            ValueError,
            "(row, col) must be inside the 3 × 3 output, got (3, 0)",
        ),
        (
            lambda: torch_equivalent(np.ones((5, 5)), np.ones((3, 3)), padding_mode="bad"),
            ValueError,
            "padding_mode must be one of ('zeros', 'reflect', 'replicate', 'circular'), got 'bad'",
        ),
        (
            lambda: torch_equivalent(np.ones((5, 5)), np.ones((3, 3)), mode="bad"),
            ValueError,
            "mode must be one of ('cross-correlation', 'convolution'), got 'bad'",
        ),
        (lambda: torch_equivalent(np.ones(5), np.ones((3, 3))), ValueError, "image must have 2"),
        (lambda: slid_kernel(np.ones(3), "convolution"), ValueError, "kernel must have 2"),
    ],
)
def test_model_error_messages_name_the_parameter(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)


def test_sum_and_position_texts_worked_example():
    image = np.arange(25.0).reshape(5, 5)
    result = explore(image, [[1, 0], [0, -1]], stride=2, padding=1)
    # output (1, 0): window rows 1..2, cols -1..0 (col -1 is padding)
    assert result.sum_text(1, 0) == "(1×0) + (0×5) + (0×0) + (-1×10) = -10"
    assert result.position_text(1, 0) == (
        "output (1, 0) ← window at rows 1–2, cols -1 to 0 (partly in the zeros padding)"
    )
    dilated = explore(image, np.ones((2, 2)), dilation=2)
    assert dilated.position_text(0, 1) == (
        "output (0, 1) ← window at rows 0–2 (every 2nd pixel), cols 1–3 (every 2nd pixel)"
    )


def test_torch_call_text_and_check():
    image = make_pattern("square", 7)
    result = explore(image, KERNELS["sobel_x"], stride=2, padding=1)
    code, agrees = result.torch_call()
    assert "F.conv2d(x, w, stride=2, padding=1, dilation=1)  # → torch.Size([1, 1, 4, 4])" in code
    assert agrees
    reflect = explore(
        image, KERNELS["sobel_x"], stride=2, padding=1, padding_mode="reflect", mode="convolution"
    )
    code, agrees = reflect.torch_call()
    assert (
        "F.conv2d(F.pad(x, (1, 1, 1, 1), mode='reflect'), w.flip(-1, -2), stride=2, "
        "dilation=1)  # → torch.Size([1, 1, 4, 4])"
    ) in code
    assert agrees
    code, refusal = torch_equivalent(np.ones((5, 5)), KERNELS["edge"], dilation=3)
    assert code.endswith("dilation=3)  # → RuntimeError") and "kernel size" in refusal.lower()
    # the check can fail: a wrong output is caught
    fields = {**vars(result), "output": result.output + 1e-3}
    assert not Exploration(**fields).torch_call()[1]


def test_size_formulas_substitute_the_numbers():
    text = size_formulas((7, 7), (3, 3), stride=2, padding=1, dilation=1)
    assert "⌊(7 + 2·1 − 1·(3−1) − 1)/2⌋ + 1 = <b>4</b>" in text
    assert "receptive field of one output unit: d(k−1) + 1 = 1·(3−1) + 1 = <b>3</b>" in text
    assert "input span of a whole output row" in text and "(4 − 1)·2 = <b>9</b>" in text
    span = size_formulas((7, 7), (3, 3), stride=1, padding=0, dilation=1)
    # the "7" a formula you will often find calls the receptive field is the input span
    assert "= <b>5</b>" in span and "= <b>7</b> padded pixels" in span
    both = size_formulas((5, 8), (3, 1), stride=1, padding=0, dilation=2)
    assert "<b>height</b>" in both and "<b>width</b>" in both
    assert "⌊(5 + 2·0 − 2·(3−1) − 1)/1⌋ + 1 = <b>1</b>" in both
    assert "⌊(8 + 2·0 − 2·(1−1) − 1)/1⌋ + 1 = <b>8</b>" in both
    impossible = size_formulas((5, 5), (5, 5), stride=1, padding=0, dilation=3)
    assert "less than 1: no output" in impossible and "input span" not in impossible
