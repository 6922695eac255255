"""Checkers of notebooks 06 and 07: right answers pass in every form, each typical mistake
gets its own hint (naming the slip, never the formula), learner functions meet fresh cases,
and each notebook's own solution blocks pass its check cells."""

import re
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from notebook_solutions import assert_solution_passes, solution_cells
from torch import nn

from convlessons.exercises import NOT_ANSWERED, _answers, conv_types
from convlessons.exercises.conv_types import (
    TRANSPOSED_CASES,
    check_my_conv_transpose2d,
    check_parameter_count,
    check_scatter_by_hand,
    check_upsampling_settings,
    interior_overlap_range,
)

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

# ------------------------------------------------------------------ parameter counts


def _torch_params(c_in, c_out, k, groups=1, separable=False, bias=True) -> int:
    """Parameters of the real layers, built here independently of the checker."""
    if separable:
        layer = nn.Sequential(nn.Conv2d(c_in, c_in, k, groups=c_in, bias=bias, device="meta"),
                              nn.Conv2d(c_in, c_out, 1, bias=bias, device="meta"))
    else:
        layer = nn.Conv2d(c_in, c_out, k, groups=groups, bias=bias, device="meta")
    return sum(p.numel() for p in layer.parameters())


@st.composite
def _layers(draw):
    groups = draw(st.sampled_from([1, 2, 4]))
    c_in = groups * draw(st.integers(1, 8))
    c_out = groups * draw(st.integers(1, 8))
    separable = groups == 1 and draw(st.booleans())
    return c_in, c_out, draw(st.integers(1, 5)), groups, separable, draw(st.booleans())


@given(_layers(), st.integers(-3, 3))
def test_parameter_count_accepts_exactly_the_torch_count(layer, offset):
    expected = _torch_params(*layer)
    verdict = check_parameter_count(expected + offset, *layer)
    assert bool(verdict) == (offset == 0)
    if offset == 0:
        assert str(expected) in verdict.message


@pytest.mark.parametrize(
    ("layer", "answer", "hint"),
    [
        ((32, 64, 3), 32 * 64 * 9, "forget the bias"),
        ((32, 64, 3, 4), 32 * 64 * 9 + 64, "input channels of its own group"),
        ((32, 64, 3, 4), 16 * 8 * 9 + 64, "divided the number of filters by groups"),
        ((32, 64, 3), 64 * 32 * 3 + 64, "k² = 9 weights, not k = 3"),
        ((32, 64, 3), 64 * 9 + 64, "one k×k kernel per input channel"),
        ((32, 64, 3, 1, True), 32 * 9 + 32, "forget the pointwise part"),
        ((32, 64, 3, 1, True), 32 * 64 + 64, "only the pointwise 1×1 part"),
        ((32, 64, 3, 1, True), 32 * 64 * 9 + 64, "that is a standard conv"),
        ((32, 64, 3, 1, True), 64 * 9 + 64, "depthwise conv straight to C_out"),
        ((32, 64, 3, 1, True), 32 * 9 + 32 * 64, "forget the biases"),
        ((32, 64, 3, 1, True), 32 * 9 + 32 * 64 + 64, "biases of one step only"),
        ((32, 64, 3, 1, True), 32 * 9 + 32 * 64 + 32, "biases of one step only"),
        ((32, 64, 3, 1, True), 32 * 32 * 9 + 32 + 32 * 64 + 64, "full C_in → C_in convolution"),
        ((32, 64, 3, 1, True), 32 * 3 + 32 * 64 + 96, "k² = 9 weights, not k = 3"),
        ((32, 64, 3), 1234, "Count the layer's weights"),
        ((32, 64, 3, 1, True, False), 1234, "Count the two steps one at a time"),
    ],
    ids=["bias", "groups", "filters-by-groups", "k-not-k2", "one-kernel", "no-pointwise",
         "no-depthwise", "standard", "depthwise-to-C_out", "separable-bias", "pointwise-bias",
         "depthwise-bias", "full-depthwise", "separable-k", "other", "other-separable"],
)
def test_parameter_count_names_the_mistake(layer, answer, hint):
    verdict = check_parameter_count(answer, *layer)
    assert not verdict
    assert hint in verdict.message


