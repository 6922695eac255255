"""Checkers for ``10_visualization``: reading a trained CNN from the inside.

- :func:`check_my_capture` -- the learner's ``fn(model, layer_name, x)`` must return one
  layer's output with a forward hook, as it was when the layer ran (even when an in-place
  ReLU overwrites it afterwards), and leave no hook behind.
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

import copy
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from convlessons._validation import as_instance, as_int
from convlessons.arithmetic import layers_from_module, receptive_field
from convlessons.exercises import Verdict, checker, correct, wrong
from convlessons.exercises._answers import (
    UnreadableAnswer,
    learner_array,
    not_a_function,
    whole_number,
)
from convlessons.exercises._torch_cases import one_thread, torch_seeded
from convlessons.exercises.parameters import check_receptive_field
from convlessons.models import SmallCNN

__all__ = [
    "bar_images",
    "check_layer_receptive_field",
    "check_my_capture",
    "check_vertical_edge_channel",
    "orientation_selectivity",
]

SELECTIVE_RATIO = 1.5
"""A channel whose vertical/horizontal response ratio reaches this prefers vertical bars."""


# -------------------------------------------------------------------- capturing with a hook


@dataclass(frozen=True)
class _CaptureCase:
    """A small eval-mode model, the name of one of its layers, an input batch ``x`` and what
    :func:`_record` saw when the model ran on ``x``."""

    model: nn.Module
    layer_name: str
    x: torch.Tensor
    what: str
    record: dict[str, dict[str, np.ndarray]]

    def describe(self) -> str:
        return (f"layer_name={self.layer_name!r} ({self.what}), x of shape "
                f"{tuple(self.x.shape)}")


def _capture_models(rng: np.random.Generator) -> list[tuple[nn.Module, str, int, str, bool]]:
    """``(model, layer_name, in_channels, what, overwritten)`` for three fresh little CNNs in
    eval mode with random BatchNorm statistics: a BatchNorm inside a sub-module followed by an
    in-place ReLU, a conv with ``C_in ≠ C_out`` followed by an in-place ReLU (default
    integer names), a conv inside a sub-module followed by a BatchNorm (input and output of
    the same shape). ``overwritten``: an in-place op changes the layer's output later."""

    def some(low: int, high: int) -> int:
        return int(rng.integers(low, high + 1))

    c_in, channels = some(1, 3), some(2, 4)
    widened = channels + some(1, 2)
    with torch_seeded(int(rng.integers(2**31))), torch.no_grad():
        models = [
            (nn.Sequential(OrderedDict(
                features=nn.Sequential(OrderedDict(
                    conv=nn.Conv2d(c_in, channels, 3, padding=1, bias=False),
                    bn=nn.BatchNorm2d(channels), relu=nn.ReLU(inplace=True))),
                gap=nn.AdaptiveAvgPool2d(1), flatten=nn.Flatten(),
                classifier=nn.Linear(channels, some(2, 4)))),
             "features.bn", c_in, "a BatchNorm inside `features`, an in-place ReLU after it", True),
            (nn.Sequential(nn.Conv2d(c_in, widened, some(2, 3)), nn.ReLU(inplace=True),
                           nn.Conv2d(widened, channels, 3, padding=1), nn.BatchNorm2d(channels),
                           nn.ReLU(inplace=True)),
             "0", c_in, f"a conv from {c_in} to {widened} channels, an in-place ReLU after it",
             True),
            (nn.Sequential(OrderedDict(
                stem=nn.Sequential(nn.Conv2d(c_in, channels, 3, padding=1), nn.ReLU()),
                block=nn.Sequential(OrderedDict(
                    conv=nn.Conv2d(channels, channels, 3, padding=1),
                    bn=nn.BatchNorm2d(channels), relu=nn.ReLU(inplace=True))))),
             "block.conv", c_in, "a conv inside `block`, its input the same shape as its output",
             False),
        ]
        for model, *_ in models:
            for layer in model.modules():
                if isinstance(layer, nn.BatchNorm2d):
                    layer.weight.uniform_(0.5, 1.5)
                    layer.bias.normal_(0.0, 0.5)
                    layer.running_mean.normal_(0.0, 0.3)
                    layer.running_var.uniform_(0.5, 2.0)
            model.eval()
    return models


def _record(model: nn.Module, x: torch.Tensor) -> dict[str, dict[str, np.ndarray]]:
    """For every leaf layer of a copy of ``model`` run on ``x``: its ``input`` and ``output``
    copied when it ran, and ``kept`` -- its output read after the whole pass through a tensor
    sharing its storage (what a hook without a copy is left with)."""
    model = copy.deepcopy(model)
    seen: dict[str, dict[str, torch.Tensor]] = {}

    def hook_for(name: str):
        def hook(_module: nn.Module, inputs: tuple[torch.Tensor, ...],
                 output: torch.Tensor) -> None:
            seen[name] = {"input": inputs[0].detach().clone(), "output": output.detach().clone(),
                          "kept": output.detach()}

        return hook

    for name, layer in model.named_modules():
        if not list(layer.children()):
            layer.register_forward_hook(hook_for(name))
    with torch.no_grad():
        final = model(x.clone())
    record = {name: {key: value.double().numpy() for key, value in tensors.items()}
              for name, tensors in seen.items()}
    record[""] = {"output": final.double().numpy()}
    return record


