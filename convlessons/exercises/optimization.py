"""Checkers for ``11_optimization``: conv-BatchNorm fusion by hand, a safe pruning ratio.

- :func:`check_fused_conv_bn` -- the learner's fused ``(weight, bias)`` for a conv and the
  eval-mode BatchNorm after it, compared with :func:`convlessons.models.fuse_conv_bn`.
- :func:`check_pruning_ratio` -- a ratio for :func:`convlessons.models.prune_channels`
  that, after a short fine-tune, keeps test accuracy within one point of the original.

Each fusion mistake is the right formula with one piece changed (variance instead of
``sqrt(var + eps)``, no ``eps``, conv bias or ``beta`` or ``mu`` dropped, weight not
scaled), so a hint names a mistake that reproduces the learner's numbers.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from convlessons._validation import as_instance, as_int, as_real
from convlessons.exercises import Verdict, checker, correct, wrong
from convlessons.exercises._answers import entries, real_array, real_number
from convlessons.models import SmallCNN, accuracy, fuse_conv_bn, prune_channels, train

__all__ = ["check_fused_conv_bn", "check_pruning_ratio"]

RTOL, ATOL = 1e-5, 1e-7
"""Tolerance of :func:`check_fused_conv_bn` (float32 answers of a float64 layer pass)."""


# -------------------------------------------------------------------- fusion by hand


def _fusion_pieces(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> dict[str, np.ndarray]:
    """``W, b, gamma, beta, mu, var, eps`` of the pair as float64 numpy arrays."""
    channels = conv.out_channels
    with torch.no_grad():
        def array(tensor: torch.Tensor | None, default: float) -> np.ndarray:
            if tensor is None:
                return np.full(channels, default)
            return tensor.detach().double().cpu().numpy()

        return {
            "W": conv.weight.detach().double().cpu().numpy(),
            "b": array(conv.bias, 0.0),
            "gamma": array(bn.weight, 1.0),
            "beta": array(bn.bias, 0.0),
            "mu": array(bn.running_mean, 0.0),
            "var": array(bn.running_var, 1.0),
            "eps": np.float64(bn.eps),
        }


def _weight_mistakes(p: dict[str, np.ndarray]) -> list[tuple[np.ndarray, str]]:
    def scaled(scale: np.ndarray) -> np.ndarray:
        return p["W"] * scale.reshape(-1, 1, 1, 1)

    return [
        (scaled(p["gamma"] / (p["var"] + p["eps"])),
         "you divided by σ² + ε (the variance); divide by the standard deviation "
         "√(σ² + ε)."),
        (scaled(p["gamma"] / np.sqrt(p["var"])),
         "you forgot ε: the scale is γ / √(σ² + ε), with the BatchNorm's own eps."),
        (scaled(1 / np.sqrt(p["var"] + p["eps"])),
         "you forgot γ: the scale is γ / √(σ² + ε)."),
        (p["W"], "the weight is not scaled: multiply output filter k by "
                 "s_k = γ_k / √(σ²_k + ε)."),
    ]


def _bias_mistakes(p: dict[str, np.ndarray], scale: np.ndarray) -> list[tuple[np.ndarray, str]]:
    return [
        (-p["mu"] * scale + p["beta"],
         "you forgot the conv's own bias term b: the fused bias is (b − μ)·s + β."),
        ((p["b"] - p["mu"]) * scale,
         "you forgot β: BatchNorm adds its shift β after scaling, so b' = (b − μ)·s + β."),
        (p["b"] * scale + p["beta"],
         "you forgot to subtract the running mean μ: b' = (b − μ)·s + β."),
        ((p["b"] - p["mu"]) * p["gamma"] / (p["var"] + p["eps"]) + p["beta"],
         "you divided by σ² + ε (the variance); divide by √(σ² + ε)."),
        ((p["b"] - p["mu"]) * p["gamma"] / np.sqrt(p["var"]) + p["beta"],
         "you forgot ε inside the square root."),
        (p["b"] - p["mu"] * scale + p["beta"],
         "the conv bias must be scaled too: it passes through BatchNorm like W * x, so "
         "b' = (b − μ)·s + β."),
    ]


def _closest_hint(value: np.ndarray, mistakes: list[tuple[np.ndarray, str]]) -> str | None:
    for expected, hint in mistakes:
        if value.shape == expected.shape and np.allclose(value, expected, rtol=RTOL, atol=ATOL):
            return hint
    return None


@checker
def check_fused_conv_bn(answer: object, conv: nn.Conv2d, bn: nn.BatchNorm2d) -> Verdict:
    """Check a hand-fused ``(weight, bias)`` for ``conv`` followed by eval-mode ``bn``.

    The answer is a pair of arrays or tensors: weight ``(C_out, C_in, kH, kW)`` and bias
    ``(C_out,)``. Expected (:func:`convlessons.models.fuse_conv_bn`, itself checked
    against ``torch.nn.utils.fusion.fuse_conv_bn_eval``):

    .. math:: s = \\gamma / \\sqrt{\\sigma^2 + \\epsilon}, \\quad W' = s W, \\quad
              b' = (b - \\mu) s + \\beta .

    Compared with ``numpy.allclose(rtol=1e-5, atol=1e-7)``. Hints for the weight: divided
    by the variance, no ``eps``, no ``gamma``, not scaled; for the bias: the conv bias,
    ``beta`` or ``mu`` forgotten, the variance or no ``eps``, the conv bias not scaled.

    Raises
    ------
    TypeError
        If ``conv`` is not a ``torch.nn.Conv2d`` or ``bn`` not a ``torch.nn.BatchNorm2d``.
    """
    as_instance(conv, "conv", nn.Conv2d, "a torch.nn.Conv2d")
    as_instance(bn, "bn", nn.BatchNorm2d, "a torch.nn.BatchNorm2d")
    fused = fuse_conv_bn(conv, bn)
    want_w = fused.weight.detach().double().cpu().numpy()
    want_b = fused.bias.detach().double().cpu().numpy()
    pieces = _fusion_pieces(conv, bn)
    yield
    given_w, given_b = entries(answer, 2, "a pair (fused_weight, fused_bias)")
    weight = real_array(given_w, "fused_weight as an array (C_out, C_in, kH, kW)", ndim=4)
    bias = real_array(given_b, "fused_bias as an array (C_out,)", ndim=1)
    if weight.shape != want_w.shape or bias.shape != want_b.shape:
        return wrong(f"Shapes: the fused weight must be {want_w.shape} (the conv's) and the "
                     f"bias {want_b.shape}, one per output channel; you gave {weight.shape} "
                     f"and {bias.shape}.")
    weight_ok = np.allclose(weight, want_w, rtol=RTOL, atol=ATOL)
    bias_ok = np.allclose(bias, want_b, rtol=RTOL, atol=ATOL)
    if weight_ok and bias_ok:
        return correct("W' = s·W and b' = (b − μ)·s + β with s = γ/√(σ² + ε): one conv now "
                       "computes conv + BatchNorm.")
    problems = []
    if not weight_ok:
        hint = _closest_hint(weight, _weight_mistakes(pieces))
        problems.append("Weight: " + (hint or "it should be s·W with s = γ/√(σ² + ε), "
                                               "one scale per output filter."))
    if not bias_ok:
        scale = pieces["gamma"] / np.sqrt(pieces["var"] + pieces["eps"])
        hint = _closest_hint(bias, _bias_mistakes(pieces, scale))
        problems.append("Bias: " + (hint or "it should be (b − μ)·s + β."))
    if weight_ok:
        problems.insert(0, "Weight is right.")
    if bias_ok:
        problems.append("Bias is right.")
    return wrong(" ".join(problems))


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
    ``accuracy(model) - accuracy(fine-tuned) <= tolerance``. ``model`` is not modified.
    Hints: a percentage instead of a fraction, a ratio that removes nothing, and "too
    aggressive" with the accuracy before and after fine-tuning.

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
    kept = tuple(max(1, round((1 - ratio) * count)) for count in channels)
    if kept == channels:
        return wrong(f"Ratio {ratio:g} removes no channel (kept {kept} of {channels}): "
                     "that is no pruning at all. Remove at least one channel per block.")
    pruned = prune_channels(model, ratio)
    before = accuracy(pruned, test_images, test_labels)
    train(pruned, train_images, train_labels, epochs=epochs, lr=lr, seed=0, progress=False)
    after = accuracy(pruned, test_images, test_labels)
    summary = (f"channels {channels} → {pruned.channels}; test accuracy {baseline:.1%} → "
               f"{before:.1%} right after pruning → {after:.1%} after fine-tuning")
    points = f"{tolerance * 100:g} percentage point(s)"
    if baseline - after <= tolerance:
        return correct(f"Ratio {ratio:g}: {summary}, within {points} of the original.")
    return wrong(f"Ratio {ratio:g} is too aggressive: {summary}, more than {points} "
                 "below the original. Fine-tuning recovers only so much: choose a smaller "
                 "ratio (or fine-tune longer).")
