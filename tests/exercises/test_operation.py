"""Checkers of notebooks 00 and 01: right answers pass, each typical mistake gets its hint."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from convlessons.exercises import NOT_ANSWERED
from convlessons.exercises.operation import (
    MY_CONV2D_CASES,
    check_my_conv2d,
    check_output_cell,
    check_valid_output_size,
)

# --------------------------------------------------------------------------- output size


@settings(max_examples=30)
@given(n=st.integers(1, 20), k=st.integers(1, 20))
def test_output_size_accepts_torch_shape(n, k):
    if k > n:
        with pytest.raises(ValueError, match="kernel"):
            check_valid_output_size(1, n, k)
        return
    side = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k)).shape[-1]
    assert check_valid_output_size(side, n, k)
    assert check_valid_output_size(np.int64(side), n, k)


@pytest.mark.parametrize(
    ("answer", "hint"),
    [(4, "one short"), (7, "input size"), (9, "'full'"), (3, "kernel size"),
     (25, "number of outputs"), (6, "Slide the window"), ("five", "whole number"),
     (True, "whole number")],
)
def test_output_size_hints(answer, hint):
    verdict = check_valid_output_size(answer, 7, 3)
    assert not verdict and hint in verdict.message


def test_output_size_placeholder():
    assert check_valid_output_size(...) is NOT_ANSWERED


@pytest.mark.parametrize(("kwargs", "name"), [({"input_size": 0}, "input_size"),
                                              ({"kernel_size": 2.5}, "kernel_size")])
def test_output_size_bad_arguments(kwargs, name):
    with pytest.raises((ValueError, TypeError), match=name):
        check_valid_output_size(5, **kwargs)


# --------------------------------------------------------------------------- output cell

# The worked example of 01_convolution_operation.ipynb (S(1, 2) = 7).
IMAGE = np.array([[0, 3, 2, 3, 3], [2, 3, 1, 0, 2], [2, 0, 3, 1, 3], [2, 0, 1, 0, 1],
                  [2, 3, 3, 0, 2]])
KERNEL = np.array([[1, 0, -1], [2, 1, 0], [0, -1, 1]])


@pytest.mark.parametrize(
    ("answer", "hint"),
    [(8, "flipped the kernel"),          # true convolution at (1, 2)
     (3, "value of output (0, 2)"),      # window one row too high
     (5, "value of output (0, 1)"),      # (0, 1) and (1, 1) are both 5
     (4, "value of output (2, 2)"),
     (-3, "value of output (2, 1)"),     # (2, 1): row/col swapped
     (6, "K(0, 0) × I(1, 2)"),           # forgot 1 × 1
     (1, "K(1, 0) × I(2, 2)"),           # forgot 2 × 3
     (9, "K(0, 2) × I(1, 4)"),           # forgot -1 × 2
     (100, "top-left corner"),
     ("seven", "one number")],
)
def test_output_cell_hints(answer, hint):
    verdict = check_output_cell(answer, IMAGE, KERNEL, 1, 2)
    assert not verdict and hint in verdict.message


def test_output_cell_example_is_seven_as_torch_says():
    torch_value = F.conv2d(torch.tensor(IMAGE, dtype=torch.float64)[None, None],
                           torch.tensor(KERNEL, dtype=torch.float64)[None, None])[0, 0, 1, 2]
    assert torch_value == 7
    for answer in (7, 7.0, np.float64(7), np.array([7.0]), torch.tensor(7.0)):
        assert check_output_cell(answer, IMAGE, KERNEL, 1, 2)
    assert check_output_cell(..., IMAGE, KERNEL, 1, 2) is NOT_ANSWERED


@settings(max_examples=40)
@given(data=st.data())
def test_output_cell_accepts_torch_value(data):
    image = data.draw(arrays(np.int64, st.tuples(st.integers(3, 7), st.integers(3, 7)),
                             elements=st.integers(-5, 5)))
    kernel = data.draw(arrays(np.int64, st.tuples(st.integers(1, 3), st.integers(1, 3)),
                              elements=st.integers(-3, 3)))
    expected = F.conv2d(torch.tensor(image, dtype=torch.float64)[None, None],
                        torch.tensor(kernel, dtype=torch.float64)[None, None])[0, 0]
    row = data.draw(st.integers(0, expected.shape[0] - 1))
    col = data.draw(st.integers(0, expected.shape[1] - 1))
    assert check_output_cell(float(expected[row, col]), image, kernel, row, col)


@pytest.mark.parametrize(
    ("args", "name"),
    [((np.zeros(5), KERNEL, 0, 0), "image"),
     ((IMAGE, np.zeros((1, 3, 3)), 0, 0), "kernel"),
     ((IMAGE, KERNEL, -1, 0), "row"),
     ((IMAGE, KERNEL, 0, 1.5), "col"),
     ((IMAGE, KERNEL, 3, 0), r"\(row, col\)")],
)
def test_output_cell_bad_arguments(args, name):
    with pytest.raises((ValueError, TypeError), match=name):
        check_output_cell(7, *args)


# --------------------------------------------------------------------------- my_conv2d


def learner_conv2d(x, w, stride=1, padding=0, *, use_stride=True, use_padding=True,
                   flip=False, last_channel_only=False, transposed=False, per_channel=False):
    """The notebook's solution, with switches for the typical mistakes."""
    s = stride if use_stride else 1
    p = padding if use_padding else 0
    x = np.pad(x, ((0, 0), (p, p), (p, p)))
    if flip:
        w = w[..., ::-1, ::-1]
    c_out, c_in, kh, kw = w.shape
    h_out = (x.shape[1] - kh) // s + 1
    w_out = (x.shape[2] - kw) // s + 1
    out = np.zeros((c_out, c_in, h_out, w_out) if per_channel else (c_out, h_out, w_out))
    for k in range(c_out):
        for oy in range(h_out):
            for ox in range(w_out):
                window = x[:, oy * s : oy * s + kh, ox * s : ox * s + kw]
                if transposed:
                    window = x[:, ox * s : ox * s + kh, oy * s : oy * s + kw]
                if per_channel:
                    out[k, :, oy, ox] = np.sum(window * w[k], axis=(1, 2))
                elif last_channel_only:
                    for c in range(c_in):
                        out[k, oy, ox] = np.sum(window[c] * w[k, c])  # overwrites: bug
                else:
                    out[k, oy, ox] = np.sum(window * w[k])
    return out