FORMULA = re.compile(r"C_out\s*·\s*\(?C_in|C_in\s*·\s*k²\s*\+|\d+\s*·\s*\d+\s*·")


@given(_layers(), st.integers(1, 40_000))
def test_parameter_count_hints_never_hand_over_the_formula(layer, answer):
    verdict = check_parameter_count(answer, *layer)
    if not verdict:
        assert not FORMULA.search(verdict.message), verdict.message


def test_forgetting_both_biases_is_named_as_the_bias():
    # Exercise 3 of notebook 06: separable 32 → 64, 3×3, both steps with a bias
    verdict = check_parameter_count(32 * 9 + 64 * 32, 32, 64, 3, separable=True)
    assert not verdict and "biases" in verdict.message
    assert not FORMULA.search(verdict.message)


@pytest.mark.parametrize("answer", ["18496", 18496.5, [18496], True])
def test_parameter_count_refuses_non_numbers(answer):
    verdict = check_parameter_count(answer, 32, 64, 3)
    assert not verdict and "one whole number" in verdict.message


def test_parameter_count_placeholder_and_float():
    assert check_parameter_count(..., 32, 64, 3) == NOT_ANSWERED
    assert check_parameter_count(18496.0, 32, 64, 3)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"in_channels": 0}, ValueError, "in_channels"),
        ({"out_channels": 2.5}, TypeError, "out_channels"),
        ({"kernel_size": 0}, ValueError, "kernel_size"),
        ({"groups": 3}, ValueError, "groups"),
        ({"groups": 2, "separable": True}, ValueError, "groups"),
        ({"separable": "yes"}, TypeError, "separable"),
        ({"bias": 1}, TypeError, "bias"),
    ],
)
def test_parameter_count_refuses_an_invalid_layer(kwargs, error, name):
    layer = {"in_channels": 32, "out_channels": 64, "kernel_size": 3} | kwargs
    with pytest.raises(error, match=name):
        check_parameter_count(1, **layer)


# ------------------------------------------------------------------ transposed settings


def _torch_size(n, k, s, p, op) -> int | None:
    """Output side of F.conv_transpose2d, or None when torch refuses the settings."""
    try:
        out = F.conv_transpose2d(torch.zeros(1, 1, n, n, dtype=torch.float64),
                                 torch.zeros(1, 1, k, k, dtype=torch.float64),
                                 stride=s, padding=p, output_padding=op)
    except RuntimeError:
        return None
    return out.shape[-1] if out.numel() else None


def _uneven(n, k, s) -> bool:
    """Constant input and kernel: do interior output pixels get different sums (torch)?"""
    out = F.conv_transpose2d(torch.ones(1, 1, n, n, dtype=torch.float64),
                             torch.ones(1, 1, k, k, dtype=torch.float64), stride=s)[0, 0]
    interior = out[k - 1 : (n - 1) * s + 1, k - 1 : (n - 1) * s + 1]
    return interior.numel() > 0 and bool(interior.min() != interior.max())


@given(st.integers(1, 6), st.integers(1, 3), st.integers(0, 4), st.integers(0, 2),
       st.integers(2, 6), st.integers(1, 3))
