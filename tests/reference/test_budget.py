"""The memory budget: a request whose arrays would pass it is refused before allocating.

``_validation.MEMORY_BUDGET`` (2 GiB) bounds the padded input and the output of ``conv2d``,
the columns and uncropped output of ``conv_transpose2d``, and the columns of ``im2col``;
the message names the parameter and the size it implies.
"""

from __future__ import annotations

import math
import tracemalloc
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convlessons import _validation
from convlessons.arithmetic import conv_output_size, conv_transpose_output_size
from convlessons.reference import conv2d, conv_transpose2d, im2col
from convlessons.reference.winograd import WINOGRAD_MAX_SIZE, winograd_matrices

ONE = np.ones((1, 1, 1, 1))


def _peak_bytes(call) -> tuple[BaseException | None, int]:
    """Run ``call``; return what it raised (or None) and the peak bytes numpy/Python allocated."""
    tracemalloc.start()
    try:
        call()
    except Exception as error:  # noqa: BLE001 - returned to the test
        raised: BaseException | None = error
    else:
        raised = None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return raised, peak


def test_padding_30000_is_refused_with_the_size_it_implies():
    with pytest.raises(ValueError, match=r"padding=30000 implies the padded input of shape "
                       r"\(1, 1, 60001, 60001\), 26.8 GiB, over the 2 GiB memory budget"):
        conv2d(ONE, ONE, padding=30000)


def test_im2col_of_a_large_layer_says_how_large_and_points_to_fft():
    # 1×64×512×512 float32 with a 7×7 kernel: 64·49 rows × 506² windows × 4 bytes = 3.0 GiB
    with pytest.raises(ValueError, match=r"kernel_size=7 implies the columns of shape "
                       r"\(1, 3136, 256036\), 3.0 GiB, .*method='fft'"):
        im2col(np.zeros((1, 64, 512, 512), np.float32), 7)


@given(exponent=st.integers(9, 40), axis=st.sampled_from(["both", "height", "width"]),
       method=st.sampled_from(["loops", "direct", "im2col", "fft"]))
@settings(max_examples=15, deadline=None)
def test_huge_padding_is_refused_before_allocating(exponent, axis, method):
    """padding = 10**9 … 10**40 on any axis: a ValueError naming padding, and no large array."""
    big = 10**exponent
    padding = {"both": big, "height": (big, 0), "width": (0, big)}[axis]
    raised, peak = _peak_bytes(lambda: conv2d(ONE, ONE, padding=padding, method=method))
    assert isinstance(raised, ValueError)
    assert "padding=" in str(raised) and "memory budget" in str(raised)
    assert peak < 2**20


@given(exponent=st.integers(5, 40), which=st.sampled_from(["stride", "dilation"]))
@settings(max_examples=20, deadline=None)
def test_huge_transposed_stride_or_dilation_is_refused_before_allocating(exponent, which):
    kwargs = {which: 10**exponent}
    square = np.ones((1, 1, 2, 2))
    raised, peak = _peak_bytes(lambda: conv_transpose2d(square, square, **kwargs))
    assert isinstance(raised, ValueError)
    assert f"{which}=" in str(raised) and "memory budget" in str(raised)
    assert peak < 2**20


@given(
    batch=st.integers(1, 2), c_in=st.integers(1, 3), c_out=st.integers(1, 3),
    size=st.integers(1, 6), kernel=st.integers(1, 3), padding=st.integers(0, 40),
    stride=st.integers(1, 3), dilation=st.integers(1, 2), budget=st.integers(8, 200_000),
)
@settings(max_examples=60, deadline=None)
def test_conv2d_refuses_exactly_what_passes_the_budget(
    batch, c_in, c_out, size, kernel, padding, stride, dilation, budget
):
    """Refused iff the padded input or the output holds more bytes than the budget."""
    padded = size + 2 * padding
    if dilation * (kernel - 1) + 1 > padded:
        return
    out = conv_output_size(padded, kernel, stride, dilation=dilation)
    largest = 8 * max(batch * c_in * padded**2, batch * c_out * out**2)
    x, w = np.ones((batch, c_in, size, size)), np.ones((c_out, c_in, kernel, kernel))
    with mock.patch.object(_validation, "MEMORY_BUDGET", budget):
        if largest > budget:
            with pytest.raises(ValueError, match="memory budget"):
                conv2d(x, w, padding=padding, stride=stride, dilation=dilation)
        else:
            out_array = conv2d(x, w, padding=padding, stride=stride, dilation=dilation)
            assert out_array.shape == (batch, c_out, out, out)


@given(size=st.integers(1, 5), kernel=st.integers(1, 3), stride=st.integers(1, 60),
       budget=st.integers(8, 100_000))
@settings(max_examples=40, deadline=None)
def test_conv_transpose2d_refuses_exactly_what_passes_the_budget(size, kernel, stride, budget):
    full = conv_transpose_output_size(size, kernel, stride)
    largest = 8 * max(full**2, kernel**2 * size**2)
    x, w = np.ones((1, 1, size, size)), np.ones((1, 1, kernel, kernel))
    with mock.patch.object(_validation, "MEMORY_BUDGET", budget):
        if largest > budget:
            with pytest.raises(ValueError, match="memory budget"):
                conv_transpose2d(x, w, stride=stride)
        else:
            assert conv_transpose2d(x, w, stride=stride).shape == (1, 1, full, full)


def test_the_budget_is_two_gib_and_the_message_names_the_parameter():
    assert _validation.MEMORY_BUDGET == 2 * 2**30
    _validation.check_memory((2, 2**30), 1, "n=3", "a thing")  # exactly 2 GiB: accepted
    with pytest.raises(ValueError, match=r"^n=3 implies a thing of shape \(2, 1073741825\), "
                       r"2.0 GiB, over the 2 GiB memory budget; say less$"):
        _validation.check_memory((2, 2**30 + 1), 1, "n=3", "a thing", "; say less")


@pytest.mark.parametrize("m", [WINOGRAD_MAX_SIZE + 1, 64, 10**6])
def test_winograd_matrices_bounds_m(m):
    with pytest.raises(ValueError, match=rf"m must be an int in 1…{WINOGRAD_MAX_SIZE}, got {m}"):
        winograd_matrices(m)
    assert math.prod(winograd_matrices(WINOGRAD_MAX_SIZE)[0].shape) == (WINOGRAD_MAX_SIZE + 2)**2
