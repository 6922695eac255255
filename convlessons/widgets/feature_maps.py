"""FeatureMapViewer: every channel of a layer of a trained CNN, with the filters that made it.

A view of :mod:`convlessons.hooks`: a ``layer`` dropdown and a ``channel`` slider over a
figure with all channels of the layer tiled in one image, the learned filters tiled beside
them, and the chosen channel shown large with its filter's numbers.
"""

from __future__ import annotations

import textwrap

import ipywidgets as widgets
import numpy as np
from torch import nn

from convlessons.hooks import capture_activations, filters_for, listed_layers, mosaic, tile_origin
from convlessons.widgets._base import FigurePanel, LessonWidget
from convlessons.widgets._grid import SIGNED_CMAP, NumberedGrid, highlight, symmetric_limits

__all__ = ["MAX_CHANNELS", "FeatureMapViewer"]

MAX_CHANNELS = 32
"""Channels shown per layer (the first ones); the tiles are laid out for this many."""

class FeatureMapViewer(LessonWidget):
    """All channels of one layer of a model for one input image, and the filters behind them.

    Controls: ``layer`` (``Dropdown`` of :func:`listed_layers`) and ``channel``
    (``IntSlider``: the channel outlined in the tiles and shown large, with its filter's
    values). Activations of every listed layer are captured in one forward pass at
    construction and by :meth:`set_input`; changing a control only redraws.

    ``output`` is the chosen layer's activation ``(C, H, W)`` (all channels, also those
    beyond the :data:`MAX_CHANNELS` shown), ``None`` if that layer's output is not a
    feature map; ``problem`` says why.

    Parameters
    ----------
    model
        A ``torch.nn.Module`` with at least one listed layer, e.g. a trained
        :class:`convlessons.models.SmallCNN`.
    image
        The input: ``(H, W)``, ``(C, H, W)`` or ``(1, C, H, W)``.
    controls, readouts
        Names of the controls and text readouts to show (default: all; see above). Hidden
        controls keep their values and can still be set from code.

    Names for ``controls=`` (:attr:`CONTROLS`): ``"layer"``, ``"channel"``; for
    ``readouts=`` (:attr:`READOUTS`): ``"info"`` (the layer and its output shape).
    """

    CONTROLS = {"layer": ("layer",), "channel": ("channel",)}
    READOUTS = {"info": ("info",)}

    def __init__(self, model: nn.Module, image: object,
                 controls: tuple[str, ...] | None = None,
                 readouts: tuple[str, ...] | None = None) -> None:
        super().__init__()
        names = listed_layers(model)  # raises TypeError unless model is a torch.nn.Module
        self.model = model
        if not names:
            raise ValueError("model must contain a Conv2d, ReLU, BatchNorm2d or MaxPool2d layer")
        self.activations = capture_activations(self.model, image)
        self.layer = widgets.Dropdown(options=names, value=names[0], description="layer")
        self.channel = widgets.IntSlider(value=0, min=0, max=0, description="channel")
        self.info = widgets.HTML()
        self._build_figure()
        self.children = [widgets.HBox([self.layer, self.channel]), self.figure_panel.widget,
                         self.info]
        self.add_class("convlessons-feature-maps")
        self._watch(self.layer, self.channel)
        self._start(controls, readouts)

    def set_input(self, image: object) -> None:
        """Run the model on a new image (one forward pass) and redraw.

        An image the model cannot take shows the message (the previous activations are
        dropped, so no control shows them as this image's).
        """

        def capture() -> None:
            self.activations = {}
            self.activations = capture_activations(self.model, image)

        self._run(capture)

    def _build_figure(self) -> None:
        self.figure_panel = FigurePanel(figsize=(10.0, 4.0), css_class="convlessons-fmap-figure")
        figure = self.figure_panel.figure
        self.maps_axes = figure.add_axes((0.01, 0.52, 0.52, 0.40))
        self.filters_axes = figure.add_axes((0.01, 0.03, 0.52, 0.40))
        self.channel_axes = figure.add_axes((0.56, 0.05, 0.27, 0.80))
        self.filter_axes = figure.add_axes((0.86, 0.30, 0.13, 0.40))
        blank = np.zeros((1, 1))
        self.maps_image = self.maps_axes.imshow(blank, cmap=SIGNED_CMAP, vmin=-1, vmax=1,
                                                interpolation="nearest")
        self.filters_image = self.filters_axes.imshow(blank, cmap=SIGNED_CMAP, vmin=-1, vmax=1,
                                                      interpolation="nearest")
        self.channel_image = self.channel_axes.imshow(blank, cmap=SIGNED_CMAP,
                                                      interpolation="nearest")
        self.filter_grid = NumberedGrid(self.filter_axes, cmap=SIGNED_CMAP, max_numbered=5)
        self.maps_outline = highlight(self.maps_axes, color="#000000", linewidth=1.5)
        self.filters_outline = highlight(self.filters_axes, color="#000000", linewidth=1.5)
        for axes in (self.maps_axes, self.filters_axes, self.channel_axes):
            axes.set_xticks([])
            axes.set_yticks([])
            axes.set_facecolor("#dddddd")
        self.maps_title = self.maps_axes.set_title("", fontsize=9)
        self.filters_title = self.filters_axes.set_title("", fontsize=9)
        self.channel_title = self.channel_axes.set_title("", fontsize=9)
        self.filter_axes.set_title("its filter", fontsize=9)
        self.problem_text = figure.text(0.5, 0.5, "", ha="center", va="center",
                                        bbox={"facecolor": "white", "edgecolor": "#b2182b"},
                                        fontsize=10, color="#b2182b", visible=False)
        self._result_artists = (self.maps_image, self.filters_image, self.channel_image,
                                self.maps_outline, self.filters_outline, self.filter_grid.image,
                                self.filter_grid.numbers)

    def _update(self) -> np.ndarray:
        name = self.layer.value
        if not self.activations:
            raise ValueError("no activations: give set_input an image the model takes")
        if name not in self.activations:
            raise ValueError(f"layer {name!r} is registered in the model but its forward "
                             "pass never calls it: pick another layer")
        maps = self.activations[name]
        if maps.ndim != 3:
            raise ValueError(f"layer {name!r} outputs shape {maps.shape}, not a feature map "
                             "(C, H, W); pick a layer before the classifier")
        shown = maps[:MAX_CHANNELS]
        self.channel.max = len(shown) - 1  # may clamp the channel (read just below)
        channel = self.channel.value
        tile = maps.shape[1:]
        self.maps_image.set_data(mosaic(shown))
        top, left = tile_origin(channel, tile)
        self.maps_outline.set_bounds(left - 0.5, top - 0.5, tile[1], tile[0])
        self.maps_title.set_text(f"{name}: {len(shown)} of {len(maps)} channels, "
                                 f"{tile[0]}×{tile[1]} (each scaled to its max |value|)")
        filters = filters_for(self.model, name)
        has_filters = filters is not None and len(filters) == len(maps)
        if has_filters:
            self.filters_image.set_data(mosaic(filters[:MAX_CHANNELS]))
            kernel = filters.shape[1:]
            top, left = tile_origin(channel, kernel)
            self.filters_outline.set_bounds(left - 0.5, top - 0.5, kernel[1], kernel[0])
            self.filter_grid.set_values(filters[channel])
            self.filters_title.set_text("filters of the conv that made them "
                                        "(mean over input channels)")
        else:
            self.filters_title.set_text("no conv filters for these channels")
        for axes, image in ((self.maps_axes, self.maps_image),
                            (self.filters_axes, self.filters_image)):
            rows, cols = image.get_array().shape
            image.set_extent((-0.5, cols - 0.5, rows - 0.5, -0.5))
            axes.set_xlim(-0.5, cols - 0.5)
            axes.set_ylim(rows - 0.5, -0.5)
        values = maps[channel]
        self.channel_image.set_data(values)
        self.channel_image.set_clim(*symmetric_limits(values))
        self.channel_image.set_extent((-0.5, tile[1] - 0.5, tile[0] - 0.5, -0.5))
        self.channel_axes.set_xlim(-0.5, tile[1] - 0.5)
        self.channel_axes.set_ylim(tile[0] - 0.5, -0.5)
        self.channel_title.set_text(f"channel {channel}: min {values.min():.3g}, "
                                    f"max {values.max():.3g}")
        for artist in self._result_artists:
            artist.set_visible(True)
        for artist in (self.filters_image, self.filters_outline, self.filter_grid.image,
                       self.filter_grid.numbers):
            artist.set_visible(has_filters)
        self.filter_axes.set_visible(has_filters)
        self.problem_text.set_visible(False)
        self.info.value = (
            f"<b>{name}</b> ({type(dict(self.model.named_modules())[name]).__name__}): "
            f"output {len(maps)} × {tile[0]} × {tile[1]}. Red = positive, blue = negative, "
            "white = 0."
        )
        return maps

    def _show_problem(self, message: str) -> None:
        for artist in self._result_artists:
            artist.set_visible(False)
        for text in (self.maps_title, self.filters_title, self.channel_title):
            text.set_text("")
        self.problem_text.set_text(textwrap.fill(message, 100))
        self.problem_text.set_visible(True)
        self.info.value = ""