def test_upsampling_is_correct_exactly_when_torch_gives_the_target(k, s, p, op, n, scale):
    target = scale * n
    verdict = check_upsampling_settings((k, s, p, op), input_size=n, target_size=target)
    assert bool(verdict) == (_torch_size(n, k, s, p, op) == target)
    if verdict:
        assert ("not divisible by stride" in verdict.message) == (k % s != 0)
        assert ("checkerboard" in verdict.message) == _uneven(n, k, s)
        assert ("fits" in verdict.message) == (s != scale)


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        ((3, 2, 1, 0), "13×13, not 14×14: 1 short. output_padding adds rows"),
        ((4, 2, 0, 0), "16×16, not 14×14: padding crops p rows from each side (2p in all), and "
                       "yours crops 2 rows too few"),
        ((4, 2, 2, 0), "12×12, not 14×14: padding crops p rows from each side (2p in all), and "
                       "yours crops 2 rows too many"),
        ((3, 2, 0, 0), "15×15, not 14×14: padding changes the size 2 rows at a time and 1 is "
                       "odd"),
        ((1, 2, 1, 0), "11×11, not 14×14: padding changes the size 2 rows at a time and 3 is "
                       "odd"),
        ((3, 1, 0, 0), "the stride sets the scale factor"),
        ((3, 3, 1, 0), "the stride sets the scale factor"),
        ((4, 2, 1, 2), "output_padding must be smaller than the stride"),
        ((3, 2, 9, 0), "leave no output: padding 9 is too large"),
        ((0, 2, 1, 0), "kernel_size and stride must be ≥ 1"),
        ((4, 2, 1), "Give four whole numbers"),
        ({"kernel_size": 4, "stride": 2}, "Give four whole numbers"),
        ((4, 2, 1.5, 0), "Give four whole numbers"),
        ("4, 2, 1, 0", "Give four whole numbers"),
    ],
)
def test_upsampling_names_the_mistake(answer, hint):
    verdict = check_upsampling_settings(answer)
    assert not verdict
    assert hint in verdict.message


def test_upsampling_too_small_even_without_padding():
    verdict = check_upsampling_settings((1, 3, 0, 0), input_size=7, target_size=23)  # 19
    assert not verdict and "4 too small even without padding" in verdict.message


def test_upsampling_correct_answers_and_notes():
    plain = check_upsampling_settings({"kernel_size": 4, "stride": 2, "padding": 1,
                                       "output_padding": 0})
    assert plain and "checkerboard" not in plain.message
    assert "a constant input gives a uniform interior" in plain.message
    assert "can still produce artifacts" in plain.message and "Odena" in plain.message
    prone = check_upsampling_settings((3, 2, 1, 1))
    assert prone and "kernel_size 3 is not divisible by stride 2" in prone.message
    assert "between 1 and 4 kernel copies" in prone.message
    assert "removes this constant-input pattern" in prone.message
    assert "can still produce artifacts" in prone.message
    one_off = check_upsampling_settings((8, 1, 0, 0))
    assert one_off and "fits 7 → 14 only" in one_off.message
    assert check_upsampling_settings(None) == NOT_ANSWERED


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [({"input_size": 0}, ValueError, "input_size"), ({"target_size": "14"}, TypeError,
                                                      "target_size")],
)
def test_upsampling_refuses_invalid_sizes(kwargs, error, name):
    with pytest.raises(error, match=name):
        check_upsampling_settings((4, 2, 1, 0), **kwargs)


@pytest.mark.parametrize("s", [1, 2, 3, 4])
def test_interior_overlap_range_is_what_torch_scatters(s):
    for n in range(1, 7):
        for k in range(1, 9):
            out = F.conv_transpose2d(torch.ones(1, 1, n, n, dtype=torch.float64),
                                     torch.ones(1, 1, k, k, dtype=torch.float64), stride=s)[0, 0]
            interior = out[k - 1 : (n - 1) * s + 1, k - 1 : (n - 1) * s + 1]
            expected = ((int(interior.min()), int(interior.max())) if interior.numel()
                        else None)
            assert interior_overlap_range(n, k, s) == expected, (n, k, s)


