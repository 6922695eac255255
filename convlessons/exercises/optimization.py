"""Checkers for ``11_optimization``: conv-BatchNorm fusion, channel pruning, a safe ratio.

- :func:`check_my_fuse_conv_bn` -- the learner's ``fn(conv, bn)`` must return one
  ``nn.Conv2d`` that computes ``bn(conv(x))`` (eval mode) on fresh random pairs, with and
  without a conv bias, with an ``eps`` and running variances that make each slip visible.
- :func:`check_my_prune` -- the learner's ``fn(conv1, bn1, conv2, keep)`` must return the
  block ``conv1 → bn1 → ReLU → conv2`` without the channels not in ``keep``, equal to the
  original block with those channels zeroed after the ReLU.
- :func:`check_pruning_ratio` -- a ratio for :func:`convlessons.models.prune_channels`
  that, after a short fine-tune, keeps test accuracy within a tolerance of the original.

Each fusion slip is the right formula with one piece changed (variance instead of
``sqrt(var + eps)``, no ``eps``, the conv bias or ``beta`` or ``mu`` dropped, weight not
scaled), so a hint names a slip that reproduces the learner's numbers. The layers given to
the learner are built under ``torch.random.fork_rng``: a check does not change the
notebook's later random draws.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from convlessons._validation import as_instance, as_int, as_real
from convlessons.exercises import Verdict, checker, correct, wrong
from convlessons.exercises._answers import (
    LearnerFunctionFailed,
    call_learner,
    entries,
    learner_array,
    not_a_function,
    real_number,
)
from convlessons.exercises._torch_cases import one_thread, torch_seeded
from convlessons.models import SmallCNN, accuracy, prune_channels, train

__all__ = ["check_my_fuse_conv_bn", "check_my_prune", "check_pruning_ratio"]

RTOL = 1e-4
"""Relative tolerance of the fusion and pruning checks (float32 layers against float64)."""


def _close(value: np.ndarray, expected: np.ndarray) -> bool:
    """Same shape and ``allclose`` within :data:`RTOL`, the absolute tolerance scaled to the
    largest expected value."""
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    return value.shape == expected.shape and np.allclose(value, expected, rtol=RTOL,
                                                         atol=RTOL * scale)


def _numpy(tensor: torch.Tensor | None) -> np.ndarray | None:
    return None if tensor is None else tensor.detach().double().cpu().numpy()


def _geometry(conv: nn.Conv2d) -> dict[str, object]:
    return {name: getattr(conv, name) for name in ("stride", "padding", "dilation", "groups",
                                                   "padding_mode")}


def _geometry_hint(got: nn.Conv2d, want: nn.Conv2d, which: str) -> str | None:
    """Which of stride, padding, dilation, groups, padding_mode ``got`` changed, or None."""
    changed = [f"{name} {value} instead of {_geometry(want)[name]}"
               for name, value in _geometry(got).items() if value != _geometry(want)[name]]
    if not changed:
        return None
    return (f"{which} has {', '.join(changed)}: a layer you build yourself must copy the "
            "original's stride, padding, dilation and groups (a deepcopy keeps them).")


def _module_call(module: nn.Module, x: torch.Tensor, case: str, returns: str) -> np.ndarray:
    """The learner's layer(s) run on ``x`` (cast to their dtype) under the time limit."""
    like = next(module.parameters(), None)
    dtype = like.dtype if like is not None and like.is_floating_point() else x.dtype
    with torch.no_grad():
        return learner_array(module, (x.to(dtype),), case=case, returns=returns)


# -------------------------------------------------------------------- fusion


@dataclass(frozen=True)
class _FusionCase:
    """A float32 conv and the BatchNorm after it (both in eval mode), an input batch and
    ``bn(conv(x))`` computed in float64."""

    conv: nn.Conv2d
    bn: nn.BatchNorm2d
    x: torch.Tensor
    expected: np.ndarray
    what: str

    def describe(self) -> str:
        conv, bn = self.conv, self.bn
        return (f"conv = nn.Conv2d({conv.in_channels}, {conv.out_channels}, "
                f"{conv.kernel_size[0]}, stride={conv.stride[0]}, padding={conv.padding[0]}, "
                f"dilation={conv.dilation[0]}, groups={conv.groups}, "
                f"bias={conv.bias is not None}) and bn with eps={bn.eps:.3g}")


