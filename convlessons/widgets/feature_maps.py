"""What a trained CNN's layers see: every channel of a layer, with the filters that made it.

Model
    :func:`listed_layers`, :func:`capture_activations` (one forward pass with forward hooks,
    removed afterwards), :func:`filters_for`, :func:`mosaic` -- plain functions.
View
    :class:`FeatureMapViewer` -- a ``layer`` dropdown and a ``channel`` slider over a figure
    with all channels of the layer tiled in one image, the learned filters tiled beside
    them, and the chosen channel shown large with its filter's numbers.
"""

from __future__ import annotations

import textwrap
from typing import Any

import ipywidgets as widgets
import numpy as np
import torch
from torch import nn

from convlessons._validation import as_array
from convlessons.widgets._base import FigurePanel, LessonWidget
from convlessons.widgets._grid import SIGNED_CMAP, NumberedGrid, highlight, symmetric_limits

__all__ = [
    "LISTED_TYPES",
    "MAX_CHANNELS",
    "FeatureMapViewer",
    "capture_activations",
    "filters_for",
    "listed_layers",
    "mosaic",
    "tile_origin",
]

LISTED_TYPES = (nn.Conv2d, nn.ReLU, nn.BatchNorm2d, nn.MaxPool2d)
"""Module types whose outputs the viewer offers."""

MAX_CHANNELS = 32
"""Channels shown per layer (the first ones); the tiles are laid out for this many."""

COLUMNS = 8
"""Tiles per row of a mosaic."""


def _check_model(model: object) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return model


def listed_layers(model: nn.Module) -> list[str]:
    """``named_modules()`` names of the model's Conv2d, ReLU, BatchNorm2d and MaxPool2d layers.

    In registration order, which is the forward order for ``nn.Sequential`` stacks such as
    :class:`convlessons.models.SmallCNN`'s ``features``.
    """
    model = _check_model(model)
    return [name for name, module in model.named_modules() if isinstance(module, LISTED_TYPES)]


def _as_batch(image: object, model: nn.Module) -> torch.Tensor:
    """One image as a ``(1, C, H, W)`` tensor in the model's dtype, channels checked."""
    array = as_array(image, "image", ndim=(2, 3, 4), layout="(H, W), (C, H, W) or (1, C, H, W)")
    if array.ndim == 4 and array.shape[0] != 1:
        raise ValueError(f"image must hold a single image (N = 1), got shape {array.shape}")
    batch = array.reshape((1,) * (4 - array.ndim) + array.shape)
    conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    if conv is not None and batch.shape[1] != conv.in_channels:
        raise ValueError(
            f"image must have {conv.in_channels} channel(s) (the first Conv2d's in_channels), "
            f"got shape {array.shape}"
        )
    parameter = next(model.parameters(), None)
    dtype = parameter.dtype if parameter is not None else torch.float32
    return torch.as_tensor(np.ascontiguousarray(batch)).to(dtype)


def capture_activations(model: nn.Module, image: object) -> dict[str, np.ndarray]:
    """Outputs of every :func:`listed_layers` layer, from ONE forward pass.

    A forward hook on each listed layer copies its output (``detach().clone()``, so an
    in-place ReLU later cannot change it); the hooks are removed in a ``finally`` block.
    The pass runs in eval mode (BatchNorm uses its running statistics) without
    gradients, and the model's previous train/eval mode is restored.

    Parameters
    ----------
    model
        Any ``torch.nn.Module`` that accepts a ``(1, C, H, W)`` batch.
    image
        ``(H, W)``, ``(C, H, W)`` or ``(1, C, H, W)`` array or tensor; ``C`` must match
        the first ``Conv2d``'s ``in_channels``.

    Returns
    -------
    dict
        Layer name -> output without the batch axis (``(C, H, W)`` for feature maps), as
        float numpy arrays, in :func:`listed_layers` order.
    """
    model = _check_model(model)
    batch = _as_batch(image, model)
    captured: dict[str, torch.Tensor] = {}

    def hook_for(name: str):
        def hook(_module: nn.Module, _inputs: Any, output: torch.Tensor) -> None:
            captured[name] = output.detach().clone()

        return hook

    modules = dict(model.named_modules())
    names = listed_layers(model)
    handles = [modules[name].register_forward_hook(hook_for(name)) for name in names]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(batch)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return {name: captured[name][0].numpy() for name in names if name in captured}


