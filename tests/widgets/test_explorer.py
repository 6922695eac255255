"""ConvExplorer through its controls, headless (the model: tests/test_exploration.py)."""

import base64
import io
import itertools
import re

import numpy as np
import pytest
from matplotlib.image import imread
from oracles import torch_conv

from convlessons._format import format_number
from convlessons.arithmetic import conv_output_size
from convlessons.data import make_pattern
from convlessons.kernels import KERNELS
from convlessons.reference.padding import PADDING_MODES
from convlessons.widgets._controls import CUSTOM
from convlessons.widgets.explorer import ConvExplorer


def artist_counts(explorer):
    figure = explorer.figure_panel.figure
    return [len(figure.axes)] + [
        (len(ax.images), len(ax.patches), len(ax.collections), len(ax.texts), len(ax.lines))
        for ax in figure.axes
    ]


def test_view_output_matches_torch_for_the_controls():
    explorer = ConvExplorer(stride=2, padding=1)
    image = make_pattern("vertical_edge", 7)
    np.testing.assert_allclose(
        explorer.output, torch_conv(image, KERNELS["edge"], 2, 1), atol=1e-12
    )
    explorer.pattern.value = "checkerboard"
    explorer.size.value = 9
    explorer.kernel.preset.value = "sobel_y"
    explorer.dilation.value = 2
    explorer.padding_mode.value = "circular"
    expected = torch_conv(make_pattern("checkerboard", 9), KERNELS["sobel_y"], 2, 1, 2, "circular")
    np.testing.assert_allclose(explorer.output, expected, atol=1e-12)
    np.testing.assert_allclose(explorer.output_grid.values, expected, atol=1e-12)
    assert explorer.problem == ""
    assert "✓" in explorer.torch_html.value
    assert "mode='circular'" in explorer.torch_html.value


def test_the_picture_draws_the_highlight_of_the_position_and_the_live_figure_does_not():
    explorer = ConvExplorer(kernel="sobel_x", stride=2, padding=1, dilation=2)
    assert explorer.output.shape == (3, 3)  # ⌊(7 + 2 − 4 − 1)/2⌋ + 1
    explorer.position.value = 5  # output (1, 2)
    highlight = (explorer.window_box, explorer.taps, explorer.output_box)
    assert not any(artist.get_visible() for artist in highlight)  # the page's overlay shows it
    with explorer._highlight_in_figure():
        assert all(artist.get_visible() for artist in highlight)
        assert explorer.window_box.get_bbox().bounds == (2.5, 0.5, 5.0, 5.0)  # rows 1–5, cols 3–7
        assert explorer.output_box.get_bbox().bounds == (1.5, 0.5, 1.0, 1.0)
        centres = np.array([path.vertices[:4].mean(axis=0) for path in explorer.taps.get_paths()])
        expected = [(c, r) for r in (1, 3, 5) for c in (3, 5, 7)]  # (x, y) of the 9 taps
        np.testing.assert_allclose(centres, expected)
    assert not any(artist.get_visible() for artist in highlight)
    assert explorer.position_label.value.startswith("output (1, 2) ← window at rows 1–5")
    final = explorer.sum_html.value.rsplit("= ", 1)[1].removesuffix("</code>")
    assert final == format_number(explorer.output[1, 2])


def test_sum_text_matches_each_output_cell():
    explorer = ConvExplorer(kernel="gaussian_blur", pattern="digit", size=8, padding=1)
    for position in range(explorer.output.size):
        explorer.position.value = position
        row, col = divmod(position, explorer.output.shape[1])
        terms = re.findall(r"\((-?[\d.e+-]+)×(-?[\d.e+-]+)\)", explorer.sum_html.value)
        assert len(terms) == 9
        final = explorer.sum_html.value.rsplit("= ", 1)[1].removesuffix("</code>")
        assert final == format_number(explorer.output[row, col])


def test_the_position_is_clamped():
    explorer = ConvExplorer()
    assert explorer.position.max == explorer.output.size - 1 == 24
    explorer.position.value = 30
    assert explorer.position.value == 24
    explorer.position.value = -1
    assert explorer.position.value == 0
    explorer.position.value = 24
    explorer.stride.value = 3  # 2 × 2 outputs: the position is clamped to the last one
    assert explorer.position.value == explorer.position.max == 3
    assert explorer.position_label.value.startswith("output (1, 1)")


def test_selecting_an_output_cell_moves_the_position():
    explorer = ConvExplorer(size=9)
    explorer.select_output_cell(2, 4)
    assert explorer.position.value == 2 * 7 + 4
    explorer.select_output_cell(9, 0)  # outside: ignored
    assert explorer.position.value == 18