def test_a_right_answer_with_huge_settings_is_checked_without_a_canvas():
    started = time.monotonic()
    verdict = check_upsampling_settings((3001, 2, 1500, 1))  # (7−1)·2 − 3000 + 3001 + 1 = 14
    assert verdict and "on a larger input the kernel copies overlap unevenly" in verdict.message
    assert check_upsampling_settings((10001, 2, 5000, 1))
    assert check_upsampling_settings((2**52 + 1, 2, 2**51, 1), input_size=2**40,
                                     target_size=2**41)
    assert interior_overlap_range(10**6, 3001, 2) == (1500**2, 1501**2)
    assert time.monotonic() - started < 1  # exact integer counts: nothing is drawn


@pytest.mark.parametrize("form", [np.array, torch.tensor, list,
                                  lambda a: torch.tensor(a, dtype=torch.float64)])
def test_right_answers_as_arrays_and_tensors(form):
    assert check_upsampling_settings(form([4, 2, 1, 0]))
    assert check_parameter_count(np.int64(18496), 32, 64, 3)
    assert check_parameter_count(torch.tensor(18496.0), 32, 64, 3)
    assert check_parameter_count(np.array([2432]), 32, 64, 3, separable=True)


# ------------------------------------------------------------------ scatter by hand

# The pen-and-paper exercise of 07_transposed_convolution.ipynb.
X_HAND = np.array([[1.0, 2.0], [0.0, 3.0]])
K_HAND = np.array([[1.0, -1.0], [2.0, 0.0]])
# each input pixel stamps its scaled copy of the kernel, 2 pixels apart: no overlap
SCATTER = np.array([[1, -1, 2, -2],
                    [2, 0, 4, 0],
                    [0, 0, 3, -3],
                    [0, 0, 6, 0]], dtype=np.float64)


def test_the_hand_scatter_is_torch_conv_transpose2d():
    out = F.conv_transpose2d(torch.tensor(X_HAND)[None, None], torch.tensor(K_HAND)[None, None],
                             stride=2)[0, 0]
    assert np.array_equal(out.numpy(), SCATTER)
    verdict = check_scatter_by_hand(SCATTER.tolist(), X_HAND, K_HAND)
    assert verdict and "4 input pixels" in verdict.message


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (np.kron(X_HAND, K_HAND[::-1, ::-1]), "the kernel is flipped"),
        (np.kron(X_HAND, K_HAND.T), "the kernel is transposed"),
        (SCATTER.T, "rows and columns are swapped"),
        (np.kron(X_HAND[::-1, ::-1], K_HAND), "input pixels are in reverse"),
        (np.kron(K_HAND, X_HAND), "copies of the INPUT"),
        (np.array([[3.0]]), "size of an ordinary convolution"),
        (np.zeros((3, 3)), "the size of stride 1"),
        (np.zeros((4, 5)), "the output here is 4×4"),
        (SCATTER + np.eye(4), "Output pixel (0, 0) is not right: it is reached by the copy of "
                              "input pixel (0, 0)"),
        (np.arange(4), "2-D array"),
        ("1 -1 2 -2", "2-D array"),
    ],
)
def test_scatter_by_hand_names_the_slip(answer, hint):
    verdict = check_scatter_by_hand(answer, X_HAND, K_HAND)
    assert not verdict and hint in verdict.message, verdict.message


def test_scatter_by_hand_with_overlaps_names_every_copy():
    x, k = np.array([[1.0, 2.0, 3.0]]), np.array([[1.0, 1.0, 1.0]])
    expected = np.array([[1.0, 1.0, 3.0, 2.0, 5.0, 3.0, 3.0]])
    assert check_scatter_by_hand(expected, x, k, stride=2)
    wrong_middle = expected.copy()
    wrong_middle[0, 2] = 2.0
    verdict = check_scatter_by_hand(wrong_middle, x, k, stride=2)
    assert "input pixels (0, 0) and (0, 1) (add their contributions)" in verdict.message


@pytest.mark.parametrize(("args", "error", "name"),
                         [((np.ones(3), K_HAND), ValueError, "x"),
                          ((X_HAND, "k"), TypeError, "kernel"),
                          ((X_HAND, K_HAND, 0), ValueError, "stride")])
