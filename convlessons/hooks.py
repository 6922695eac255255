"""What a model's layers output for one image, read with forward hooks, and the filters behind.

- :func:`listed_layers`: the Conv2d / ReLU / BatchNorm2d / MaxPool2d layers of a model;
- :func:`capture_activations`: all their outputs from ONE forward pass (hooks removed after);
- :func:`filters_for`: the conv filters that made a layer's channels;
- :func:`mosaic`, :func:`tile_origin`: many channels tiled into one image.

The view is :class:`convlessons.widgets.FeatureMapViewer`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from convlessons._validation import as_array, as_module
from convlessons.models import forward_checked

__all__ = [
    "COLUMNS",
    "LISTED_TYPES",
    "capture_activations",
    "filters_for",
    "listed_layers",
    "mosaic",
    "tile_origin",
]

LISTED_TYPES = (nn.Conv2d, nn.ReLU, nn.BatchNorm2d, nn.MaxPool2d)
"""Module types whose outputs the viewer offers."""

COLUMNS = 8
"""Tiles per row of a mosaic."""


def listed_layers(model: nn.Module) -> list[str]:
    """``named_modules()`` names of the model's Conv2d, ReLU, BatchNorm2d and MaxPool2d layers.

    In registration order, which is the forward order for ``nn.Sequential`` stacks such as
    :class:`convlessons.models.SmallCNN`'s ``features``.
    """
    model = as_module(model)
    return [name for name, module in model.named_modules() if isinstance(module, LISTED_TYPES)]


def _as_batch(image: object, model: nn.Module) -> torch.Tensor:
    """One image as a ``(1, C, H, W)`` tensor in the model's dtype (channels are checked by
    :func:`convlessons.models.forward_checked`)."""
    array = as_array(image, "image", ndim=(2, 3, 4), layout="(H, W), (C, H, W) or (1, C, H, W)")
    if array.ndim == 4 and array.shape[0] != 1:
        raise ValueError(f"image must hold a single image (N = 1), got shape {array.shape}")
    batch = array.reshape((1,) * (4 - array.ndim) + array.shape)
    if min(batch.shape[1:]) < 1:
        raise ValueError(f"image must have at least one channel, row and column, got shape "
                         f"{array.shape}")
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
        float numpy arrays, in :func:`listed_layers` order. A layer registered but not
        called by ``forward`` has no entry.

    Raises
    ------
    TypeError, ValueError
        Naming ``model`` or ``image``: not a module, an image with an empty axis, the
        wrong number of channels, or an image the model cannot take (too small for a
        kernel or a pooling window: torch's reason is quoted).
    """
    model = as_module(model)
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
            # channels, or an image smaller than a kernel or a pooling window: ValueError
            forward_checked(model, batch, f"image of shape {tuple(np.shape(image))}")
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return {name: _as_numpy(captured[name][0]) for name in names if name in captured}


def _as_numpy(tensor: torch.Tensor) -> np.ndarray:
    """A float32/float64 array (bfloat16 and float16 outputs widened to float32)."""
    if tensor.dtype not in (torch.float32, torch.float64):
        tensor = tensor.float()
    return tensor.numpy()


def filters_for(model: nn.Module, name: str) -> np.ndarray | None:
    """Filters of the ``Conv2d`` that produced layer ``name``'s channels, averaged over inputs.

    The conv is ``name`` itself or the last ``Conv2d`` registered before it (the BatchNorm,
    ReLU and pooling after a conv keep its channels). Returns ``weight.mean(axis=1)``,
    shape ``(C_out, kH, kW)`` (for one input channel, the filters themselves), or ``None``
    when no conv comes first.
    """
    model = as_module(model)
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
    if min(maps.shape) < 1:
        raise ValueError(f"maps must hold at least one non-empty map, got shape {maps.shape}")
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