def test_convolution_mode_flips_the_kernel():
    explorer = ConvExplorer(kernel="sobel_x", padding=1)
    correlation = explorer.output.copy()
    assert "same output" not in explorer.mode_html.value
    explorer.mode.value = "convolution"
    image = make_pattern("vertical_edge", 7)
    np.testing.assert_allclose(
        explorer.output, torch_conv(image, KERNELS["sobel_x"][::-1, ::-1], padding=1), atol=1e-12
    )
    np.testing.assert_array_equal(explorer.output, -correlation)  # sobel_x is antisymmetric
    np.testing.assert_array_equal(explorer.kernel_grid.values, KERNELS["sobel_x"][::-1, ::-1])
    assert "flipped" in explorer.kernel_axes.title.get_text()
    largest = format_number(np.abs(2 * correlation).max())
    assert f"differ by up to {largest}" in explorer.mode_html.value
    assert "w.flip(-1, -2)" in explorer.torch_html.value and "✓" in explorer.torch_html.value
    explorer.kernel.preset.value = "edge"  # symmetric under a 180° rotation
    assert "same output" in explorer.mode_html.value


def test_custom_kernel_text_and_custom_image():
    image = np.arange(20.0).reshape(4, 5) / 20
    explorer = ConvExplorer(image=image, kernel=np.array([[1.0, -1.0]]))
    assert explorer.pattern.value == "custom" and explorer.size.disabled
    np.testing.assert_allclose(explorer.output, torch_conv(image, [[1, -1]]), atol=1e-12)
    explorer.kernel.custom.value = "1/2 0; 0 -1/2; 1 1"
    np.testing.assert_allclose(
        explorer.output, torch_conv(image, [[0.5, 0], [0, -0.5], [1, 1]]), atol=1e-12
    )
    explorer.kernel.custom.value = "1 2; 3"  # a typo keeps the last valid kernel
    assert explorer.kernel.error == "row 2 has 1 values, expected 2"
    assert explorer.output.shape == (2, 4)
    explorer.kernel.preset.value = "identity"
    explorer.pattern.value = "square"
    assert not explorer.size.disabled and explorer.output.shape == (5, 5)
    assert explorer.kernel.preset.value != CUSTOM


def test_impossible_settings_show_a_message_and_recover():
    explorer = ConvExplorer(kernel="gaussian_blur_5x5", size=5)
    images = len(explorer.output_axes.images)
    explorer.dilation.value = 3
    assert explorer.output is None
    assert "3·(5 − 1) + 1 = 13 pixels" in explorer.problem
    assert "n + 2p = 5 + 0 + 0 = 5" in explorer.problem
    assert explorer.problem_text.get_visible()
    assert "dilation 3" in explorer.problem_text.get_text().replace("\n", " ")
    assert not explorer.output_grid.image.get_visible()
    assert explorer.position.steps == [] and explorer.position.max == 0  # overlay hidden
    assert explorer.position_label.value == "no output for these settings"
    assert "⚠" in explorer.sum_html.value and "dilation 3" in explorer.sum_html.value
    with explorer._highlight_in_figure():
        assert not explorer.window_box.get_visible() and not explorer.taps.get_visible()
    assert "less than 1: no output" in explorer.formula_html.value
    assert "✓ torch refuses too" in explorer.torch_html.value
    explorer.position.value = 0  # stepping with no output is harmless
    explorer.padding.value = 3  # 5 + 6 = 11 < 13: still impossible
    assert explorer.output is None
    explorer.dilation.value = 2  # 9 <= 11
    assert explorer.problem == "" and explorer.output.shape == (3, 3)
    assert explorer.output_grid.image.get_visible() and not explorer.problem_text.get_visible()
    assert len(explorer.output_axes.images) == images

    tiny = ConvExplorer(image=np.ones((3, 3)), kernel="identity", padding=3, padding_mode="reflect")
    assert tiny.output is None
    assert "padding must be < 3" in tiny.problem and "reflect" in tiny.problem
    assert "mode='reflect'" in tiny.torch_html.value
    assert "✓ torch refuses too: Argument" in tiny.torch_html.value
    tiny.padding_mode.value = "circular"
    assert tiny.output is not None and tiny.output.shape == (7, 7)


@pytest.mark.parametrize(
    ("image", "size", "kernel"),
    [(None, 5, "gaussian_blur_5x5"), (None, 12, "sharpen"),
     (np.linspace(0, 1, 6).reshape(2, 3), 7, np.array([[1.0, -1.0]]))],
)
def test_every_slider_combination_gives_an_output_or_a_message(image, size, kernel):
    explorer = ConvExplorer(image=image, size=size, kernel=kernel)
    before = artist_counts(explorer)
    height, width = explorer._image().shape
    k_h, k_w = explorer.kernel.value.shape
    for mode, stride, padding, dilation in itertools.product(
        PADDING_MODES, range(1, 5), range(4), range(1, 4)
    ):
        explorer.padding_mode.value = mode
        explorer.stride.value = stride
        explorer.padding.value = padding
        explorer.dilation.value = dilation
        assert (explorer.output is None) != (explorer.problem == "")
        if explorer.output is not None:
            assert explorer.output.shape == (
                conv_output_size(height, k_h, stride, padding, dilation),
                conv_output_size(width, k_w, stride, padding, dilation),
            )
            assert 0 <= explorer.position.value <= explorer.position.max == explorer.output.size - 1
    assert artist_counts(explorer) == before