def test_scatter_by_hand_refuses_bad_notebook_arguments(args, error, name):
    with pytest.raises(error, match=name):
        check_scatter_by_hand(SCATTER, *args)


# ------------------------------------------------------------------ my_conv_transpose2d


def my_conv_transpose2d(x, weight, stride=1, padding=0, *, flip=False, layout="in-out",
                        crop="each side", use_stride=True):
    """The scatter, with switches for the typical mistakes."""
    if flip:
        weight = weight[:, :, ::-1, ::-1]
    if layout == "out-in":  # read as conv2d's (C_out, C_in, k, k)
        weight = weight.swapaxes(0, 1)
    s = stride if use_stride else 1
    n, c_in, height, width = x.shape
    _, c_out, k, _ = weight.shape
    full = np.zeros((n, c_out, (height - 1) * s + k, (width - 1) * s + k))
    for b in range(n):
        for c in range(c_in):
            for i in range(height):
                for j in range(width):
                    full[b, :, i * s : i * s + k, j * s : j * s + k] += x[b, c, i, j] * weight[c]
    rows, cols = full.shape[2] - 2 * padding, full.shape[3] - 2 * padding
    if crop == "none":
        return full
    if crop == "bottom right":
        return full[:, :, :rows, :cols]
    if crop == "one side":
        return full[:, :, padding:, padding:]
    if crop == "pad":
        return np.pad(full, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    return full[:, :, padding : padding + rows, padding : padding + cols]


def test_conv_transpose2d_accepts_the_scatter_and_says_what_it_tested():
    verdict = check_my_conv_transpose2d(my_conv_transpose2d)
    assert verdict, verdict.message
    assert f"{TRANSPOSED_CASES} fresh random cases" in verdict.message
    assert "C_in ≠ C_out" in verdict.message and "padding" in verdict.message


def test_conv_transpose2d_accepts_torch_tensors_back():
    def with_torch(x, weight, stride=1, padding=0):
        return F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(weight), stride=stride,
                                  padding=padding).requires_grad_()

    assert check_my_conv_transpose2d(with_torch)


def test_conv_transpose2d_cases_are_fresh_on_every_call():
    seen = []

    def spy(x, weight, stride=1, padding=0):
        seen.append((x.copy(), weight.shape, stride, padding))
        return my_conv_transpose2d(x, weight, stride, padding)

    check_my_conv_transpose2d(spy)
    check_my_conv_transpose2d(spy)
    assert len(seen) == 2 * TRANSPOSED_CASES
    assert not np.array_equal(seen[0][0], seen[TRANSPOSED_CASES][0])
    shapes = [x.shape for x, *_ in seen]
    assert any(s[0] == 2 and s[2] != s[3] for s in shapes)
    assert any(w[0] != w[1] for _, w, _, _ in seen) and any(w[0] == w[1] > 1 for _, w, _, _ in seen)
    assert {1, 2} <= {stride for *_, stride, _ in seen} and any(p > 0 for *_, p in seen)


@pytest.mark.parametrize(
    ("mistake", "hint"),
    [
        ({"flip": True}, "every kernel is rotated by 180°"),
        ({"layout": "out-in"}, "(C_in, C_out, k, k)"),
        ({"crop": "none"}, "the full output, uncropped"),
        ({"crop": "bottom right"}, "cropped 2·padding from the bottom and right"),
        ({"crop": "one side"}, "from one side only"),
        ({"crop": "pad"}, "you added padding"),
        ({"use_stride": False}, "the size at stride 1"),
    ],
)
def test_conv_transpose2d_names_each_mistake(mistake, hint):
    for _ in range(3):  # fresh cases each call: the slip is found on every draw
        verdict = check_my_conv_transpose2d(
            lambda x, w, stride=1, padding=0: my_conv_transpose2d(x, w, stride, padding,
                                                                  **mistake))
        assert not verdict and hint in verdict.message, verdict.message


