"""The shared argument checks: every message names the parameter and the valid range."""

from fractions import Fraction

import numpy as np
import pytest
import torch

from convlessons._validation import (
    as_array,
    as_choice,
    as_instance,
    as_int,
    as_pair,
    as_real,
    shown,
)


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


def test_as_array_refuses_what_it_would_misread():
    masked = np.ma.masked_array(np.ones((2, 2)), mask=[[True, False], [False, False]])
    with pytest.raises(TypeError, match=r"^image must be a plain array: a masked array's mask "
                       r"would be ignored; pass image.filled\(value\)"):
        as_array(masked, "image", ndim=2)
    for dtype in (torch.bfloat16, torch.float8_e4m3fn):
        with pytest.raises(TypeError, match=rf"^weight must be a tensor numpy can read .*got "
                           rf"dtype {dtype}; convert it with weight.float\(\)"):
            as_array(torch.ones(2, 2, dtype=dtype), "weight", ndim=2)
    assert as_array(torch.ones(2, 2, dtype=torch.float16), "weight", ndim=2).dtype == np.float16


def test_as_real_bounds_and_refusals():
    assert as_real(np.float32(0.5), "ratio", at_least=0, below=1) == 0.5
    assert as_real(3, "theta") == 3.0 and type(as_real(3, "theta")) is float
    with pytest.raises(ValueError, match=r"ratio must be a finite real number in \[0, 1\), got 1"):
        as_real(1, "ratio", at_least=0, below=1)
    with pytest.raises(ValueError, match=r"lr must be a finite real number > 0, got -1"):
        as_real(-1, "lr", above=0)
    with pytest.raises(ValueError, match=r"sigma must be a finite real number <= 8, got nan"):
        as_real(float("nan"), "sigma", at_most=8)
    with pytest.raises(ValueError, match="sigma"):
        as_real(10**400, "sigma")  # too large for a float: no OverflowError
    with pytest.raises(ValueError, match="sigma"):
        as_real(Fraction(10**400), "sigma")
    for junk in (True, "1", 1 + 0j, None, np.ones(1)):
        with pytest.raises(TypeError, match="theta must be a finite real number"):
            as_real(junk, "theta")


def test_as_instance():
    assert as_instance(3, "count", int) == 3
    with pytest.raises(TypeError, match="model must be a torch.nn.Module, got list"):
        as_instance([], "model", int, "a torch.nn.Module")
    with pytest.raises(TypeError, match="conv must be a float, got str"):
        as_instance("x", "conv", float)


def test_messages_show_huge_values_cut_short():
    with pytest.raises(ValueError) as refused:
        as_int(10**400, "size", minimum=1, maximum=5)
    assert len(str(refused.value)) < 120 and "..." in str(refused.value)
    assert shown("x" * 500).count("x") < 100
