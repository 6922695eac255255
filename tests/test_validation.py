"""The shared argument checks: every message names the parameter and the valid range."""

import numpy as np
import pytest

from convlessons._validation import as_array, as_choice, as_int, as_pair


def test_as_int_range_and_type():
    assert as_int(np.int64(3), "stride", minimum=1) == 3
    with pytest.raises(ValueError, match=r"stride must be an int >= 1, got 0"):
        as_int(0, "stride", minimum=1)
    with pytest.raises(ValueError, match=r"padding must be an int in 0…3, got 4"):
        as_int(4, "padding", minimum=0, maximum=3)
    with pytest.raises(TypeError, match=r"size must be an int in 5…12, got 2.5"):
        as_int(2.5, "size", minimum=5, maximum=12)
    with pytest.raises(TypeError, match="groups"):
        as_int(True, "groups", minimum=1)


def test_as_choice():
    assert as_choice("reflect", "padding_mode", ("zeros", "reflect")) == "reflect"
    with pytest.raises(ValueError, match=r"padding_mode must be one of \('zeros', 'reflect'\)"):
        as_choice("mirror", "padding_mode", ("zeros", "reflect"))
    with pytest.raises(ValueError, match="in_channels"):
        as_choice(True, "in_channels", (1, 2))  # True == 1, but a bool is not a channel count


def test_as_pair():
    assert as_pair(2, "stride", minimum=1) == (2, 2)
    assert as_pair([1, 3], "padding") == (1, 3)
    expected = r"stride must be a positive int or pair of ints \(>= 1\), got \(1, 0\)"
    with pytest.raises(ValueError, match=expected):
        as_pair((1, 0), "stride", minimum=1)
    with pytest.raises(ValueError, match="padding must be a non-negative int"):
        as_pair(-1, "padding")
    with pytest.raises(TypeError, match="dilation"):
        as_pair((1, 2, 3), "dilation", minimum=1)


def test_as_array():
    assert as_array([[1, 2]], "kernel", ndim=2).dtype == np.float64
    assert as_array(np.ones((2, 2), np.float32), "kernel", ndim=2).dtype == np.float32
    with pytest.raises(ValueError, match=r"input must have 4 dimensions \(N, C, H, W\), got 2"):
        as_array(np.ones((2, 2)), "input", ndim=4, layout="(N, C, H, W)")
    with pytest.raises(ValueError, match="weight must contain only finite values"):
        as_array([[np.nan]], "weight", ndim=2)
    with pytest.raises(TypeError, match="image must be a real numeric array"):
        as_array([["a"]], "image", ndim=2)
    with pytest.raises(TypeError, match="image must be a numeric array"):
        as_array([[1], [1, 2]], "image", ndim=2)