@pytest.mark.parametrize(
    ("function", "hint"),
    [
        (lambda x, w, stride=1, padding=0: my_conv_transpose2d(x, w, stride, padding)[0],
         "keep the batch axis"),
        (lambda x, w, stride=1, padding=0: my_conv_transpose2d(x, w, stride, padding) + 1e-3,
         "the sum over input channels of every copy that covers it"),
        (lambda x, w, stride=1, padding=0: None, "returned None"),
        (lambda x, w, stride=1, padding=0: x[:, :, 99], "raised IndexError"),
        (lambda x, w, stride=1, padding=0: "out", "numpy array of real numbers"),
        ("my_conv_transpose2d", "your function itself"),
    ],
)
def test_conv_transpose2d_other_mistakes(function, hint):
    verdict = check_my_conv_transpose2d(function)
    assert not verdict and hint in verdict.message, verdict.message


def test_conv_transpose2d_recognises_an_ordinary_convolution(monkeypatch):
    case = conv_types.TransposedCase((1, 2, 5, 5), 3, 3, 2, 1)  # the kernel fits: conv2d runs
    monkeypatch.setattr(conv_types, "_transposed_cases", lambda rng: [case])
    verdict = check_my_conv_transpose2d(
        lambda x, w, stride=1, padding=0: F.conv2d(torch.from_numpy(x),
                                                   torch.from_numpy(w).transpose(0, 1),
                                                   stride=stride, padding=padding))
    assert not verdict and "size of an ordinary convolution" in verdict.message


def test_conv_transpose2d_names_the_weight_layout_when_shapes_clash():
    def conv2d_layout(x, weight, stride=1, padding=0):  # reads weight as (C_out, C_in, k, k)
        c_out, c_in, k, _ = weight.shape
        n, _, height, width = x.shape
        full = np.zeros((n, c_out, (height - 1) * stride + k, (width - 1) * stride + k))
        for c in range(c_in):
            for i in range(height):
                for j in range(width):
                    full[:, :, i * stride : i * stride + k, j * stride : j * stride + k] += (
                        x[:, c, i, j, None, None, None] * weight[:, c])
        return full[:, :, padding : full.shape[2] - padding, padding : full.shape[3] - padding]

    verdict = check_my_conv_transpose2d(conv2d_layout)
    assert not verdict and "(C_in, C_out, k, k)" in verdict.message

    def clash(x, weight, stride=1, padding=0):
        return np.ones((2, 3)) + weight[0, :, 0, :2]  # operands could not be broadcast together

    verdict = check_my_conv_transpose2d(clash)
    assert not verdict and "raised ValueError" in verdict.message
    assert "input channels first" in verdict.message


def test_conv_transpose2d_stops_a_function_that_hangs(monkeypatch):
    monkeypatch.setattr(_answers, "TIME_LIMIT", 0.2)
    started = time.monotonic()
    verdict = check_my_conv_transpose2d(lambda *args, **kwargs: time.sleep(10))
    assert not verdict and "took longer than 0.2 s" in verdict.message
    assert time.monotonic() - started < 5


# ------------------------------------------------------------------ the notebooks' claims


@given(st.integers(1, 12), st.integers(1, 5), st.integers(1, 4), st.integers(0, 3),
       st.integers(1, 4))
def test_the_output_size_often_found_can_only_overestimate_a_dilated_kernel(n, k, s, p, d):
    # 06: floor((n + 2p − k)/s) + 1 is right for d = 1, never too small, and at stride 1 too
    # large by exactly (d − 1)(k − 1)
    if d * (k - 1) + 1 > n + 2 * p:
        return
    side = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p,
                    dilation=d).shape[-1]
    often = (n + 2 * p - k) // s + 1
    assert often >= side and (d > 1 or often == side)
    if s == 1:
        assert often - side == (d - 1) * (k - 1)


