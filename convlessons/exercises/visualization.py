"""Checkers for ``10_visualization``: receptive fields of a trained CNN, oriented channels.

- :func:`check_layer_receptive_field` -- the receptive field (in input pixels) of one unit
  after a named layer of ``SmallCNN.features``.
- :func:`bar_images`, :func:`orientation_selectivity` -- how much more each first-block
  channel responds to a vertical bar than to a horizontal one.
- :func:`check_vertical_edge_channel` -- the learner's choice of the channel of the first
  conv layer that detects vertical edges.

The right receptive field comes from :func:`convlessons.arithmetic.receptive_field`
(checked against torch gradients in ``tests/test_arithmetic.py``); the generic mistakes
(jump, dilation) are recognised by :func:`convlessons.exercises.parameters.check_receptive_field`,
this module adds the ones a real CNN invites (padding, the pooling window).
"""

from __future__ import annotations

import numpy as np
import torch

from convlessons._validation import as_instance, as_int
from convlessons.arithmetic import layers_from_module, receptive_field
from convlessons.exercises import Verdict, checker, correct, wrong
from convlessons.exercises._answers import UnreadableAnswer, whole_number
from convlessons.exercises.parameters import check_receptive_field
from convlessons.models import SmallCNN

__all__ = [
    "bar_images",
    "check_layer_receptive_field",
    "check_vertical_edge_channel",
    "orientation_selectivity",
]

SELECTIVE_RATIO = 1.5
"""A channel whose vertical/horizontal response ratio reaches this prefers vertical bars."""


# -------------------------------------------------------------------- receptive field


def _features_up_to(model: SmallCNN, layer: str) -> torch.nn.Sequential:
    """``model.features`` from its first module up to and including ``layer``."""
    names = [name for name, _ in model.features.named_children()]
    if not isinstance(layer, str) or layer not in names:
        raise ValueError(f"layer must be one of {names}, got {layer!r}")
    return model.features[: names.index(layer) + 1]


@checker
def check_layer_receptive_field(answer: object, model: SmallCNN, layer: str) -> Verdict:
    """Check the receptive field of one unit of ``model.features.<layer>``, in input pixels.

    Expected: ``receptive_field(model.features[:i + 1]).size`` with ``i`` the position of
    ``layer`` (recurrence ``r_l = r_{l-1} + (k'_l - 1) j_{l-1}``, ``j_l = j_{l-1} s_l``,
    Araujo et al., Distill 2019). Hints, first match wins: padding counted as if it
    widened the kernel (``k + 2p``), the pooling window left out (its jump kept), then the
    mistakes :func:`~convlessons.exercises.parameters.check_receptive_field` recognises
    (the jump forgotten, ...).

    Raises
    ------
    TypeError, ValueError
        If ``model`` is not a ``SmallCNN`` or ``layer`` is not a name in ``model.features``.
    """
    block = _features_up_to(as_instance(model, "model", SmallCNN), layer)
    pools = [isinstance(module, torch.nn.MaxPool2d) for module in block
             if isinstance(module, (torch.nn.Conv2d, torch.nn.MaxPool2d))]
    layers = layers_from_module(block)
    yield
    try:
        value = whole_number(answer)
    except UnreadableAnswer:
        value = None  # check_receptive_field below says what to give
    if value is not None and value != receptive_field(layers).size:
        padded = [{**g, "kernel_size": g["kernel_size"] + 2 * g["padding"]} for g in layers]
        if receptive_field(padded).size == value:
            return wrong(f"{value}: padding does not change the receptive field. It adds "
                         "zeros around the input, so it moves where the windows sit but "
                         "not how many input pixels one window covers: use k, not k + 2p.")
        no_pool_window = [{**g, "kernel_size": 1} if pool else g
                          for g, pool in zip(layers, pools, strict=True)]
        if receptive_field(no_pool_window).size == value:
            return wrong(f"{value}: you kept the pooling's jump but forgot its own 2×2 "
                         "window: a pooling layer also adds (k − 1)·j pixels.")
    return check_receptive_field(answer, layers)