def filters_for(model: nn.Module, name: str) -> np.ndarray | None:
    """Filters of the ``Conv2d`` that produced layer ``name``'s channels, averaged over inputs.

    The conv is ``name`` itself or the last ``Conv2d`` registered before it (the BatchNorm,
    ReLU and pooling after a conv keep its channels). Returns ``weight.mean(axis=1)``,
    shape ``(C_out, kH, kW)`` (for one input channel, the filters themselves), or ``None``
    when no conv comes first.
    """
    model = _check_model(model)
    conv = None
    for module_name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            conv = module
        if module_name == name:
            break
    else:
        raise ValueError(f"name must be one of the model's layers {listed_layers(model)}, "
                         f"got {name!r}")
    if conv is None:
        return None
    return conv.weight.detach().to(torch.float64).mean(dim=1).numpy()


def tile_origin(index: int, tile_shape: tuple[int, int], gap: int = 1) -> tuple[int, int]:
    """Top-left ``(row, col)`` of tile ``index`` in a :func:`mosaic` of ``COLUMNS`` columns."""
    height, width = tile_shape
    return (index // COLUMNS) * (height + gap), (index % COLUMNS) * (width + gap)


def mosaic(maps: np.ndarray, gap: int = 1) -> np.ndarray:
    """Tile ``(C, h, w)`` maps into one image, ``COLUMNS`` per row, each scaled to ``[-1, 1]``.

    Tile ``c`` is ``maps[c] / max|maps[c]|`` (all-zero maps stay 0) at
    :func:`tile_origin`; the ``gap``-pixel gutters are NaN (drawn as background).
    """
    maps = as_array(maps, "maps", ndim=3, layout="(C, h, w)")
    count, height, width = maps.shape
    rows = -(-count // COLUMNS)
    columns = min(count, COLUMNS)
    image = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap), np.nan)
    scale = np.abs(maps).reshape(count, -1).max(axis=1)
    scale[scale == 0] = 1.0
    for index in range(count):
        top, left = tile_origin(index, (height, width), gap)
        image[top:top + height, left:left + width] = maps[index] / scale[index]
    return image


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
    """

    def __init__(self, model: nn.Module, image: object) -> None:
        super().__init__()
        self.model = _check_model(model)
        names = listed_layers(self.model)
        if not names:
            raise ValueError("model must contain a Conv2d, ReLU, BatchNorm2d or MaxPool2d layer")
        self.output: np.ndarray | None = None
        self.problem = ""
        self._clamping = False
        self.activations = capture_activations(self.model, image)
        self.layer = widgets.Dropdown(options=names, value=names[0], description="layer")
        self.channel = widgets.IntSlider(value=0, min=0, max=0, description="channel")
        self.info = widgets.HTML()
        self._build_figure()
        self.children = [widgets.HBox([self.layer, self.channel]), self.figure_panel.widget,
                         self.info]
        self.add_class("convlessons-feature-maps")
        self._watch(self.layer, self.channel)
        self.refresh()
        self.figure_panel.store_static_image()

    def _on_change(self, _change: dict | None = None) -> None:
        if not self._clamping:
            self.refresh()

    def set_input(self, image: object) -> None:
        """Run the model on a new image (one forward pass) and redraw."""
        self.activations = capture_activations(self.model, image)
        self.refresh()

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

    def _update(self) -> None:
        name = self.layer.value
        maps = self.activations[name]
        if maps.ndim != 3:
            raise ValueError(f"layer {name!r} outputs shape {maps.shape}, not a feature map "
                             "(C, H, W); pick a layer before the classifier")
        shown = maps[:MAX_CHANNELS]
        self._clamping = True  # a smaller max clamps channel.value: no nested refresh
        self.channel.max = len(shown) - 1
        self._clamping = False
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
        self.output, self.problem = maps, ""
        self.figure_panel.redraw()

    def _show_problem(self, message: str) -> None:
        for artist in self._result_artists:
            artist.set_visible(False)
        for text in (self.maps_title, self.filters_title, self.channel_title):
            text.set_text("")
        self.problem_text.set_text(textwrap.fill(message, 100))
        self.problem_text.set_visible(True)
        self.info.value = ""
        self.output, self.problem = None, message
        self.figure_panel.redraw()
