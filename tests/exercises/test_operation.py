"""Checkers of notebooks 00 and 01: right answers pass, each typical mistake gets its hint."""

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from convlessons.exercises import NOT_ANSWERED
from convlessons.exercises.operation import (
    check_my_conv2d,
    check_output_cell,
    check_valid_output_size,
    draw_conv2d_cases,
)

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

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

# The worked example of 01_convolution_operation.ipynb (Y(1, 2) = 7).
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
     (6, "K(0, 0) × X(1, 2)"),           # forgot 1 × 1
     (1, "K(1, 0) × X(2, 2)"),           # forgot 2 × 3
     (9, "K(0, 2) × X(1, 4)"),           # forgot -1 × 2
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
    assert verdict and "6 freshly drawn cases" in verdict.message
    assert "kernel as large as the padded input" in verdict.message


@pytest.mark.parametrize("kind", ["tensor", "tensor requiring grad", "nested lists", "float32"])
def test_my_conv2d_accepts_any_real_array(kind):
    convert = {"tensor": torch.from_numpy,
               "tensor requiring grad": lambda a: torch.from_numpy(a).requires_grad_(),
               "nested lists": np.ndarray.tolist,
               "float32": lambda a: a.astype(np.float32)}[kind]
    assert check_my_conv2d(lambda x, w, stride=1, padding=0: convert(
        learner_conv2d(x, w, stride, padding)))


def test_my_conv2d_draws_fresh_cases_with_the_edge_cases_the_notebook_teaches():
    drawn = [draw_conv2d_cases(np.random.default_rng(seed)) for seed in range(200)]
    assert len({cases for cases in drawn}) == 200  # shapes, strides and paddings vary
    for plain, channels, strided, padded, mixed, whole in drawn:
        assert plain.c_in == 1 and plain.padding == 0 and plain.height == plain.width
        assert channels.c_in > 1
        assert strided.stride > 1 and (strided.height - strided.kernel[0]) % strided.stride
        assert padded.padding > 0
        assert whole.kernel == (whole.height + 2 * whole.padding, whole.width + 2 * whole.padding)
        assert mixed.stride > 1 and mixed.padding > 0 and mixed.height != mixed.width
        for case in (plain, channels, strided, padded, whole, mixed):
            x = torch.zeros(case.c_in, case.height, case.width)
            w = torch.zeros(case.c_out, case.c_in, *case.kernel)
            shape = F.conv2d(x, w, stride=case.stride, padding=case.padding).shape
            assert case.output_shape(case.stride, case.padding) == tuple(shape)


def test_my_conv2d_refuses_a_replay_table():
    table = []

    def recording(x, w, stride=1, padding=0):
        table.append(learner_conv2d(x, w, stride, padding))
        return table[-1]

    assert check_my_conv2d(recording)
    replayed = iter(list(table))
    verdict = check_my_conv2d(lambda x, w, stride=1, padding=0: next(replayed))
    assert not verdict


@pytest.mark.parametrize(
    ("mistake", "hint"),
    [({"use_stride": False}, "forget the stride"),
     ({"use_padding": False}, "forget the padding"),
     ({"flip": True}, "flipped"),
     ({"last_channel_only": True}, r"only input channel [1-3] counts"),
     ({"transposed": True}, "rows and columns are swapped"),
     ({"per_channel": True}, "one map per input channel")],
)
def test_my_conv2d_mistakes_get_their_hint(mistake, hint):
    def buggy(x, w, stride=1, padding=0):
        return learner_conv2d(x, w, stride, padding, **mistake)

    verdict = check_my_conv2d(buggy)
    assert not verdict and re.search(hint, verdict.message), verdict.message


