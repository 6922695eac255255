"""conv2d (every method), correlate2d and convolve2d against torch.nn.functional.conv2d."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import int_or_pair, pair

from convlessons.reference import conv as conv_module
from convlessons.reference import (
    conv2d,
    conv2d_direct,
    conv2d_fft,
    conv2d_im2col,
    conv2d_loops,
    convolve2d,
    correlate2d,
)

# torch warns that 'same' padding with an even kernel copies the input; expected here.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

TOLERANCE = {"loops": 1e-10, "direct": 1e-10, "im2col": 1e-10, "winograd": 1e-9, "fft": 1e-9}


@pytest.fixture(autouse=True, scope="module")
def _torch_single_thread():
    """The oracle calls are tiny: one torch thread avoids thread wake-up costs on 2 cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@st.composite
def conv_case(
    draw: st.DrawFn,
    max_channels: int = 3,
    max_extra: int = 8,
    kernel: st.SearchStrategy | None = None,
    unit_stride: bool = False,
) -> dict:
    """Valid conv2d arguments: groups incl. depthwise, any padding, odd image sizes."""
    depthwise = draw(st.booleans())
    groups = draw(st.integers(1, 3))
    c_per_group = 1 if depthwise else draw(st.integers(1, max_channels))
    k_per_group = draw(st.integers(1, max_channels))
    kernel_hw = draw(
        kernel if kernel is not None else st.tuples(st.integers(1, 5), st.integers(1, 5))
    )
    stride = 1 if unit_stride else draw(int_or_pair(1, 3))
    dilation = 1 if unit_stride else draw(int_or_pair(1, 3))
    modes = ["valid", "same"] if pair(stride) == (1, 1) else ["valid"]
    padding = draw(st.one_of(int_or_pair(0, 3), st.sampled_from(modes)))
    size = []
    for k, d, p in zip(
        kernel_hw, pair(dilation), pair(0 if isinstance(padding, str) else padding), strict=True
    ):
        size.append(max(1, d * (k - 1) + 1 - 2 * p + draw(st.integers(0, max_extra))))
    return {
        "input": (draw(st.integers(1, 3)), groups * c_per_group, *size),
        "weight": (groups * k_per_group, c_per_group, *kernel_hw),
        "bias": draw(st.booleans()),
        "kwargs": {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups},
        "seed": draw(st.integers(0, 2**32 - 1)),
    }


def arrays(case: dict, dtype: type = np.float64) -> tuple:
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal(case["input"]).astype(dtype)
    w = rng.standard_normal(case["weight"]).astype(dtype)
    b = rng.standard_normal(case["weight"][0]).astype(dtype) if case["bias"] else None
    return x, w, b


def torch_conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, **kwargs) -> np.ndarray:
    bias = None if b is None else torch.from_numpy(b)
    return F.conv2d(torch.from_numpy(x), torch.from_numpy(w), bias, **kwargs).numpy()


def assert_matches_torch(case: dict, method: str, **extra) -> None:
    x, w, b = arrays(case)
    expected = torch_conv2d(x, w, b, **case["kwargs"])
    out = conv2d(x, w, b, method=method, **case["kwargs"], **extra)
    assert out.shape == expected.shape
    assert out.dtype == np.float64
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(out, expected, rtol=0, atol=TOLERANCE[method] * scale)


@pytest.mark.parametrize("method", ["direct", "im2col", "fft"])
@settings(max_examples=120)
@given(case=conv_case())
def test_vectorised_methods_match_torch(method: str, case: dict) -> None:
    assert_matches_torch(case, method)


@settings(max_examples=40)
@given(case=conv_case(max_channels=2, max_extra=3))
def test_loops_match_torch(case: dict) -> None:
    assert_matches_torch(case, "loops")


@pytest.mark.parametrize("tile", [2, 4])
@settings(max_examples=60)
@given(case=conv_case(kernel=st.just((3, 3)), unit_stride=True))
def test_winograd_matches_torch(tile: int, case: dict) -> None:
    assert_matches_torch(case, "winograd", tile=tile)


@pytest.mark.parametrize("method", ["loops", "direct", "im2col", "winograd", "fft"])
def test_float32_in_float32_out(method: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 9, 8), dtype=np.float32)
    w = rng.standard_normal((6, 2, 3, 3), dtype=np.float32)
    b = rng.standard_normal(6, dtype=np.float32)
    out = conv2d(x, w, b, padding=1, groups=2, method=method)
    assert out.dtype == np.float32
    expected = torch_conv2d(x, w, b, padding=1, groups=2)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_mixed_precision_promotes_like_numpy() -> None:
    out = conv2d(np.ones((1, 1, 3, 3), np.float32), np.ones((1, 1, 2, 2)))
    assert out.dtype == np.float64


