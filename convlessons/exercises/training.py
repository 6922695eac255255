"""Checkers for ``05_training_a_cnn``: a kernel learned by gradient descent, BatchNorm by
hand, and the small CNN built layer by layer.

- :func:`check_my_learned_kernel` -- the learner's gradient-descent loop
  ``fn(x, y, kernel_size=k, steps=s, lr=lr)`` must recover a fresh random kernel from
  input/output pairs ``y = F.conv2d(x, K)``.
- :func:`check_my_batchnorm` -- the learner's train-mode BatchNorm ``fn(x, gamma, beta,
  eps)`` against ``torch.nn.functional.batch_norm``.
- :func:`check_small_cnn_shapes` -- the predicted output shapes of
  :class:`~convlessons.models.SmallCNN` after its pools, its last block, the global average
  pool, the flatten and the classifier.
- :func:`check_my_small_cnn` -- the learner's ``nn.Sequential`` against ``SmallCNN``: same
  parameter shapes and, with ``SmallCNN``'s weights copied in, the same logits.

Every learner's function or model runs through
:func:`~convlessons.exercises._answers.call_learner` (a time limit per case) on cases drawn
afresh on every call; a wrong answer gets the hint of the slip that reproduces it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from convlessons._validation import as_int
from convlessons.exercises import Verdict, checker, correct, wrong
from convlessons.exercises._answers import (
    LearnerFunctionFailed,
    call_learner,
    entries,
    learner_array,
    not_a_function,
    real_array,
    whole_numbers,
)
from convlessons.exercises._torch_cases import one_thread, torch_seeded
from convlessons.models import SmallCNN

__all__ = [
    "KERNEL_LR",
    "KERNEL_STEPS",
    "SHAPE_POINTS",
    "check_my_batchnorm",
    "check_my_learned_kernel",
    "check_my_small_cnn",
    "check_small_cnn_shapes",
]


def _rng(seed: int | None) -> np.random.Generator:
    """Fresh random cases on every call (``seed=None``), or a fixed draw for tests."""
    return np.random.default_rng(None if seed is None else as_int(seed, "seed", minimum=0))


def _error_hint(error: BaseException | None, hints: tuple[tuple[str, str], ...]) -> str:
    """The hint of the first ``(fragment, hint)`` whose fragment is in the error message,
    or ``""``."""
    message = "" if error is None else str(error)
    return next((hint for fragment, hint in hints if fragment in message), "")


# -------------------------------------------------------------------- learning a kernel

KERNEL_STEPS = 60
"""``steps`` passed to the learner's function by :func:`check_my_learned_kernel`."""

KERNEL_LR = 0.3
"""``lr`` passed to the learner's function by :func:`check_my_learned_kernel`.

On the checker's noise images the mean squared error is a bowl whose curvature (the
eigenvalues of the Hessian ``2/M Σ p pᵀ`` over the ``M`` input patches ``p``) lies between
about 0.9 and 4.2 (3000 random cases), so ``lr = 0.3`` stays well below the divergence
threshold ``2 / λ_max`` and each step of plain gradient descent shrinks the error by at
least 25 %: after :data:`KERNEL_STEPS` steps from a zero kernel it is below 1e-7 of the
kernel.
"""

_KERNEL_TOLERANCE = 1e-3
"""Largest entry-wise error of a recovered kernel (float32 converges far below it)."""

_KERNEL_HINTS = (
    ("leaf Variable that requires grad",
     "Autograd refuses to change a tensor it tracks: do the update inside `with "
     "torch.no_grad():` (kernel -= lr * kernel.grad)."),
    ("NoneType",
     "kernel.grad is None: after `kernel = kernel - ...` the name points to a new tensor "
     "that has no gradient. Update the kernel in place (kernel -= lr * kernel.grad) "
     "inside torch.no_grad()."),
    ("does not require grad",
     "The loss has no gradient to follow: create the kernel with requires_grad=True and "
     "keep updating that same tensor in place (kernel -= ...), not a new one "
     "(kernel = kernel - ...)."),
    ("backward through the graph a second time",
     "Compute the prediction and the loss again inside the loop: each backward() uses up "
     "the graph it went through."),
    ("should be the same",
     "x is float32: create the kernel with the same dtype (torch.zeros(..., "
     "dtype=x.dtype))."),
    ("must match the size of tensor",
     "Your prediction and y differ in size: y = F.conv2d(x, K) has no padding, so "
     "predict with F.conv2d(x, kernel) without padding."),
    ("dimension",
     "F.conv2d wants a 4-D weight of shape (out_channels, in_channels, k, k) = "
     "(1, 1, k, k); return its (k, k) slice kernel[0, 0] at the end."),
)