def test_my_conv2d_solution_is_correct():
    verdict = check_my_conv2d(learner_conv2d)
    assert verdict and str(len(MY_CONV2D_CASES)) in verdict.message
    assert check_my_conv2d(lambda x, w, stride=1, padding=0: torch.from_numpy(
        learner_conv2d(x, w, stride, padding)))


@pytest.mark.parametrize(
    ("mistake", "hint"),
    [({"use_stride": False}, "forget the stride"),
     ({"use_padding": False}, "forget the padding"),
     ({"flip": True}, "flipped"),
     ({"last_channel_only": True}, "only input channel 2 counts"),
     ({"transposed": True}, "rows and columns are swapped"),
     ({"per_channel": True}, "one map per input channel")],
)
def test_my_conv2d_mistakes_get_their_hint(mistake, hint):
    def buggy(x, w, stride=1, padding=0):
        return learner_conv2d(x, w, stride, padding, **mistake)

    verdict = check_my_conv2d(buggy)
    assert not verdict and hint in verdict.message


def test_my_conv2d_shape_hints():
    def swapped(x, w, stride=1, padding=0):
        out = learner_conv2d(x, w, stride, padding)
        return out if x.shape[1] == x.shape[2] else out.swapaxes(1, 2)

    def no_channel_axis(x, w, stride=1, padding=0):
        return learner_conv2d(x, w, stride, padding)[0]

    def both_forgotten(x, w, stride=1, padding=0):
        return learner_conv2d(x, w, stride, padding, use_stride=stride < 2 or padding < 1,
                              use_padding=stride < 2 or padding < 1)

    assert "height and width are swapped" in check_my_conv2d(swapped).message
    assert "keep the output-channel axis" in check_my_conv2d(no_channel_axis).message
    assert "both the stride and the padding" in check_my_conv2d(both_forgotten).message


def test_my_conv2d_wrong_values_name_the_worst_cell():
    def off(x, w, stride=1, padding=0):
        out = learner_conv2d(x, w, stride, padding)
        out[0, 1, 2] += 1
        return out

    assert "at output [0, 1, 2]" in check_my_conv2d(off).message


def test_my_conv2d_errors_and_wrong_kinds():
    def crashes(x, w, stride=1, padding=0):
        return x[:, 100]

    def returns_none(x, w, stride=1, padding=0):
        return None

    def returns_text(x, w, stride=1, padding=0):
        return "out"

    def pads_channels_too(x, w, stride=1, padding=0):
        return learner_conv2d(np.pad(x, padding), w, stride, 0)

    assert "pad only H and W" in check_my_conv2d(pads_channels_too).message
    crash = check_my_conv2d(crashes).message
    assert "IndexError" in crash and "rows and columns" in crash
    assert "return out" in check_my_conv2d(returns_none).message
    assert "numpy array" in check_my_conv2d(returns_text).message
    assert "no parentheses" in check_my_conv2d(np.zeros(3)).message
    assert check_my_conv2d(...) is NOT_ANSWERED


def test_my_conv2d_bad_seed():
    with pytest.raises(ValueError, match="seed"):
        check_my_conv2d(learner_conv2d, seed=-1)