def _fusion_cases(rng: np.random.Generator) -> list[_FusionCase]:
    """Three fresh pairs: no conv bias (as in SmallCNN); a conv bias; a bias with stride 2,
    dilation 2 and 2 groups. BatchNorm: ``eps`` 0.05–0.3, running variances 0.005–0.05 (so
    ``√σ²`` and ``σ² + ε`` differ from ``√(σ² + ε)`` by a factor of at least 1.4), running
    means N(0, 1), ``|γ|`` 0.5–2 of either sign, ``β`` N(0, 1); conv biases N(0, 1)."""

    def some(low: int, high: int) -> int:
        return int(rng.integers(low, high + 1))

    specs = [
        (False, 1, 1, 1, 1, "no conv bias"),
        (True, 1, some(0, 1), 1, 1, "a conv bias"),
        (True, 2, some(1, 2), 2, 2, "a conv bias, stride 2, dilation 2, 2 groups"),
    ]
    cases = []
    with torch_seeded(int(rng.integers(2**31))), torch.no_grad():
        for bias, stride, padding, dilation, groups, what in specs:
            c_in, c_out = groups * some(1, 2), groups * some(1, 3)
            conv = nn.Conv2d(c_in, c_out, some(1, 3) if groups == 1 else 3, stride=stride,
                             padding=padding, dilation=dilation, groups=groups, bias=bias)
            if bias:
                conv.bias.normal_()
            bn = nn.BatchNorm2d(c_out, eps=float(rng.uniform(0.05, 0.3)))
            signs = torch.randint(0, 2, (c_out,)) * 2 - 1
            bn.weight.copy_(signs * torch.empty(c_out).uniform_(0.5, 2.0))
            bn.bias.normal_()
            bn.running_mean.normal_()
            bn.running_var.uniform_(0.005, 0.05)
            conv.eval()
            bn.eval()
            x = torch.randn(some(1, 2), c_in, some(5, 8), some(5, 8))
            expected = copy.deepcopy(bn).double()(copy.deepcopy(conv).double()(x.double()))
            cases.append(_FusionCase(conv, bn, x, expected.numpy(), what))
    return cases