def _capture_cases(rng: np.random.Generator) -> list[_CaptureCase]:
    """:func:`_capture_models` with inputs of random batch size (1–3) and side (5–9). Where
    an in-place ReLU follows the layer, ``x`` is drawn again (a few times at most) until the
    ReLU really overwrites some of the layer's output: it has negative values."""
    cases = []
    for model, name, c_in, what, overwritten in _capture_models(rng):
        for _attempt in range(20):
            shape = (int(rng.integers(1, 4)), c_in, *rng.integers(5, 10, size=2))
            x = torch.from_numpy(rng.standard_normal(shape).astype(np.float32))
            record = _record(model, x)
            if not overwritten or (record[name]["output"] < 0).any():
                break
        cases.append(_CaptureCase(model, name, x, what, record))
    return cases


def _hooks_on(model: nn.Module) -> list[str]:
    """Names of the layers of ``model`` that hold a forward hook or forward pre-hook."""
    return [name or "the model itself" for name, layer in model.named_modules()
            if layer._forward_hooks or layer._forward_pre_hooks]


def _capture_error_hint(error: BaseException | None) -> str:
    if isinstance(error, KeyError | AttributeError):
        return ("Find the layer by its full name: dict(model.named_modules())[layer_name] "
                "(or model.get_submodule(layer_name)) also reaches layers inside sub-modules, "
                "such as 'features.bn'.")
    if isinstance(error, TypeError) and "positional argument" in str(error):
        return "PyTorch calls a forward hook with three arguments: hook(module, inputs, output)."
    return ""


def _capture_hint(result: np.ndarray, record: dict[str, dict[str, np.ndarray]],
                  case: _CaptureCase) -> str:
    """The slip a wrong capture reproduces: the overwritten copy, the input, the batch axis,
    another layer's output; else what differs."""
    want = record[case.layer_name]
    start = f"On {case.describe()}"

    def same(candidate: np.ndarray) -> bool:
        return result.shape == candidate.shape and np.allclose(result, candidate, rtol=1e-4,
                                                               atol=1e-5)

    if same(want["kept"]):
        return (f"{start} you returned the values as they were after the whole forward pass: "
                "the in-place ReLU after the layer overwrote them. Your hook saw the right "
                "values when it ran, but what you kept shares its storage with the layer's "
                "output (detach() does not copy), so the in-place ReLU changed your copy "
                "too. Keep a copy of its own.")
    if same(want["input"]):
        return (f"{start} you returned the layer's input. A forward hook receives "
                "(module, inputs, output): inputs is what went into the layer.")
    if result.shape == want["output"].shape[1:]:
        return (f"{start} your result has shape {result.shape}, the layer's output "
                f"{want['output'].shape}: return it whole, batch axis included.")
    for name, seen in record.items():
        if name != case.layer_name and same(seen["output"]):
            layer = f"layer {name!r}" if name else "the whole model (its logits)"
            return (f"{start} you returned the output of {layer}, not of "
                    f"{case.layer_name!r}. Hook the layer named layer_name.")
    if result.shape != want["output"].shape:
        return (f"{start} your result has shape {result.shape}; the layer's output has "
                f"shape {want['output'].shape}.")
    return (f"{start} your values are not the layer's output for x (largest difference "
            f"{np.abs(result - want['output']).max():.3g}). Run the model once on x, "
            "as it is (it is already in eval mode), and keep what the hook receives.")


@checker
def check_my_capture(answer: object) -> Verdict:
    """Run the learner's ``my_capture(model, layer_name, x)`` on three fresh little models.

    Each call builds three small CNNs with fresh random weights and BatchNorm statistics
    (under ``torch.random.fork_rng``, so the notebook's own random draws do not change), in
    eval mode: a BatchNorm inside a sub-module followed by ``ReLU(inplace=True)``, a conv
    with ``C_in ≠ C_out`` followed by an in-place ReLU, a conv inside a sub-module whose
    input and output have the same shape. ``x`` is a float32 batch of 1–3 random images
    (5–9 pixels a side); each call runs under
    :data:`~convlessons.exercises._answers.TIME_LIMIT`. The result must equal the layer's
    output as it was when the layer ran (``rtol=1e-4``, ``atol=1e-5``), with its batch axis,
    and afterwards no layer of the model may hold a forward hook or pre-hook. Hints: the
    values left after an in-place ReLU overwrote them (no copy), the layer's input instead
    of its output, the batch axis dropped, another layer's output, a hook left registered,
    a layer looked up by attribute (``KeyError``/``AttributeError``), a hook with the wrong
    signature.
    """
    rng = np.random.default_rng()
    with one_thread():
        cases = _capture_cases(rng)
    yield
    if (refusal := not_a_function(answer, "my_capture")) is not None:
        return refusal
    for case in cases:
        record = case.record
        with one_thread():
            result = learner_array(answer, (case.model, case.layer_name, case.x.clone()),
                                   case=case.describe(), returns='captured["output"]',
                                   error_hint=_capture_error_hint)
        left = _hooks_on(case.model)
        leftover = (f"Your hook is still registered on {', '.join(map(repr, left))}: every "
                    "later forward pass of the model calls it again. Keep the handle that "
                    "register_forward_hook returns and remove the hook, also when the forward "
                    "pass fails.") if left else ""
        want = record[case.layer_name]["output"]
        if not (result.shape == want.shape and np.allclose(result, want, rtol=1e-4,
                                                           atol=1e-5)):
            return wrong(" ".join(text for text in (_capture_hint(result, record, case),
                                                    leftover) if text))
        if left:
            return wrong(f"On {case.describe()} the values are right. {leftover}")
    return correct(f"Your function returned the output each layer had when it ran, on "
                   f"{len(cases)} fresh models: {'; '.join(case.what for case in cases)}. "
                   "No hook was left behind.")


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