@given(st.integers(1, 6), st.integers(1, 5), st.integers(1, 4), st.integers(0, 3),
       st.integers(0, 3), st.integers(1, 3))
def test_the_transposed_size_often_found_falls_short_by_output_padding_and_dilation(
        n, k, s, p, op, d):
    # 07: (n − 1)s − 2p + k misses output_padding + (d − 1)(k − 1)
    if op >= max(s, d) or (n - 1) * s - 2 * p + d * (k - 1) + op + 1 < 1:
        return
    side = F.conv_transpose2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s,
                              padding=p, output_padding=op, dilation=d).shape[-1]
    assert side - ((n - 1) * s - 2 * p + k) == op + (d - 1) * (k - 1)


@pytest.mark.parametrize(("k", "p", "sizes"), [(3, 1, (9, 10)), (4, 1, (10, 11))])
def test_a_stride_2_convolution_maps_two_sizes_to_5(k, p, sizes):
    # 07: which sizes collide depends on k and p; output_padding picks one on the way back
    collide = [n for n in range(2, 20)
               if F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=2,
                           padding=p).shape[-1] == 5]
    assert tuple(collide) == sizes
    back = [F.conv_transpose2d(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, k, k), stride=2,
                               padding=p, output_padding=op).shape[-1] for op in (0, 1)]
    assert tuple(back) == sizes


@pytest.mark.parametrize("seed", range(5))
def test_resize_then_convolve_is_a_transposed_convolution_with_equal_phase_sums(seed):
    # 07, Think! 3: nearest ×2 then a 3×3 conv = a stride-2 transposed conv whose 4×4 kernel
    # (the 2×2 box smeared by the flipped 3×3 kernel) sums to sum(K) on each of its 4 phases
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(1, 1, 6, 6, dtype=torch.float64, generator=generator)
    kernel = torch.randn(1, 1, 3, 3, dtype=torch.float64, generator=generator)
    resize_conv = F.conv2d(F.interpolate(x, scale_factor=2, mode="nearest"), kernel)
    smeared = F.conv_transpose2d(torch.ones(1, 1, 2, 2, dtype=torch.float64),
                                 kernel.flip(-1, -2))
    assert torch.allclose(F.conv_transpose2d(x, smeared, stride=2, padding=2), resize_conv)
    phases = [smeared[0, 0, a::2, b::2].sum() for a in (0, 1) for b in (0, 1)]
    assert torch.allclose(torch.stack(phases), kernel.sum().expand(4))


@pytest.mark.parametrize("k", [2, 3])
def test_stride_k_transposed_convolution_is_a_right_inverse_for_a_unit_kernel(k):
    # 07, Think! 2: no overlaps and Σ K² = 1 → conv2d(conv_transpose2d(y)) = y, not the reverse
    generator = torch.Generator().manual_seed(k)
    kernel = torch.randn(1, 1, k, k, dtype=torch.float64, generator=generator)
    kernel /= kernel.norm()
    y = torch.randn(1, 1, 4, 4, dtype=torch.float64, generator=generator)
    x = torch.randn(1, 1, 4 * k, 4 * k, dtype=torch.float64, generator=generator)
    up = F.conv_transpose2d(y, kernel, stride=k)
    assert torch.allclose(F.conv2d(up, kernel, stride=k), y)
    assert not torch.allclose(F.conv_transpose2d(F.conv2d(x, kernel, stride=k), kernel, stride=k),
                              x)


# ------------------------------------------------------------------ the notebooks' solutions



SOLUTIONS = solution_cells("06_convolution_types") + solution_cells("07_transposed_convolution")


def test_each_notebook_has_three_solutions():
    assert [run.id[:2] for run in SOLUTIONS] == ["06"] * 3 + ["07"] * 3


@pytest.mark.parametrize("cell", SOLUTIONS)
def test_notebook_solution_passes_its_check_cell(cell):
    assert_solution_passes(cell)