@dataclass(frozen=True)
class _KernelCase:
    """Input images ``x`` ``(N, 1, H, W)``, the true ``kernel`` and ``y = F.conv2d(x, K)``."""

    x: torch.Tensor
    kernel: np.ndarray

    @property
    def y(self) -> torch.Tensor:
        return F.conv2d(self.x, torch.from_numpy(self.kernel).float()[None, None])

    def describe(self) -> str:
        n, _, h, w = self.x.shape
        return (f"x of shape ({n}, 1, {h}, {w}), kernel_size={len(self.kernel)}, "
                f"steps={KERNEL_STEPS}, lr={KERNEL_LR}")

    def loss(self, kernel: np.ndarray) -> float:
        """Mean squared error of ``kernel``'s prediction (float64)."""
        weight = torch.from_numpy(kernel)[None, None]
        return float(((F.conv2d(self.x.double(), weight) - self.y.double()) ** 2).mean())


def _kernel_case(rng: np.random.Generator, size: int) -> _KernelCase:
    """Standard-normal noise images and a standard-normal kernel that its flip and its
    transpose do not resemble (so those two slips are told apart from a right answer)."""
    while True:
        kernel = rng.standard_normal((size, size))
        if min(np.abs(kernel - kernel[::-1, ::-1]).max(), np.abs(kernel - kernel.T).max()) > 0.5:
            break
    n = int(rng.integers(6, 11))
    h, w = (int(side) for side in rng.integers(9, 13, size=2))
    x = torch.from_numpy(rng.standard_normal((n, 1, h, w)).astype(np.float32))
    return _KernelCase(x, kernel)