@pytest.mark.parametrize(
    "function", [conv2d, conv2d_loops, conv2d_direct, conv2d_im2col, conv2d_fft]
)
def test_unbatched_input_gives_unbatched_output(function) -> None:
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((3, 7, 6)), rng.standard_normal((2, 3, 2, 3)), np.ones(2)
    out = function(x, w, b, stride=(2, 1), padding=(1, 0), dilation=(1, 2))
    expected = torch_conv2d(x, w, b, stride=(2, 1), padding=(1, 0), dilation=(1, 2))
    assert out.shape == expected.shape == (2, 4, 2)
    np.testing.assert_allclose(out, expected, atol=1e-12)


def test_accepts_torch_tensors_and_nested_lists() -> None:
    x = torch.arange(16.0, dtype=torch.float64).reshape(1, 1, 4, 4)
    w = [[[[1, 0], [0, -1]]]]
    np.testing.assert_array_equal(conv2d(x, w), F.conv2d(x, torch.tensor(w).double()).numpy())


def textbook_manual_conv2d(input, kernel, stride=1, padding=0):
    """A ``manual_conv2d`` as you will often find it in tutorials: no dilation, groups or bias."""
    batch_size, in_channels, in_height, in_width = input.shape
    out_channels, _, kernel_height, kernel_width = kernel.shape
    out_height = (in_height + 2 * padding - kernel_height) // stride + 1
    out_width = (in_width + 2 * padding - kernel_width) // stride + 1
    if padding > 0:
        input = F.pad(input, (padding, padding, padding, padding))
    output = torch.zeros(batch_size, out_channels, out_height, out_width)
    for b in range(batch_size):
        for oc in range(out_channels):
            for h in range(out_height):
                for w in range(out_width):
                    h_start = h * stride
                    w_start = w * stride
                    receptive_field = input[
                        b, :, h_start : h_start + kernel_height, w_start : w_start + kernel_width
                    ]
                    output[b, oc, h, w] = torch.sum(receptive_field * kernel[oc])
    return output