def test_my_conv2d_shape_hints():
    def swapped(x, w, stride=1, padding=0):
        out = learner_conv2d(x, w, stride, padding)
        return out if x.shape[1] == x.shape[2] else out.swapaxes(1, 2)

    def no_channel_axis(x, w, stride=1, padding=0):
        return learner_conv2d(x, w, stride, padding)[0]

    def both_forgotten(x, w, stride=1, padding=0):
        return learner_conv2d(x, w, stride, padding, use_stride=stride < 2 or padding < 1,
                              use_padding=stride < 2 or padding < 1)

    def one_window_too_many(x, w, stride=1, padding=0):
        out = learner_conv2d(x, w, stride, padding)
        rows, cols = (-(-(n + 2 * padding - k) // stride) + 1
                      for n, k in zip(x.shape[1:], w.shape[2:], strict=True))
        return np.pad(out, ((0, 0), (0, rows - out.shape[1]), (0, cols - out.shape[2])))

    assert "swapped" in check_my_conv2d(swapped).message
    assert "keep the output-channel axis" in check_my_conv2d(no_channel_axis).message
    assert "both the stride and the padding" in check_my_conv2d(both_forgotten).message
    assert "one window too many" in check_my_conv2d(one_window_too_many).message


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

    def returns_complex(x, w, stride=1, padding=0):
        return learner_conv2d(x, w, stride, padding) + 5j

    def pads_channels_too(x, w, stride=1, padding=0):
        return learner_conv2d(np.pad(x, padding), w, stride, 0)

    def window_past_the_border(x, w, stride=1, padding=0):
        x = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
        kh, kw = w.shape[2:]
        rows, cols = (-(-(n - k) // stride) + 1 for n, k in zip(x.shape[1:], (kh, kw), strict=True))
        out = np.zeros((w.shape[0], rows, cols))
        for o, i, j in np.ndindex(out.shape):
            window = x[:, i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[o, i, j] = np.sum(window * w[o])
        return out

    def sizes_without_padding(x, w, stride=1, padding=0):
        if w.shape[2] > x.shape[1]:  # the output size computed from the unpadded input
            np.zeros((w.shape[0], x.shape[1] - w.shape[2] + 1, 1))
        return learner_conv2d(x, w, stride, padding)

    assert "pad only H and W" in check_my_conv2d(pads_channels_too).message
    past = check_my_conv2d(window_past_the_border).message  # an error, or a wrong shape when
    assert "runs past the padded input" in past or "one window too many" in past  # it broadcasts
    assert "padding is missing" in check_my_conv2d(sizes_without_padding).message
    crash = check_my_conv2d(crashes).message
    assert "IndexError" in crash and "rows and columns" in crash
    assert "return out" in check_my_conv2d(returns_none).message
    assert "numpy array" in check_my_conv2d(returns_text).message
    assert "return real numbers" in check_my_conv2d(returns_complex).message
    assert "no parentheses" in check_my_conv2d(np.zeros(3)).message
    assert check_my_conv2d(...) is NOT_ANSWERED


def test_my_conv2d_stops_a_slow_function(monkeypatch):
    monkeypatch.setattr("convlessons.exercises._answers.TIME_LIMIT", 0.2)

    def forever(x, w, stride=1, padding=0):
        while True:
            pass

    assert "took longer than 0.2 s" in check_my_conv2d(forever).message


def test_my_conv2d_bad_seed():
    with pytest.raises(ValueError, match="seed"):
        check_my_conv2d(learner_conv2d, seed=-1)


def test_notebook_solution_passes_its_check_cell():
    cells = nbformat.read(NOTEBOOKS / "01_convolution_operation.ipynb", as_version=4).cells
    index = next(i for i, cell in enumerate(cells) if cell.cell_type == "code"
                 and cell.source.strip() == "check_my_conv2d(answer)")
    skeleton, solution = cells[index - 1], cells[index + 1]
    assert "solution" in solution.metadata.get("tags", [])
    namespace = {"np": np}
    exec(skeleton.source, namespace)
    assert check_my_conv2d(namespace["answer"]) is NOT_ANSWERED
    exec(re.search(r"```python\n(.*?)```", solution.source, re.DOTALL)[1], namespace)
    for _ in range(3):  # fresh cases each time
        verdict = check_my_conv2d(namespace["answer"])
        assert verdict, verdict.message
