"""What the widgets draw agrees with the prose: non-negative inputs bright where large, legible."""

import numpy as np
import pytest

from convlessons.exploration import ordinal
from convlessons.widgets import (
    ChannelExplorer,
    ConvExplorer,
    Im2colViewer,
    KernelPlayground,
    PoolingExplorer,
    TransposedConvExplorer,
)

INPUT_IMAGES = {
    ConvExplorer: lambda w: [w.input_grid.image],
    Im2colViewer: lambda w: [grid.image for grid in w.input_grids] + [w.columns_grid.image],
    TransposedConvExplorer: lambda w: (setattr(w.view, "value", "zero insertion"),
                                       [w.input_grid.image, w.zero_grid.image])[1],
    PoolingExplorer: lambda w: [w.input_grid.image, w.output_grid.image],
    ChannelExplorer: lambda w: [grid.image for grid in w.input_grids],
    KernelPlayground: lambda w: [w.photo_image],
}


@pytest.mark.parametrize("cls", list(INPUT_IMAGES), ids=lambda cls: cls.__name__)
def test_non_negative_inputs_are_drawn_with_gray(cls):
    widget = cls(size=32) if cls is KernelPlayground else cls()
    for image in INPUT_IMAGES[cls](widget):
        assert image.get_cmap().name == "gray"
        low, high = image.get_clim()
        assert image.get_cmap()(image.norm(high))[:3] == pytest.approx((1, 1, 1))  # max = white


def test_im2col_columns_numbered_at_default_settings_and_digits_fit_their_rows():
    viewer = Im2colViewer()
    grid = viewer.columns_grid
    assert len(grid.numbers.get_paths()) == viewer.result.columns.size
    box = grid.axes.get_window_extent()
    row_height = box.height / viewer.result.columns.shape[0]
    digit_height = max(path.get_extents().height for path in grid.numbers.get_paths())
    assert digit_height * grid.numbers.get_transform().get_matrix()[1, 1] < row_height


def test_grid_numbers_are_left_out_where_they_cannot_be_read():
    viewer = Im2colViewer()
    viewer.figure_panel.figure.set_size_inches(9, 2.0)  # rows of a pixel or two
    viewer.refresh()
    assert len(viewer.columns_grid.numbers.get_paths()) == 0
    assert viewer.output is not None


def test_ordinals():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "111th"]


def test_dilated_window_says_every_nth_pixel_correctly():
    explorer = ConvExplorer(dilation=3, size=9)
    assert "every 3rd pixel" in explorer.position_label.value
    explorer.dilation.value = 2
    assert "every 2nd pixel" in explorer.position_label.value


def test_kernel_that_does_not_fit_states_the_arithmetic_taught():
    explorer = ConvExplorer(image=np.ones((5, 5)), kernel=np.ones((5, 5)), padding=3,
                            dilation=3)
    assert explorer.output is None
    assert "3·(5 − 1) + 1 = 13" in explorer.problem
    assert "5 + 3 + 3 = 11" in explorer.problem
    explorer.dilation.value = 1
    assert explorer.output.shape == (7, 7) and explorer.problem == ""


def test_transposed_overlap_readout_claims_only_what_the_counts_show():
    explorer = TransposedConvExplorer(kernel_size=4, stride=2, input_size=4)
    text = explorer.checkerboard_html.value
    assert "uniform interior" in text and "checkerboard" not in text.lower()
    explorer.kernel_size.value = 3
    assert "checkerboard" in explorer.checkerboard_html.value