@pytest.mark.parametrize(("stride", "size"), [(1, 5), (2, 3)])
def test_loops_match_a_textbook_loop_on_a_7x7_input_with_a_3x3_edge_kernel(
    stride: int, size: int
) -> None:
    """7x7 input, 3x3 horizontal-edge kernel -> 5x5 (stride 1) or 3x3 (stride 2)."""
    image = torch.arange(49, dtype=torch.float32).reshape(1, 1, 7, 7) % 5
    edge = torch.tensor([[[[-1.0, -1.0, -1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]]])
    textbook = textbook_manual_conv2d(image, edge, stride=stride).numpy()
    ours = conv2d_loops(image.numpy(), edge.numpy(), stride=stride)
    assert ours.shape == textbook.shape == (1, 1, size, size)
    np.testing.assert_array_equal(ours, textbook)


@settings(max_examples=60)
@given(
    height=st.integers(1, 7),
    width=st.integers(1, 7),
    kh=st.integers(1, 4),
    kw=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_correlate2d_and_convolve2d(height: int, width: int, kh: int, kw: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    image, kernel = rng.standard_normal((height, width)), rng.standard_normal((kh, kw))
    full = (kh - 1, kw - 1)
    expected = torch_conv2d(image[None, None], kernel[None, None], None, padding=full)[0, 0]
    np.testing.assert_allclose(correlate2d(image, kernel, padding=full), expected, atol=1e-12)
    # True convolution is commutative (with 'full' padding); cross-correlation is not.
    np.testing.assert_allclose(
        convolve2d(image, kernel, padding=full),
        convolve2d(kernel, image, padding=(height - 1, width - 1)),
        atol=1e-12,
    )
    # A single row: numpy's 1-D convolution is the oracle.
    np.testing.assert_allclose(
        convolve2d(image[:1], kernel[:1], padding=(0, kw - 1))[0],
        np.convolve(image[0], kernel[0], mode="full"),
        atol=1e-12,
    )


X, W = np.ones((1, 4, 6, 6)), np.ones((4, 2, 3, 3))
CONV_ERRORS = [
    ({"input": np.ones((6, 6))}, ValueError, r"input must have 3 or 4 dimensions"),
    ({"input": np.ones((1, 1, 4, 6, 6))}, ValueError, r"input must have 3 or 4 dimensions"),
    ({"weight": np.ones((4, 2, 3))}, ValueError, r"weight must have 4 dimensions"),
    ({"input": np.full(X.shape, np.nan)}, ValueError, r"input must contain only finite"),
    ({"weight": np.full(W.shape, np.inf)}, ValueError, r"weight must contain only finite"),
    ({"bias": np.array([1, 2, np.nan, 4])}, ValueError, r"bias must contain only finite"),
    ({"input": X.astype(complex)}, TypeError, r"input must be a real numeric array"),
    ({"bias": np.ones(3)}, ValueError, r"bias must have shape \(C_out,\) = \(4,\)"),
    ({"bias": np.ones((4, 1))}, ValueError, r"bias must have 1 dimensions"),
    ({"stride": 0}, ValueError, r"stride must be a positive int or pair of ints \(>= 1\)"),
    ({"stride": (1, 0)}, ValueError, r"stride must be a positive int"),
    ({"stride": 1.5}, TypeError, r"stride must be"),
    ({"dilation": 0}, ValueError, r"dilation must be a positive int or pair of ints \(>= 1\)"),
    ({"padding": -1}, ValueError, r"padding must be a non-negative int .*\(>= 0\)"),
    ({"padding": (0, -2)}, ValueError, r"padding must be a non-negative int"),
    ({"padding": 1.0}, TypeError, r"padding must be .*; or one of \('valid', 'same'\)"),
    ({"padding": None}, TypeError, r"padding must be"),
    ({"padding": "full"}, ValueError, r"padding must be one of \('valid', 'same'\)"),
    ({"padding": "same", "stride": 2}, ValueError, r"padding='same' needs stride=1"),
    ({"groups": 0}, ValueError, r"groups must be an int >= 1"),
    ({"groups": 3}, ValueError, r"groups must divide input channels C_in=4"),
    ({"groups": 4, "weight": np.ones((6, 1, 3, 3))}, ValueError, r"groups must divide output"),
    ({"groups": 1}, ValueError, r"weight.shape\[1\] must equal C_in/groups = 4/1 = 4"),
    ({"weight": np.ones((4, 2, 7, 3))}, ValueError, r"weight does not fit along the height"),
    ({"weight": np.ones((4, 2, 3, 7))}, ValueError, r"weight does not fit along the width"),
    ({"dilation": (1, 3)}, ValueError, r"weight does not fit along the width.*dilation 3"),
    ({"input": np.ones((1, 4, 0, 6))}, ValueError, r"input must have no empty axis"),
    ({"input": np.ones((1, 0, 6, 6)), "weight": np.ones((4, 0, 3, 3)), "groups": 1}, ValueError,
     r"input must have no empty axis, got shape \(1, 0, 6, 6\)"),
    ({"weight": np.ones((0, 2, 3, 3))}, ValueError, r"weight must have no empty axis"),
    ({"input": np.ma.masked_array(X, mask=X > 0)}, TypeError, r"input must be a plain array"),
    ({"input": torch.ones(X.shape, dtype=torch.bfloat16)}, TypeError,
     r"input must be a tensor numpy can read .* got dtype torch.bfloat16"),
    ({"padding": 30000}, ValueError, r"padding=30000 implies the padded input .* over the 2 GiB"),
    ({"padding": 10**9}, ValueError, r"padding=1000000000 implies the padded input"),
    ({"padding": 10**30}, ValueError, r"padding=1000000000000000000000000000000 implies"),
    ({"padding": (0, 10**30)}, ValueError, r"padding=\(0, 1000000000000000000000000000000\)"),
    ({"method": "im2col", "tile": "junk"}, TypeError, r"tile must be an int"),
    ({"method": "fft", "tile": 0}, ValueError, r"tile must be an int >= 1"),
    ({"method": "gemm"}, ValueError, r"method must be one of \('loops', 'direct', 'im2col'"),
    ({"method": None}, ValueError, r"method must be one of"),
    ({"method": "winograd", "stride": 2}, ValueError, r"stride must be 1 for Winograd"),
    ({"method": "winograd", "dilation": 2}, ValueError, r"dilation must be 1 for Winograd"),
    ({"method": "winograd", "tile": 3}, ValueError, r"tile must be one of"),
    ({"method": "winograd", "weight": np.ones((4, 2, 2, 2))}, ValueError, r"weight must be 3"),
]


@pytest.mark.parametrize(("override", "error", "message"), CONV_ERRORS)
def test_conv2d_rejects_bad_arguments(override: dict, error: type, message: str) -> None:
    kwargs = {"input": X, "weight": W, "groups": 2} | override
    with pytest.raises(error, match=message):
        conv2d(**kwargs)


@pytest.mark.parametrize("function", [conv2d_loops, conv2d_direct, conv2d_im2col, conv2d_fft])
def test_each_method_function_validates(function) -> None:
    with pytest.raises(ValueError, match=r"groups must divide input channels"):
        function(X, W, groups=3)


@pytest.mark.parametrize(
    ("function", "image", "kernel", "message"),
    [
        (correlate2d, np.ones((1, 5, 5)), np.ones((3, 3)), r"image must have 2 dimensions"),
        (correlate2d, np.ones((5, 5)), np.ones(3), r"kernel must have 2 dimensions"),
        (convolve2d, np.ones((5, 5)), np.full((3, 3), np.nan), r"kernel must contain only finite"),
        (convolve2d, np.ones((2, 2)), np.ones((3, 3)), r"does not fit along the height"),
    ],
)
def test_correlate2d_and_convolve2d_reject_bad_arguments(function, image, kernel, message) -> None:
    with pytest.raises(ValueError, match=message):
        function(image, kernel)


def test_fft_length_is_the_next_5_smooth_number() -> None:
    from convlessons.reference.conv import _fast_fft_length

    def smooth(n: int) -> bool:
        for p in (2, 3, 5):
            while n % p == 0:
                n //= p
        return n == 1

    for n in range(1, 300):
        assert _fast_fft_length(n) == next(m for m in range(n, 2 * n + 1) if smooth(m))


@pytest.mark.parametrize(
    ("channels", "kernel", "dilation", "groups"),
    [
        (3, (3, 5), (1, 1), 1),  # 16x16 overlap-save tiles
        (2, (3, 3), (4, 2), 2),  # dilated span 9: one transform of the whole image
        (17, (9, 9), (1, 1), 1),  # 289 channel pairs, span 9: 32x32 tiles
        (9, (5, 5), (6, 6), 1),  # 81 channel pairs, span 25: 64x64 tiles
        (1, (15, 15), (1, 1), 1),  # one channel pair: whole image
    ],
)
def test_fft_paths_match_torch_over_several_tiles(channels, kernel, dilation, groups) -> None:
    """Images spanning several tiles, so neighbouring tiles must abut exactly."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, channels, 47, 52))
    w = rng.standard_normal((channels, channels // groups, *kernel))
    kwargs = {"padding": 2, "dilation": dilation, "groups": groups}
    for stride in (1, 2):
        expected = torch_conv2d(x, w, None, stride=stride, **kwargs)
        out = conv2d(x, w, stride=stride, method="fft", **kwargs)
        np.testing.assert_allclose(out, expected, atol=1e-9 * np.abs(expected).max())


@pytest.mark.parametrize("method", ["direct", "im2col"])
def test_tap_methods_on_a_wide_image_with_groups(method: str) -> None:
    """Stride 1 reads the taps as slices of the flattened image: rows must not leak."""
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((2, 4, 9, 31)), rng.standard_normal((6, 2, 3, 4))
    expected = torch_conv2d(x, w, None, padding=(1, 2), dilation=(2, 3), groups=2)
    out = conv2d(x, w, padding=(1, 2), dilation=(2, 3), groups=2, method=method)
    np.testing.assert_allclose(out, expected, atol=1e-12 * np.abs(expected).max())


@pytest.mark.parametrize("band_bytes", [1, 2**15])
@pytest.mark.parametrize("stride", [1, (2, 1), 3])
def test_im2col_in_bands_of_a_few_output_rows(monkeypatch, band_bytes: int, stride) -> None:
    """One output row per band, or a few with a ragged last band: bands must abut, and the
    reused block must not carry rows over from the band before."""
    monkeypatch.setattr(conv_module, "_COLUMN_BAND_BYTES", band_bytes)
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((2, 4, 23, 17)), rng.standard_normal((6, 2, 3, 4))
    kwargs = {"stride": stride, "padding": (1, 2), "dilation": (2, 1), "groups": 2}
    expected = torch_conv2d(x, w, None, **kwargs)
    out = conv2d(x, w, method="im2col", **kwargs)
    np.testing.assert_allclose(out, expected, atol=1e-12 * np.abs(expected).max())