def _descend(case: _KernelCase, *, sign: float = -1.0, zero_grad: bool = True) -> np.ndarray:
    """Gradient descent from a zero kernel as the exercise asks (``sign=-1``, gradients
    reset each step), or with one slip: ``sign=+1`` climbs, ``zero_grad=False`` lets the
    gradients pile up."""
    size = len(case.kernel)
    kernel = torch.zeros(1, 1, size, size, requires_grad=True)
    y = case.y
    for _ in range(KERNEL_STEPS):
        loss = ((F.conv2d(case.x, kernel) - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            kernel += sign * KERNEL_LR * kernel.grad
        if zero_grad:
            kernel.grad.zero_()
    return kernel.detach()[0, 0].double().numpy()


def _overflowed(result: object) -> bool:
    """A float tensor or array holding NaN or infinity: the descent blew up."""
    if isinstance(result, torch.Tensor):
        return result.is_floating_point() and not bool(torch.isfinite(result.detach()).all())
    if isinstance(result, np.ndarray) and result.dtype.kind == "f":
        return not bool(np.isfinite(result).all())
    return False


def _kernel_value_hint(kernel: np.ndarray, case: _KernelCase) -> str:
    """Why a finite ``kernel`` of the right shape is not the true one."""
    true = case.kernel
    start = f"With {case.describe()}"

    def near(candidate: np.ndarray) -> bool:
        return np.allclose(kernel, candidate, rtol=1e-3, atol=_KERNEL_TOLERANCE)

    if near(true[::-1, ::-1]):
        return (f"{start} you recovered the kernel flipped in both directions: the kernel a "
                "true convolution (kernel flipped, like scipy.signal.convolve2d) would need. "
                "y was made with F.conv2d, a cross-correlation: predict with "
                "F.conv2d(x, kernel) and return the kernel as it is.")
    if near(true.T):
        return (f"{start} you recovered the transposed kernel: rows and columns are swapped. "
                "Return kernel[0, 0] as it is, not its transpose.")
    if not kernel.any():
        return (f"{start} your kernel is still all zeros: the updates never reached it. Update "
                "the tensor you return, in place (kernel -= lr * kernel.grad inside "
                "torch.no_grad()).")
    if near(_descend(case, zero_grad=False)):
        return (f"{start} your kernel swings around the answer without settling: the "
                "gradients add up from step to step. backward() adds to .grad; reset it after "
                "each update (kernel.grad.zero_()).")
    if near(_descend(case, sign=1.0)):
        return (f"{start} your loss grew at every step: the update climbs the loss. Step "
                "against the gradient: kernel -= lr * kernel.grad.")
    start_loss, loss = case.loss(np.zeros_like(true)), case.loss(kernel)
    if loss >= start_loss:
        return (f"{start} your kernel fits y worse than all zeros (loss {loss:.3g}, zeros "
                f"give {start_loss:.3g}): the steps go uphill or overshoot. Check the sign "
                "(kernel -= lr * kernel.grad) and that the loss is the mean of the squared "
                "errors.")
    error = np.abs(kernel - true).max()
    return (f"{start} your loss went down (from {start_loss:.3g} to {loss:.3g}) but the kernel "
            f"is not there yet (largest error {error:.2g}). Take all `steps` steps with the "
            "given `lr`, from a kernel of zeros; the loss is the mean of the squared errors "
            "over all outputs.")


def _kernel_problem(answer: Callable[..., object], case: _KernelCase) -> str | None:
    """The hint for the learner's function on ``case``, or ``None`` if it recovers the kernel."""
    size = len(case.kernel)
    try:
        result = call_learner(answer, (case.x.clone(), case.y),
                              {"kernel_size": size, "steps": KERNEL_STEPS, "lr": KERNEL_LR},
                              case=case.describe())
    except LearnerFunctionFailed as failure:  # NaN is a slip here, so no learner_array
        return f"{failure} {_error_hint(failure.error, _KERNEL_HINTS)}".rstrip()
    if result is None:
        return "Your function returned None: did you forget `return kernel...`?"
    if _overflowed(result):
        return (f"With {case.describe()} your kernel holds NaN or infinity: the loss blew up, "
                "each step overshooting further. Take the mean of the squared errors (a sum "
                "makes the gradient N·H_out·W_out times larger), use the lr you are given, and "
                "step downhill (minus the gradient).")
    values = real_array(result, f"a {size}×{size} kernel from your function")
    if values.size != size * size or values.squeeze().shape != (size, size):
        return (f"With {case.describe()} your function returned shape {values.shape}; return "
                f"the {size}×{size} kernel, e.g. kernel.detach()[0, 0].")
    kernel = values.reshape(size, size)
    if np.allclose(kernel, case.kernel, rtol=0, atol=_KERNEL_TOLERANCE):
        return None
    return _kernel_value_hint(kernel, case)


@checker
def check_my_learned_kernel(answer: object, seed: int | None = None) -> Verdict:
    """Run the learner's ``learn_kernel(x, y, kernel_size=k, steps=s, lr=lr)`` on two cases.

    Each case draws standard-normal noise images ``x`` of shape ``(N, 1, H, W)`` (float32,
    ``N`` in 6…10, ``H, W`` in 9…12) and a standard-normal ``k × k`` kernel ``K`` (``k = 3``,
    then 2 or 4), ``y = F.conv2d(x, K)``, and passes ``steps=`` :data:`KERNEL_STEPS` and
    ``lr=`` :data:`KERNEL_LR`. The returned kernel (``(k, k)``, or any shape holding ``k²``
    values with singleton axes) must be within 1e-3 of ``K``. Hints, in this order: an
    exception (autograd slips: in-place update outside ``no_grad``, ``grad`` lost by
    rebinding, dtype, padding), NaN or infinity (sum instead of mean, uphill step), a wrong
    shape, the flipped kernel (true convolution), the transposed kernel, all zeros, the
    gradients never reset (replayed), the uphill step (replayed), a loss above the zero
    kernel's, and a descent that stopped early.

    Raises
    ------
    ValueError, TypeError
        If ``seed`` is neither ``None`` nor an int >= 0.
    """
    rng = _rng(seed)
    yield
    if (refusal := not_a_function(answer, "learn_kernel")) is not None:
        return refusal
    cases = [_kernel_case(rng, size) for size in (3, int(rng.choice([2, 4])))]
    with one_thread():
        problems = (_kernel_problem(answer, case) for case in cases)
        problem = next((text for text in problems if text), None)
    if problem:
        return wrong(problem)
    first, second = (len(case.kernel) for case in cases)
    return correct(f"Your loop recovered two fresh random kernels ({first}×{first} and "
                   f"{second}×{second}) to within {_KERNEL_TOLERANCE:g} in {KERNEL_STEPS} steps.")


# -------------------------------------------------------------------- BatchNorm by hand

_BATCHNORM_RTOL, _BATCHNORM_ATOL = 1e-5, 1e-6
"""Tolerance of :func:`check_my_batchnorm` (a float32 computation of the float64 case passes)."""

_BATCHNORM_HINTS = (
    ("must match the size of tensor",
     "γ and β have shape (C,); reshape them to (1, C, 1, 1) (gamma.view(1, -1, 1, 1)) and "
     "keep the statistics' axes (keepdim=True), so everything lines up with the channel "
     "axis."),
    ("keepdims",
     "Use torch's own reductions on the tensors: x.mean(dim=(0, 2, 3), keepdim=True)."),
)


@dataclass(frozen=True)
class _BatchNormCase:
    """A batch ``x`` ``(N, C, H, W)`` whose channels have their own offset and spread."""

    x: torch.Tensor
    gamma: torch.Tensor
    beta: torch.Tensor
    eps: float

    def describe(self) -> str:
        return f"x of shape {tuple(self.x.shape)}, eps={self.eps:.3g}"

    def expected(self) -> np.ndarray:
        """The oracle: ``F.batch_norm`` in train mode, statistics of the batch."""
        return F.batch_norm(self.x, None, None, self.gamma, self.beta, training=True,
                            eps=self.eps).numpy()


def _batchnorm_case(rng: np.random.Generator, min_side: int) -> _BatchNormCase:
    """``N`` in 2…5, ``C`` in 2…4, ``H, W`` in ``min_side``…5; channel spreads from 0.05 to
    3 (so ``eps`` in 0.05…0.5 matters), offsets up to ±3, standard-normal ``γ`` and ``β``."""
    n, c = int(rng.integers(2, 6)), int(rng.integers(2, 5))
    h, w = (int(side) for side in rng.integers(min_side, 6, size=2))
    spread = rng.uniform(0.05, 3.0, size=(1, c, 1, 1))
    spread[0, 0] = rng.uniform(0.05, 0.2)  # a quiet channel, where eps matters most
    offset = rng.uniform(-3.0, 3.0, size=(1, c, 1, 1))
    x = offset + spread * rng.standard_normal((n, c, h, w))
    return _BatchNormCase(torch.from_numpy(x), torch.from_numpy(rng.standard_normal(c)),
                          torch.from_numpy(rng.standard_normal(c)),
                          float(rng.uniform(0.05, 0.5)))


def _normalised(case: _BatchNormCase, axes: tuple[int, ...] = (0, 2, 3), ddof: int = 0,
                scale: Callable[[np.ndarray, float], np.ndarray] = lambda v, e: np.sqrt(v + e),
                gamma_axis: int = 1, swap: bool = False, gamma: bool = True,
                beta: bool = True) -> np.ndarray:
    """BatchNorm's train-mode formula with one piece changed: the statistics' ``axes``, the
    variance's ``ddof``, the divisor ``scale(var, eps)``, the axis ``γ``/``β`` line up with,
    ``γ`` and ``β`` swapped or left out."""
    x = case.x.numpy()
    g, b = case.gamma.numpy(), case.beta.numpy()
    if swap:
        g, b = b, g
    shape = [1] * 4
    shape[gamma_axis] = len(g)
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, ddof=ddof, keepdims=True)
    x_hat = (x - mean) / scale(var, case.eps)
    return x_hat * (g.reshape(shape) if gamma else 1) + (b.reshape(shape) if beta else 0)


def _batchnorm_mistakes(case: _BatchNormCase) -> Iterator[tuple[np.ndarray, str]]:
    """Each typical slip's output, with its hint, most telling first."""
    per_channel = "BatchNorm uses one mean and variance per channel, over dims (0, 2, 3)"
    yield (_normalised(case, axes=(2, 3)),
           f"you normalised each image's channel on its own, over H and W (that is instance "
           f"normalisation). {per_channel}: the whole batch and every position.")
    yield (_normalised(case, axes=(1, 2, 3)),
           f"you normalised each image over all its channels (that is layer normalisation). "
           f"{per_channel}.")
    yield (_normalised(case, axes=(0,)),
           f"you normalised each position (c, i, j) over the batch only. {per_channel}: all "
           "H×W positions of a channel share its statistics.")
    yield (_normalised(case, axes=(0, 1, 2, 3)),
           f"you used one mean and variance for the whole batch. {per_channel}: "
           "x.mean(dim=(0, 2, 3), keepdim=True).")
    yield (_normalised(case, axes=(0, 2)),
           f"your statistics leave out the W axis. {per_channel}.")
    yield (_normalised(case, axes=(0, 3)),
           f"your statistics leave out the H axis. {per_channel}.")
    yield (_normalised(case, ddof=1),
           "you used the unbiased variance (a division by m − 1, torch.var's default). "
           "BatchNorm normalises with the biased one, a division by m = N·H·W: "
           "x.var(dim=(0, 2, 3), unbiased=False, keepdim=True).")
    yield (_normalised(case, scale=lambda v, e: np.sqrt(v)),
           "you forgot ε: divide by √(σ² + ε).")
    yield (_normalised(case, scale=lambda v, e: np.sqrt(v) + e),
           "ε goes inside the square root: divide by √(σ² + ε), not by √σ² + ε.")
    yield (_normalised(case, scale=lambda v, e: v + e),
           "you divided by the variance σ² + ε; divide by the standard deviation √(σ² + ε).")
    yield (_normalised(case, swap=True),
           "γ and β are swapped: γ scales, β shifts, y = γ·x̂ + β.")
    yield (_normalised(case, gamma=False), "you forgot to scale by γ: y = γ·x̂ + β.")
    yield (_normalised(case, beta=False), "you forgot to shift by β: y = γ·x̂ + β.")
    yield (_normalised(case, gamma=False, beta=False),
           "you stopped at x̂: scale by γ and shift by β, y = γ·x̂ + β.")
    if case.x.shape[3] == len(case.gamma):
        yield (_normalised(case, gamma_axis=3),
               "γ and β line up with the last axis (W), not with the channels: reshape them "
               "to (1, C, 1, 1).")


def _batchnorm_problem(answer: Callable[..., object], case: _BatchNormCase) -> str | None:
    """The hint for the learner's BatchNorm on ``case``, or ``None`` if it is right."""
    expected = case.expected()
    out = learner_array(answer, (case.x.clone(), case.gamma.clone(), case.beta.clone(), case.eps),
                        case=case.describe(), returns="y",
                        error_hint=lambda error: _error_hint(error, _BATCHNORM_HINTS))
    if out.shape != expected.shape:
        return (f"With {case.describe()} your output has shape {out.shape}; BatchNorm keeps "
                f"the shape of x, {expected.shape}.")

    def near(candidate: np.ndarray) -> bool:
        return np.allclose(out, candidate, rtol=_BATCHNORM_RTOL, atol=_BATCHNORM_ATOL)

    if near(expected):
        return None
    hint = next((hint for mistake, hint in _batchnorm_mistakes(case) if near(mistake)),
                "the values differ from nn.BatchNorm2d's. Per channel c: μ_c and σ²_c "
                "(biased) over dims (0, 2, 3), x̂ = (x − μ_c) / √(σ²_c + ε), y = γ_c·x̂ + β_c.")
    return f"With {case.describe()} {hint}"


@checker
def check_my_batchnorm(answer: object, seed: int | None = None) -> Verdict:
    """Run the learner's ``my_batchnorm(x, gamma, beta, eps)`` on three fresh cases.

    ``x`` is a float64 tensor ``(N, C, H, W)`` (the first case with ``H, W >= 2``) whose
    channels have their own offsets and spreads, ``gamma``/``beta`` are ``(C,)`` tensors and
    ``eps`` is in 0.05…0.5 (large enough to matter). The result must equal
    ``F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)``: per channel
    ``c``, ``y = γ_c (x − μ_c) / √(σ²_c + ε) + β_c`` with the mean and the **biased**
    variance over ``(N, H, W)``. Hints for statistics over the wrong axes (instance, layer,
    per-position, whole-batch, one spatial axis left out), the unbiased variance, ``ε``
    forgotten or outside the root, the variance instead of the standard deviation, ``γ``
    and ``β`` swapped, forgotten or on the wrong axis, and broadcasting errors.

    Raises
    ------
    ValueError, TypeError
        If ``seed`` is neither ``None`` nor an int >= 0.
    """
    rng = _rng(seed)
    yield
    if (refusal := not_a_function(answer, "my_batchnorm")) is not None:
        return refusal
    cases = [_batchnorm_case(rng, min_side) for min_side in (2, 1, 1)]
    with one_thread():
        problems = (_batchnorm_problem(answer, case) for case in cases)
        problem = next((text for text in problems if text), None)
    if problem:
        return wrong(problem)
    return correct("Your BatchNorm equals F.batch_norm in train mode on three fresh batches "
                   "(statistics per channel over N, H, W, biased variance, ε inside the root).")


# -------------------------------------------------------------------- shapes through SmallCNN

SHAPE_POINTS = ("pool1", "pool2", "relu3", "gap", "flatten", "classifier")
"""The layers of :class:`~convlessons.models.SmallCNN` whose output shapes
:func:`check_small_cnn_shapes` asks for, in forward order."""


def _small_cnn(rng: np.random.Generator) -> SmallCNN:
    """A default ``SmallCNN`` with fresh random weights and non-trivial BatchNorm statistics,
    built without touching the caller's torch RNG."""
    with torch_seeded(int(rng.integers(2**31))), torch.no_grad():
        model = SmallCNN()
        for layer in model.modules():
            if isinstance(layer, nn.BatchNorm2d):
                layer.weight.normal_(1.0, 0.3)
                layer.bias.normal_(0.0, 0.3)
                layer.running_mean.normal_(0.0, 0.3)
                layer.running_var.uniform_(0.5, 2.0)
    return model


def _layer_outputs(model: SmallCNN, x: torch.Tensor) -> dict[str, tuple[int, ...]]:
    """Output shape of every named layer of ``model`` (features, gap, flatten, classifier)."""
    layers = [*model.features.named_children(), ("gap", model.gap),
              ("flatten", model.flatten), ("classifier", model.classifier)]
    shapes = {}
    with torch.no_grad():
        for name, layer in layers:
            x = layer(x)
            shapes[name] = tuple(x.shape)
    return shapes


def _read_shape(entry: object, name: str) -> tuple[int, ...]:
    """One predicted shape: a tuple, list, ``torch.Size`` or 1-D array of whole numbers."""
    what = f"the shape after {name} as a tuple of whole numbers"
    try:
        count = len(entry)  # type: ignore[arg-type]
    except Exception:  # not a sequence: refused below with the usual message
        count = 4
    return whole_numbers(entry, count if 1 <= count <= 8 else 4, what)


def _side_without_padding(image_size: int, name: str) -> int:
    """The side after ``name`` if every 3×3 conv shrank the map by 2 (padding forgotten)."""
    side = image_size
    for layer in ("conv1", "pool1", "conv2", "pool2", "conv3"):
        side = side - 2 if layer.startswith("conv") else side // 2
        if layer == name or (name == "relu3" and layer == "conv3"):
            return side
    raise AssertionError(name)


def _shape_hint(name: str, got: tuple[int, ...], shapes: dict[str, tuple[int, ...]],
                image_size: int) -> str:
    """Why the predicted shape after ``name`` differs from the real one, ``shapes[name]``."""
    want = shapes[name]
    start = f"After {name} you predict {got}, but the output is {want}"
    n = want[0]
    if got == want[1:]:
        return f"{start}: keep the batch axis first, {n} images in and {n} out at every layer."
    if len(got) != len(want):
        return start + {
            "gap": ": nn.AdaptiveAvgPool2d(1) keeps four axes, each channel's map shrinks to "
                   "1×1; the Flatten after it removes the two 1s.",
            "flatten": ": nn.Flatten() keeps the batch axis and joins all the others into one, "
                       "(N, C·H·W).",
            "classifier": ": the linear layer gives one row of logits per image, "
                          "(N, classes).",
        }.get(name, ": up to here every output has four axes, (N, C, H, W).")
    if got[0] != n:
        return f"{start}: the first axis is the batch, {n} images in and {n} out."
    if got[1] != want[1]:
        if name == "classifier":
            return f"{start}: the last Linear gives one logit per class, {want[1]} of them."
        if name == "flatten" and got[1] == int(np.prod(shapes["relu3"][1:])):
            return f"{start}: after the global average pool each channel is one number."
        return (f"{start}: the channel count is the number of filters of the last conv "
                f"({want[1]}); BatchNorm, ReLU and pooling keep it.")
    if name in ("pool1", "pool2", "relu3") and got[2:] != want[2:]:
        side, wanted = got[2], want[2]
        if name != "relu3" and side == 2 * wanted:
            return f"{start}: a 2×2 max-pool with stride 2 halves H and W ({side} → {wanted})."
        if name == "relu3" and side == wanted // 2:
            return f"{start}: no pool follows the last block; its map stays {wanted}×{wanted}."
        if side == _side_without_padding(image_size, name):
            return (f"{start}: with padding=1 a 3×3 conv keeps H and W "
                    f"(H + 2·1 − 3 + 1 = H); only the pools change them.")
    if name == "gap" and got[2:] != (1, 1):
        return (f"{start}: global average pooling averages each channel's whole map into one "
                "number, so H and W become 1.")
    return (f"{start}. Go layer by layer: a 3×3 conv with padding 1 keeps H and W and sets C to "
            "its number of filters, BatchNorm and ReLU keep the shape, a 2×2 pool halves H and "
            "W (rounding down).")


@checker
def check_small_cnn_shapes(answer: object, batch_size: int = 32, image_size: int = 28) -> Verdict:
    """Check the predicted output shapes of ``SmallCNN()`` after each of :data:`SHAPE_POINTS`.

    The answer is a list of six shapes (tuples) for an input batch of shape
    ``(batch_size, 1, image_size, image_size)``; the expected ones come from a forward pass
    through a default :class:`~convlessons.models.SmallCNN`, layer by layer. Hints for a
    dropped batch axis, a wrong number of axes around the global average pool, the flatten
    and the classifier, a wrong channel count, a pool's halving forgotten or added after the
    last block, the padding forgotten, and a map not pooled to 1×1.

    Raises
    ------
    ValueError, TypeError
        If ``batch_size`` is not an int >= 1 or ``image_size`` not an int >= 4.
    """
    n = as_int(batch_size, "batch_size", minimum=1)
    size = as_int(image_size, "image_size", minimum=4)
    shapes = _layer_outputs(_small_cnn(np.random.default_rng(0)).eval(),
                            torch.zeros(n, 1, size, size))
    yield
    predicted = entries(answer, len(SHAPE_POINTS),
                        f"a list of {len(SHAPE_POINTS)} shapes, after {', '.join(SHAPE_POINTS)}")
    for name, entry in zip(SHAPE_POINTS, predicted, strict=True):
        got = _read_shape(entry, name)
        if got != shapes[name]:
            return wrong(_shape_hint(name, got, shapes, size))
    return correct("All six shapes are right: "
                   + ", ".join(f"{name} {shapes[name]}" for name in SHAPE_POINTS) + ".")


# -------------------------------------------------------------------- SmallCNN by hand


def _side(size: object) -> object:
    """``2`` for ``2`` and ``(2, 2)``: a square setting written as torch accepts it."""
    if isinstance(size, tuple | list) and len(set(size)) == 1:
        return size[0]
    return size


def _describe_layer(layer: nn.Module) -> str:
    """A layer as the learner would write it, with the settings that matter here."""
    if isinstance(layer, nn.Conv2d):
        extra = "" if layer.stride == (1, 1) else f", stride={layer.stride[0]}"
        return (f"Conv2d({layer.in_channels}, {layer.out_channels}, kernel_size="
                f"{layer.kernel_size[0]}{extra}, padding={layer.padding[0]}, "
                f"bias={layer.bias is not None})")
    if isinstance(layer, nn.BatchNorm2d):
        return f"BatchNorm2d({layer.num_features})"
    if isinstance(layer, nn.MaxPool2d | nn.AvgPool2d):
        return (f"{type(layer).__name__}(kernel_size={_side(layer.kernel_size)}, "
                f"stride={_side(layer.stride)})")
    if isinstance(layer, nn.AdaptiveAvgPool2d):
        return f"AdaptiveAvgPool2d({_side(layer.output_size)})"
    if isinstance(layer, nn.Linear):
        return f"Linear({layer.in_features}, {layer.out_features})"
    return f"{type(layer).__name__}()"


def _leaves(model: nn.Module) -> list[nn.Module]:
    return [layer for layer in model.modules() if not list(layer.children())]


def _layer_hint(got: nn.Module | None, want: nn.Module | None, position: int) -> str:
    """Why the learner's layer at ``position`` (from 1) differs from SmallCNN's."""
    if got is None:
        return f"your model ends after layer {position - 1}; next comes {_describe_layer(want)}."
    if want is None:
        return f"layer {position}, {_describe_layer(got)}, is one too many: SmallCNN ends there."
    start = f"layer {position} is {_describe_layer(got)}, SmallCNN's is {_describe_layer(want)}"
    if isinstance(got, nn.Conv2d) and isinstance(want, nn.Conv2d):
        if got.bias is not None and want.bias is None:
            return (f"{start}: bias=False, since the BatchNorm right after the conv subtracts "
                    "any constant and adds its own shift β.")
        if got.padding != want.padding:
            return f"{start}: padding=1 keeps the map's size through a 3×3 conv."
        return f"{start}: each conv takes the previous one's channels, 1 → 8 → 16 → 32."
    if isinstance(want, nn.BatchNorm2d | nn.ReLU) and isinstance(got, nn.BatchNorm2d | nn.ReLU):
        return f"{start}: inside a block the order is conv → BatchNorm → ReLU."
    if isinstance(want, nn.MaxPool2d):
        return f"{start}: the first two blocks end with a 2×2 max-pool, nn.MaxPool2d(2)."
    if isinstance(want, nn.AdaptiveAvgPool2d):
        return (f"{start}: global average pooling is nn.AdaptiveAvgPool2d(1), which averages "
                "each channel's whole map whatever its size.")
    if isinstance(want, nn.Flatten):
        return f"{start}: nn.Flatten() turns (N, 32, 1, 1) into the (N, 32) the Linear needs."
    return f"{start}."


def _structure_hint(model: nn.Module, reference: SmallCNN) -> str | None:
    """The first layer where the learner's model differs from SmallCNN, and why; ``None``
    if every layer matches."""
    got, want = _leaves(model), _leaves(reference)
    for position in range(1, max(len(got), len(want)) + 1):
        mine = got[position - 1] if position <= len(got) else None
        theirs = want[position - 1] if position <= len(want) else None
        if mine is None or theirs is None or _describe_layer(mine) != _describe_layer(theirs):
            return "In forward order, " + _layer_hint(mine, theirs, position)
    return None


_MODEL_HINTS = (
    ("mat1 and mat2",
     "The Linear layer needs (N, 32): global average pool and flatten first, "
     "nn.AdaptiveAvgPool2d(1) then nn.Flatten()."),
    ("channels",
     "Each conv's in_channels must equal the previous conv's out_channels: 1 → 8 → 16 → 32."),
)


def _with_weights_of(answer: nn.Module, reference: SmallCNN) -> nn.Module:
    """A copy of the learner's model holding ``reference``'s parameters and BatchNorm
    statistics, by position (the parameter shapes are known to match)."""
    model = copy.deepcopy(answer)
    with torch.no_grad():
        for mine, theirs in zip(model.parameters(), reference.parameters(), strict=True):
            mine.copy_(theirs)
        for mine, theirs in zip(model.buffers(), reference.buffers(), strict=False):
            if mine.shape == theirs.shape:
                mine.copy_(theirs)
    return model


def _logits_problem(model: nn.Module, reference: SmallCNN, x: torch.Tensor,
                    train: bool) -> str | None:
    """What differs between the learner's ``model(x)`` (time-limited) and ``reference(x)``
    in train or eval mode, with the first differing layer, or ``None``. Both models'
    BatchNorm statistics move alike in train mode."""
    mode = "train" if train else "eval"
    images = f"{x.shape[-1]}×{x.shape[-1]} images"
    model.train(train)
    reference.train(train)
    structure = _structure_hint(model, reference)

    def error_hint(error: BaseException | None) -> str:
        return " ".join(text for text in (_error_hint(error, _MODEL_HINTS), structure) if text)

    with torch.no_grad():
        logits = learner_array(model, (x,), case=f"a batch of {images} in {mode} mode",
                               returns="logits", error_hint=error_hint)
        expected = reference(x).numpy()
    if logits.shape != expected.shape:
        problem = f"On {images} your model returns shape {logits.shape}, SmallCNN {expected.shape}."
    elif not np.allclose(logits, expected, rtol=1e-4, atol=1e-5):
        problem = (f"With SmallCNN's weights copied in, your model's logits differ on {images} "
                   f"in {mode} mode.")
    else:
        return None
    return f"{problem} " + (structure or "Your layers match SmallCNN's, so the way your model "
                            "runs them differs: nn.Sequential runs them in the order listed.")


@checker
def check_my_small_cnn(answer: object, seed: int | None = None) -> Verdict:
    """Check the learner's ``nn.Sequential`` rebuild of ``SmallCNN()``.

    The answer must be a module with ``SmallCNN``'s parameter shapes, in order. A copy of
    it then receives the weights and BatchNorm statistics of a ``SmallCNN`` with fresh random
    values, by position, and must give the same logits (within 1e-5) in eval and train mode
    on a batch of 28×28 images and on one of another size (20, 24 or 32: the global average
    pool must not depend on it). The learner's model itself is not changed. Hints name the
    first layer, in forward order, that differs from ``SmallCNN``'s (conv bias, padding,
    channels, BatchNorm/ReLU order, max-pool, global average pool, flatten), or the error a
    forward pass raised.

    Raises
    ------
    ValueError, TypeError
        If ``seed`` is neither ``None`` nor an int >= 0.
    """
    rng = _rng(seed)
    reference = _small_cnn(rng)
    yield
    if isinstance(answer, type) or not isinstance(answer, nn.Module):
        return wrong("Give your model itself, built: my_cnn = nn.Sequential(...), then "
                     "answer = my_cnn (an instance, not a class or a function).")
    got_shapes = [tuple(p.shape) for p in answer.parameters()]
    want_shapes = [tuple(p.shape) for p in reference.parameters()]
    if got_shapes != want_shapes:
        got_count = sum(int(np.prod(shape)) for shape in got_shapes)
        want_count = sum(int(np.prod(shape)) for shape in want_shapes)
        return wrong(f"Your model has {got_count} parameters, SmallCNN {want_count}. "
                     + (_structure_hint(answer, reference) or ""))
    model = _with_weights_of(answer, reference)
    sizes = (28, int(rng.choice([20, 24, 32])))
    batches = [torch.from_numpy(rng.uniform(0.0, 1.0, (4, 1, size, size)).astype(np.float32))
               for size in sizes]
    with one_thread():
        problems = (_logits_problem(model, reference, x, train)
                    for x in batches for train in (False, True))
        problem = next((text for text in problems if text), None)
    if problem:
        return wrong(problem)
    count = sum(p.numel() for p in reference.parameters())
    return correct(f"Same layers and the same {count} parameters as SmallCNN; with its weights "
                   "copied in, the same logits in train and eval mode, on 28×28 images and on "
                   f"{sizes[1]}×{sizes[1]} ones.")