# -------------------------------------------------------------------- oriented channels


def bar_images(size: int = 28) -> tuple[torch.Tensor, torch.Tensor]:
    """A vertical and a horizontal white bar on black, each ``(1, 1, size, size)`` float32.

    The vertical bar is 2 pixels wide, centred, and spans the middle 70 % of the rows;
    the horizontal bar is its transpose.
    """
    size = as_int(size, "size", minimum=8)
    vertical = torch.zeros(1, 1, size, size)
    margin = round(0.15 * size)
    vertical[..., margin:size - margin, size // 2 - 1:size // 2 + 1] = 1.0
    return vertical, vertical.transpose(2, 3).contiguous()


def orientation_selectivity(model: SmallCNN) -> np.ndarray:
    """Vertical/horizontal response ratio of every channel of the first block.

    The response of channel ``c`` to an image is the mean over positions of
    ``max(a_c(image) - a_c(blank), 0)``, with ``a`` the output of ``features.relu1``
    (conv1 -> bn1 -> ReLU, in eval mode) and ``blank`` an all-zero image: what the bar
    adds to the channel's resting activation. The ratio is
    ``(response(vertical bar) + 1e-6) / (response(horizontal bar) + 1e-6)`` on
    :func:`bar_images` of the model's input size 28; above 1 the channel prefers vertical
    bars (vertical edges), below 1 horizontal ones.

    Returns
    -------
    numpy.ndarray
        float64, one ratio per output channel of ``features.conv1``.
    """
    block = _features_up_to(as_instance(model, "model", SmallCNN), "relu1")
    if model.in_channels != 1:
        raise ValueError(f"model.in_channels must be 1 (grayscale), got {model.in_channels}")
    vertical, horizontal = bar_images()
    like = next(model.parameters())
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            batch = torch.cat([vertical, horizontal, torch.zeros_like(vertical)])
            act = block(batch.to(like.device, like.dtype)).double().cpu()
    finally:
        model.train(was_training)
    added = (act[:2] - act[2:]).clamp(min=0).mean(dim=(2, 3))
    return ((added[0] + 1e-6) / (added[1] + 1e-6)).numpy()


@checker
def check_vertical_edge_channel(answer: object, model: SmallCNN) -> Verdict:
    """Check a channel index of ``features.conv1`` that responds to vertical edges.

    Accepted: every channel whose :func:`orientation_selectivity` ratio is at least
    ``SELECTIVE_RATIO`` (1.5), and always the channel with the highest ratio (a small
    network may have no strongly selective channel). Hints: an index out of range, a
    channel that prefers horizontal bars, one that responds about equally to both.
    """
    ratios = orientation_selectivity(model)
    channels = len(ratios)
    yield
    what = (f"a channel index of the first conv layer: a whole number from 0 to "
            f"{channels - 1} (it has {channels} output channels)")
    index = whole_number(answer, what)
    if not 0 <= index < channels:
        return wrong(f"Give {what}; you gave {index}.")
    best = int(np.argmax(ratios))
    ratio = float(ratios[index])
    if index == best or ratio >= SELECTIVE_RATIO:
        return correct(f"Channel {index} responds {ratio:.1f}× more to the vertical bar than "
                       "to the horizontal one: a vertical-edge detector.")
    if ratio <= 1 / SELECTIVE_RATIO:
        return wrong(f"Channel {index} prefers the *horizontal* bar (vertical/horizontal "
                     f"response ratio {ratio:.2f}): it detects horizontal edges. Look for a "
                     "channel lit by the vertical bar and dark on the horizontal one.")
    return wrong(f"Channel {index} responds about equally to both bars (ratio {ratio:.2f}): "
                 "it reacts to brightness, not to an orientation. Compare its feature maps "
                 "for the two bars; the channel you want is bright only for the vertical one.")