def _fusion_pieces(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> dict[str, np.ndarray]:
    """``W, b, gamma, beta, mu, var, eps`` of the pair as float64 numpy arrays."""
    zeros = np.zeros(conv.out_channels)
    return {"W": _numpy(conv.weight), "b": zeros if conv.bias is None else _numpy(conv.bias),
            "gamma": _numpy(bn.weight), "beta": _numpy(bn.bias), "mu": _numpy(bn.running_mean),
            "var": _numpy(bn.running_var), "eps": np.float64(bn.eps)}


_VARIANCE = "you divided by σ² + ε, the variance; BatchNorm divides by the standard deviation."
_NO_EPS = "you forgot ε: BatchNorm adds its eps to the variance before the square root."


def _weight_mistakes(p: dict[str, np.ndarray]) -> list[tuple[np.ndarray, str]]:
    def scaled(scale: np.ndarray) -> np.ndarray:
        return p["W"] * scale.reshape(-1, 1, 1, 1)

    return [
        (scaled(p["gamma"] / (p["var"] + p["eps"])), _VARIANCE),
        (scaled(p["gamma"] / np.sqrt(p["var"])), _NO_EPS),
        (scaled(1 / np.sqrt(p["var"] + p["eps"])), "you forgot γ (bn.weight) in the scale."),
        (p["W"], "the weight is not scaled: BatchNorm multiplies each output channel by its "
                 "own factor, so each output filter of the conv must be multiplied by it."),
    ]


def _bias_mistakes(p: dict[str, np.ndarray], scale: np.ndarray) -> list[tuple[np.ndarray, str]]:
    return [
        (-p["mu"] * scale + p["beta"],
         "you left out the conv's own bias b: it passes through BatchNorm with the rest of the "
         "conv's output."),
        ((p["b"] - p["mu"]) * scale,
         "you forgot β (bn.bias): BatchNorm adds it after scaling."),
        (p["b"] * scale + p["beta"], "you forgot to subtract the running mean μ."),
        ((p["b"] - p["mu"]) * p["gamma"] / (p["var"] + p["eps"]) + p["beta"], _VARIANCE),
        ((p["b"] - p["mu"]) * p["gamma"] / np.sqrt(p["var"]) + p["beta"], _NO_EPS),
        (p["b"] - p["mu"] * scale + p["beta"],
         "the conv's bias must be scaled too: BatchNorm scales everything the conv outputs, "
         "its bias included."),
    ]


def _nearest_hint(value: np.ndarray, mistakes: list[tuple[np.ndarray, str]]) -> str | None:
    """The hint of the mistake ``value`` matches, or ``None``. When a draw makes two mistakes
    agree within the tolerance (one channel can), the nearer one is the learner's."""
    matches = [(float(np.abs(value - expected).max(initial=0.0)), hint)
               for expected, hint in mistakes if _close(value, expected)]
    return min(matches, key=lambda match: match[0])[1] if matches else None


def _fusion_error_hint(error: BaseException | None) -> str:
    if isinstance(error, TypeError) and "NoneType" in str(error):
        return ("conv.bias is None when the conv has no bias (like SmallCNN's): count its "
                "bias as 0 then.")
    return ""


def _fusion_problem(fused: object, case: _FusionCase) -> str | None:
    """What is wrong with the learner's fused layer for ``case``, or ``None``."""
    start = f"With {case.describe()}"
    if not isinstance(fused, nn.Conv2d):
        kind = "None" if fused is None else f"a {type(fused).__name__}"
        hint = " (did you forget `return fused`?)" if fused is None else ""
        return (f"{start} your function returned {kind}{hint}. Return the fused layer itself: "
                "one nn.Conv2d.")
    weight_shape = tuple(case.conv.weight.shape)
    if tuple(fused.weight.shape) != weight_shape:
        return (f"{start} your conv's weight has shape {tuple(fused.weight.shape)}, the "
                f"original's {weight_shape}: fusing changes the weights' values, not their "
                "shape.")
    if fused.bias is None:
        return (f"{start} your conv has no bias. BatchNorm shifts every channel (by β, and by "
                "−μ scaled), so the fused conv needs a bias even when the original had none.")
    out = _module_call(fused, case.x, f"{case.describe()}, your fused conv run on x",
                       "its output")
    if _close(out, case.expected):
        return None
    pieces = _fusion_pieces(case.conv, case.bn)
    scale = pieces["gamma"] / np.sqrt(pieces["var"] + pieces["eps"])
    weight_ok = _close(_numpy(fused.weight), pieces["W"] * scale.reshape(-1, 1, 1, 1))
    bias_ok = _close(_numpy(fused.bias), (pieces["b"] - pieces["mu"]) * scale + pieces["beta"])
    if weight_ok and bias_ok:
        return (f"{start} your weight and bias are right but the outputs differ. "
                + (_geometry_hint(fused, case.conv, "Your conv")
                   or "Check how your conv runs: the same layer type and settings as the "
                      "original."))
    weight_hint = None if weight_ok else (
        _nearest_hint(_numpy(fused.weight), _weight_mistakes(pieces))
        or "each output filter must be multiplied by its channel's BatchNorm factor.")
    bias_hint = None if bias_ok else (
        _nearest_hint(_numpy(fused.bias), _bias_mistakes(pieces, scale))
        or "it is what BatchNorm makes of the conv's bias.")
    if weight_hint == bias_hint:
        return f"{start}, weight and bias: {weight_hint}"
    return (f"{start}: " + (f"Weight: {weight_hint}" if weight_hint else "the weight is right.")
            + (f" Bias: {bias_hint}" if bias_hint else " The bias is right."))


@checker
def check_my_fuse_conv_bn(answer: object) -> Verdict:
    """Run the learner's ``my_fuse_conv_bn(conv, bn)`` on three fresh conv/BatchNorm pairs.

    Each call draws three float32 pairs (:func:`_fusion_cases`: no conv bias; a conv bias;
    a bias with stride 2, dilation 2 and 2 groups), BatchNorm in eval mode with ``eps``
    0.05–0.3 and running variances 0.005–0.05. The learner's function gets copies and must
    return an ``nn.Conv2d`` whose output on a random batch equals ``bn(conv(x))``
    (``rtol=1e-4``, compared with a float64 computation), i.e. (:func:`convlessons.models.
    fuse_conv_bn`)

    .. math:: s = \\gamma / \\sqrt{\\sigma^2 + \\epsilon}, \\quad W' = s W, \\quad
              b' = (b - \\mu) s + \\beta .

    The function and the fused layer each run under
    :data:`~convlessons.exercises._answers.TIME_LIMIT`. Hints: not a conv, a changed weight
    shape, no bias; for the weight: divided by the variance, no ``eps``, no ``gamma``, not
    scaled; for the bias: the conv bias, ``beta`` or ``mu`` left out, the variance or no
    ``eps``, the conv bias not scaled, a ``None`` conv bias used; right weights with another
    stride, padding, dilation or groups.
    """
    rng = np.random.default_rng()
    with one_thread():
        cases = _fusion_cases(rng)
    yield
    if (refusal := not_a_function(answer, "my_fuse_conv_bn")) is not None:
        return refusal
    for case in cases:
        with one_thread():
            try:
                fused = call_learner(answer, (copy.deepcopy(case.conv), copy.deepcopy(case.bn)),
                                     case=case.describe())
            except LearnerFunctionFailed as failure:
                return wrong(f"{failure} {_fusion_error_hint(failure.error)}".strip())
            problem = _fusion_problem(fused, case)
        if problem:
            return wrong(problem)
    return correct("Your fused conv computes BatchNorm(conv(x)) on three fresh pairs ("
                   f"{'; '.join(case.what for case in cases)}), with ε up to 0.3 and running "
                   "variances down to 0.005, where a missing ε or square root shows.")


# -------------------------------------------------------------------- pruning a block


@dataclass(frozen=True)
class _PruneCase:
    """``conv1 → bn1 → ReLU → conv2`` (float32, eval mode), the channels to keep, an input
    batch and, in float64, the block's output with the other channels zeroed after the ReLU."""

    conv1: nn.Conv2d
    bn1: nn.BatchNorm2d
    conv2: nn.Conv2d
    keep: tuple[int, ...]
    x: torch.Tensor
    expected: np.ndarray
    what: str

    def describe(self) -> str:
        def conv(layer: nn.Conv2d) -> str:
            return (f"nn.Conv2d({layer.in_channels}, {layer.out_channels}, "
                    f"{layer.kernel_size[0]}, stride={layer.stride[0]}, "
                    f"padding={layer.padding[0]}, bias={layer.bias is not None})")

        return (f"conv1 = {conv(self.conv1)}, bn1 with eps={self.bn1.eps:g}, "
                f"conv2 = {conv(self.conv2)}, keep={list(self.keep)}")


def _block(conv1: nn.Module, bn1: nn.Module, conv2: nn.Module, x: torch.Tensor,
           mask: torch.Tensor | None = None) -> torch.Tensor:
    """``conv2(ReLU(bn1(conv1(x))) · mask)``; the mask zeroes whole channels."""
    hidden = F.relu(bn1(conv1(x)))
    return conv2(hidden if mask is None else hidden * mask)


def _prune_cases(rng: np.random.Generator) -> list[_PruneCase]:
    """Three fresh blocks: 3×3 convs without bias and padding 1 (as in SmallCNN); biases in
    both convs, a BatchNorm eps of 0.01 and a strided conv2; a single channel kept. ``keep``
    is a sorted list of 2 to C − 2 (or 1) indices out of C = 4–7 channels; conv2 makes 1–3
    channels more than C, so slicing it along the wrong axis runs and each slicing slip gives
    its own shapes."""

    def some(low: int, high: int) -> int:
        return int(rng.integers(low, high + 1))

    specs = [
        (False, False, 3, 1, 1, 1e-5, None, "3×3 convs without bias, as in SmallCNN"),
        (True, True, some(1, 3), 2, 1, 1e-2, None,
         "biases in both convs, BatchNorm eps 0.01, conv2 with stride 2"),
        (False, True, 3, 1, 1, 1e-5, 1, "a single channel kept"),
    ]
    cases = []
    with torch_seeded(int(rng.integers(2**31))), torch.no_grad():
        for bias1, bias2, k2, stride2, padding2, eps, count, what in specs:
            c_in, channels = some(1, 3), some(4, 7)
            keep = tuple(sorted(int(i) for i in rng.choice(
                channels, count or some(2, channels - 2), replace=False)))
            c_out = channels + some(1, 3)  # more than channels: each slicing slip runs
            conv1 = nn.Conv2d(c_in, channels, 3, padding=1, bias=bias1)
            bn1 = nn.BatchNorm2d(channels, eps=eps)
            bn1.weight.uniform_(0.5, 1.5)
            bn1.bias.normal_(0.0, 0.5)
            bn1.running_mean.normal_(0.0, 0.3)
            bn1.running_var.uniform_(0.05, 0.5)
            bn1.eval()
            conv2 = nn.Conv2d(channels, c_out, k2, stride=stride2, padding=min(padding2, k2 // 2),
                              bias=bias2)
            conv1.eval()
            conv2.eval()
            x = torch.randn(some(1, 2), c_in, some(5, 8), some(5, 8))
            mask = torch.zeros(1, channels, 1, 1, dtype=torch.float64)
            mask[:, list(keep)] = 1.0
            expected = _block(*(copy.deepcopy(layer).double() for layer in (conv1, bn1, conv2)),
                              x.double(), mask)
            cases.append(_PruneCase(conv1, bn1, conv2, keep, x, expected.numpy(), what))
    return cases


def _shape_problem(layers: tuple[nn.Module, ...], case: _PruneCase) -> str | None:
    """The slicing slip the shapes of the learner's layers show (conv1, its bias, the
    BatchNorm, conv2 and its axis, conv2's bias), or ``None``."""
    new1, new_bn, new2 = layers
    n, channels = len(case.keep), case.conv1.out_channels
    c_out = case.conv2.out_channels
    got1, got2 = tuple(new1.weight.shape), tuple(new2.weight.shape)
    if got1[0] != n:
        if got1[0] == channels and got1[1:] == tuple(case.conv1.weight.shape[1:]):
            return (f"conv1 still has all {channels} filters: it must make only the {n} kept "
                    "channels, so drop the filters (its output channels, axis 0) of the others.")
        return (f"conv1's weight has shape {got1}: it must make the {n} kept channels from "
                f"the same {case.conv1.in_channels} input channel(s).")
    if new1.bias is not None and new1.bias.shape[0] != n:
        return (f"conv1's bias still has {new1.bias.shape[0]} entries: it has one per output "
                "channel, so drop the entries of the dropped channels too.")
    stale = [name for name in ("weight", "bias", "running_mean", "running_var")
             if getattr(new_bn, name) is not None and getattr(new_bn, name).shape[0] != n]
    if stale:
        return (f"the BatchNorm is not sliced: its {', '.join(stale)} still have "
                f"{getattr(new_bn, stale[0]).shape[0]} entries. BatchNorm holds one of each "
                f"per channel; after pruning it sees only the {n} kept channels.")
    if got2[:2] != (c_out, n):
        if got2 == tuple(case.conv2.weight.shape):
            return (f"the next layer is not sliced: conv2 still reads {channels} input "
                    f"channels, but conv1 now makes {n}. The dropped channels are inputs of "
                    "conv2 too.")
        if got2[:2] == (n, channels):
            return (f"you sliced conv2 along the wrong axis: you dropped its filters (axis 0, "
                    f"its output channels), so it makes {n} channels and still reads "
                    f"{channels}. The dropped channels are conv2's inputs (axis 1); it keeps "
                    f"all {c_out} outputs.")
        return (f"conv2's weight has shape {got2}: it must read the {n} kept channels and "
                f"still make {c_out}.")
    if case.conv2.bias is not None and (new2.bias is None or new2.bias.shape[0] != c_out):
        return (f"conv2's bias belongs to its {c_out} output channels, which pruning does not "
                "change: keep it whole.")
    return None


def _value_problem(layers: tuple[nn.Module, ...], case: _PruneCase) -> str | None:
    """Which of the learner's parameters or BatchNorm statistics are not the kept channels'
    (in the order of ``keep``), or ``None``."""
    new1, new_bn, new2 = layers
    keep = list(case.keep)
    checks = [
        ("conv1's filters", new1.weight, case.conv1.weight[keep]),
        ("conv1's bias", new1.bias, None if case.conv1.bias is None else case.conv1.bias[keep]),
        *((f"bn1's {name}", getattr(new_bn, name), getattr(case.bn1, name)[keep])
          for name in ("weight", "bias", "running_mean", "running_var")),
        ("conv2's input slices", new2.weight, case.conv2.weight[:, keep]),
        ("conv2's bias", new2.bias, case.conv2.bias),
    ]
    def differs(got: torch.Tensor | None, want: torch.Tensor | None) -> bool:
        if want is None:  # the original has none: a non-zero one changes the block
            return got is not None and bool(got.detach().abs().max() > 0)
        return got is None or not _close(_numpy(got), _numpy(want))

    wrong_parts = [name + (" (the original has none: nn.Conv2d adds one unless bias=False)"
                           if want is None else "")
                   for name, got, want in checks if differs(got, want)]
    if not wrong_parts:
        if not math.isclose(new_bn.eps, case.bn1.eps):
            return (f"bn1's eps is {new_bn.eps:g}, the original's {case.bn1.eps:g}: a new "
                    "BatchNorm2d starts with the default, copy the original's.")
        return None
    if any("running" in name for name in wrong_parts):
        extra = (" A new BatchNorm2d starts with running mean 0 and variance 1: the kept "
                 "channels' statistics must come along.")
    else:
        extra = ""
    return (f"{' and '.join(wrong_parts)} are not those of the kept channels {keep}, in that "
            "order: the same channels must be kept in conv1's filters, bn1's entries and "
            f"conv2's inputs.{extra}")


def _prune_problem(result: object, case: _PruneCase) -> str | None:
    """What is wrong with the learner's ``(conv1', bn1', conv2')`` for ``case``, or ``None``."""
    start = f"With {case.describe()}"
    if result is None:
        return (f"{start} your function returned None: did you forget "
                "`return conv1, bn1, conv2`?")
    layers = tuple(entries(result, 3, "three layers (conv1, bn1, conv2), pruned"))
    for layer, kind, name in zip(layers, (nn.Conv2d, nn.BatchNorm2d, nn.Conv2d),
                                 ("conv1", "bn1", "conv2"), strict=True):
        if not isinstance(layer, kind):
            return (f"{start} in place of {name} you returned a {type(layer).__name__}: "
                    f"return (conv1, bn1, conv2), each pruned, {name} an {kind.__name__}.")
    problem = _shape_problem(layers, case) or _value_problem(layers, case)
    if problem:
        return f"{start} {problem}"
    for layer in layers:
        layer.eval()
    out = _module_call(nn.Sequential(layers[0], layers[1], nn.ReLU(), layers[2]), case.x,
                       f"{case.describe()}, your pruned block run on x", "its output")
    if _close(out, case.expected):
        return None
    return (f"{start} your layers hold the right numbers but the block's output differs "
            f"(shape {out.shape}, expected {case.expected.shape}). "
            + (_geometry_hint(layers[0], case.conv1, "Your conv1")
               or _geometry_hint(layers[2], case.conv2, "Your conv2")
               or "Check the layer types and settings of your layers."))


@checker
def check_my_prune(answer: object) -> Verdict:
    """Run the learner's ``my_prune(conv1, bn1, conv2, keep)`` on three fresh blocks.

    Each call draws three blocks ``conv1 → bn1 → ReLU → conv2`` (:func:`_prune_cases`:
    SmallCNN-like 3×3 convs without bias; biases in both convs, BatchNorm eps 0.01 and a
    strided conv2; one channel kept) with random weights and BatchNorm statistics, and a
    sorted list ``keep`` of channel indices. The function gets copies and must return
    ``(conv1', bn1', conv2')``: conv1's filters and bias, bn1's ``weight``, ``bias``,
    ``running_mean``, ``running_var`` for the kept channels, conv2's weight sliced along its
    *input* axis (bias whole), same eps and geometry. Then, in eval mode,
    ``conv2'(ReLU(bn1'(conv1'(x))))`` must equal the original block with the other channels
    zeroed after the ReLU (``rtol=1e-4``, against float64). The function and the pruned
    block each run under :data:`~convlessons.exercises._answers.TIME_LIMIT`. Hints: not
    three layers; conv1 not pruned (or its bias); the BatchNorm not sliced; the next layer
    not sliced; the next layer sliced along its output axis; conv2's bias cut; parameters or
    running statistics of other channels or in another order; another eps; another stride
    or padding.
    """
    rng = np.random.default_rng()
    with one_thread():
        cases = _prune_cases(rng)
    yield
    if (refusal := not_a_function(answer, "my_prune")) is not None:
        return refusal
    for case in cases:
        layers = tuple(copy.deepcopy(layer) for layer in (case.conv1, case.bn1, case.conv2))
        with one_thread():
            result = call_learner(answer, (*layers, list(case.keep)), case=case.describe())
            problem = _prune_problem(result, case)
        if problem:
            return wrong(problem)
    return correct("Your pruned blocks equal the originals with the dropped channels zeroed "
                   f"after the ReLU, on three fresh blocks: {'; '.join(c.what for c in cases)}.")


# -------------------------------------------------------------------- pruning ratio


@checker
def check_pruning_ratio(
    answer: object,
    model: SmallCNN,
    train_images: object,
    train_labels: object,
    test_images: object,
    test_labels: object,
    fine_tune_epochs: int = 1,
    lr: float = 0.005,
    tolerance: float = 0.01,
) -> Verdict:
    """Check a pruning ratio that keeps test accuracy within ``tolerance`` of the original.

    Prunes ``model`` with :func:`~convlessons.models.prune_channels` ``(model, answer)``,
    fine-tunes the pruned copy for ``fine_tune_epochs`` on the training set
    (:func:`~convlessons.models.train`, ``lr``, seed 0) and measures test accuracy with
    :func:`~convlessons.models.accuracy`. Correct when at least one channel is removed and
    the fine-tuned copy gets at most ``floor(tolerance · N)`` fewer of the ``N`` test images
    right than the original (counted in whole images, so a loss of exactly ``tolerance`` is
    within it, whatever the float rounding). ``model`` is not modified. Hints: a percentage
    instead of a fraction, a ratio that removes nothing, and "too aggressive" with the
    accuracy before and after fine-tuning.

    Raises
    ------
    TypeError, ValueError
        If ``model`` is not a ``SmallCNN``, the test data are invalid, or
        ``fine_tune_epochs`` (>= 1), ``lr`` (> 0) or ``tolerance`` (in [0, 1]) is out of
        range.
    """
    as_instance(model, "model", SmallCNN)
    epochs = as_int(fine_tune_epochs, "fine_tune_epochs", minimum=1)
    lr = as_real(lr, "lr", above=0)
    tolerance = as_real(tolerance, "tolerance", at_least=0, at_most=1)
    baseline = accuracy(model, test_images, test_labels)
    count = len(test_labels)
    allowed = math.floor(tolerance * count + 1e-9)
    channels = model.channels
    yield
    ratio = real_number(answer, "the ratio as one number in [0, 1): the fraction of channels "
                                "to remove in each block, e.g. 0.3")
    if 1 < ratio <= 100:
        return wrong(f"{ratio:g} is not a fraction: the ratio is in [0, 1), so "
                     f"{ratio:g}% is {ratio / 100:g}.")
    if not 0 <= ratio < 1:
        return wrong(f"The ratio must be in [0, 1): 0 keeps every channel, 0.5 removes "
                     f"half; you gave {ratio:g}.")
    kept = tuple(max(1, round((1 - ratio) * c)) for c in channels)
    if kept == channels:
        return wrong(f"Ratio {ratio:g} removes no channel (kept {kept} of {channels}): "
                     "that is no pruning at all. Remove at least one channel per block.")
    pruned = prune_channels(model, ratio)
    before = accuracy(pruned, test_images, test_labels)
    train(pruned, train_images, train_labels, epochs=epochs, lr=lr, seed=0, progress=False)
    after = accuracy(pruned, test_images, test_labels)
    lost = round(baseline * count) - round(after * count)
    summary = (f"channels {channels} → {pruned.channels}; test accuracy {baseline:.1%} → "
               f"{before:.1%} right after pruning → {after:.1%} after fine-tuning "
               f"({abs(lost)} {'fewer' if lost >= 0 else 'more'} of the {count} test images "
               "right)")
    points = f"{tolerance * 100:g} percentage point(s) ({allowed} images)"
    if lost <= allowed:
        return correct(f"Ratio {ratio:g}: {summary}, within {points} of the original.")
    return wrong(f"Ratio {ratio:g} is too aggressive: {summary}, more than {points} "
                 "below the original. Fine-tuning recovers only so much: choose a smaller "
                 "ratio (or fine-tune longer).")