def test_controls_do_not_create_artists_and_the_figure_renders():
    explorer = ConvExplorer()
    before = artist_counts(explorer)
    for name, value in [
        ("stride", 2),
        ("padding", 3),
        ("dilation", 2),
        ("position", 4),
        ("padding_mode", "replicate"),
        ("mode", "convolution"),
        ("size", 11),
        ("pattern", "digit"),
        ("dilation", 3),
        ("size", 5),
    ]:
        getattr(explorer, name).value = value
        explorer.figure_panel.render()
    explorer.kernel.preset.value = "gaussian_blur_5x5"
    explorer.figure_panel.render()
    assert artist_counts(explorer) == before


def test_css_classes_and_panels():
    explorer = ConvExplorer()
    assert "convlessons-explorer" in explorer._dom_classes
    assert "convlessons-figure" in explorer.figure_panel.canvas._dom_classes
    assert "convlessons-formula" in explorer.formula_html._dom_classes
    assert "convlessons-position" in explorer.position_label._dom_classes
    assert explorer.figure_panel.canvas._data_url.startswith("data:image/png;base64,")
    for name in ("stride", "padding", "dilation"):
        assert getattr(explorer, name).description == name
    assert "convlessons-stepper" in explorer.position._dom_classes


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"stride": 5}, ValueError, "stride must be an int in 1…4, got 5"),
        ({"padding": -1}, ValueError, "padding must be an int in 0…3, got -1"),
        ({"dilation": 4}, ValueError, "dilation must be an int in 1…3, got 4"),
        ({"size": 13}, ValueError, "size must be an int in 5…12, got 13"),
        ({"stride": 1.5}, TypeError, "stride must be an int"),
        ({"padding_mode": "zero"}, ValueError, "padding_mode must be one of"),
        ({"mode": "conv"}, ValueError, "mode must be one of"),
        ({"pattern": "cat"}, ValueError, "pattern must be one of"),
        ({"kernel": "blur"}, ValueError, "kernel must be one of"),
        ({"kernel": np.ones((6, 6))}, ValueError, "kernel must be 1–5 × 1–5, got 6 × 6"),
        ({"image": np.ones((17, 4))}, ValueError, "image must be 1–16 × 1–16 pixels, got 17 × 4"),
        ({"image": np.ones((2, 2, 2))}, ValueError, "image must have 2 dimensions"),
    ],
)
def test_constructor_errors_name_the_parameter(kwargs, error, message):
    with pytest.raises(error) as info:
        ConvExplorer(**kwargs)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("kernel", "message"),
    [(np.ones(3), "kernel must have 2 dimensions"), (np.ones((2, 2, 2)), "2 dimensions"),
     (np.ones((0, 3)), "at least one row and one column"), (np.full((3, 3), np.nan), "finite"),
     ("edge", "real numeric array"), (None, "real numeric array")],
)
def test_a_kernel_set_from_code_is_shown_not_raised_and_the_next_recovers(kernel, message):
    explorer = ConvExplorer()
    explorer.kernel.value = kernel
    assert explorer.output is None and message in explorer.problem
    assert explorer.problem_text.get_visible()
    explorer.figure_panel.render()
    explorer.kernel.preset.value = "sobel_x"
    assert explorer.problem == "" and explorer.output.shape == (5, 5)


def test_no_pattern_is_shown_not_raised():
    explorer = ConvExplorer()
    explorer.pattern.value = None
    assert explorer.output is None and explorer.problem.startswith("pattern must be one of")
    explorer.pattern.value = "square"
    assert explorer.problem == ""


def orange_pixels(png: bytes) -> int:
    """How many pixels of a PNG have the highlight's colour (#e69f00)."""
    image = imread(io.BytesIO(png))[..., :3]
    return int(np.all(np.abs(image - np.array([0xE6, 0x9F, 0x00]) / 255) < 0.02, axis=-1).sum())


def test_pictures_show_the_highlight_of_the_current_position():
    explorer = ConvExplorer()
    stored = base64.b64decode(explorer.figure_panel.canvas._data_url.split(",", 1)[1])
    assert orange_pixels(stored) > 100  # the picture stored for kernel-less copies
    assert orange_pixels(explorer.figure_panel.png()) == 0  # the live figure: the overlay's job
    explorer.position.value = 24
    bundle = explorer._repr_mimebundle_()
    picture = base64.b64decode(bundle["image/png"])
    assert orange_pixels(picture) > 100
    assert picture == base64.b64decode(explorer.figure_panel.canvas._data_url.split(",", 1)[1])
    assert not explorer.window_box.get_visible()
