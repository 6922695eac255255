"""A small CNN for the lessons: the model, its training loop, and two optimisations.

- :class:`SmallCNN` -- conv/BN/ReLU blocks with named layers the notebooks hook into.
- :func:`train`, :func:`accuracy` -- a deterministic CPU training loop and its metric.
- :func:`fuse_conv_bn`, :func:`fuse_model` -- fold BatchNorm into the preceding conv.
- :func:`prune_channels` -- remove the channels with the smallest BatchNorm scale.
- :func:`count_parameters`, :func:`count_macs` (per layer: :func:`layer_macs`) -- the cost
  the optimisations reduce; :mod:`convlessons.costs` uses them for single layers.
"""

from __future__ import annotations

import contextlib
import copy
import math
import numbers
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import update_bn

from convlessons._validation import as_array, as_instance, as_int, as_module, as_real

__all__ = [
    "COUNTED_LAYERS",
    "SmallCNN",
    "accuracy",
    "count_macs",
    "count_parameters",
    "forward_checked",
    "fuse_conv_bn",
    "fuse_model",
    "layer_macs",
    "prune_channels",
    "train",
]


class SmallCNN(nn.Module):
    """Blocks of ``Conv2d(3x3, padding=1, bias=False) -> BatchNorm2d -> ReLU``, pooled.

    Block ``i`` (counting from 1) is ``features.conv{i}``, ``features.bn{i}``,
    ``features.relu{i}``, followed by ``features.pool{i}`` (``MaxPool2d(2)``) for every
    block but the last. Then ``gap`` (global average pool), ``flatten`` and
    ``classifier`` (``Linear(channels[-1], num_classes)``)::

        features: conv1 bn1 relu1 pool1 | conv2 bn2 relu2 pool2 | conv3 bn3 relu3
        gap -> flatten -> classifier

    ``features`` is an ``nn.Sequential`` whose modules come in forward order, so the
    notebooks can read its ``Conv2d``/``MaxPool2d`` layers to compute receptive fields
    and register forward hooks to show feature maps. The ReLUs are not in-place, so a
    hook on a BatchNorm layer sees its output unchanged. A conv has no bias because the
    BatchNorm after it adds one (``beta``).

    Parameters
    ----------
    in_channels
        Channels of the input images (1 for grayscale).
    num_classes
        Number of output logits.
    channels
        Output channels of each block; the default ``(8, 16, 32)`` gives three blocks.
    """

    def __init__(
        self, in_channels: int = 1, num_classes: int = 6, channels: Sequence[int] = (8, 16, 32)
    ) -> None:
        super().__init__()
        self.in_channels = as_int(in_channels, "in_channels", minimum=1)
        self.num_classes = as_int(num_classes, "num_classes", minimum=1)
        if isinstance(channels, (str, bytes)) or not isinstance(channels, Sequence):
            raise TypeError(f"channels must be a non-empty sequence of ints >= 1, got {channels!r}")
        if len(channels) == 0:
            raise ValueError("channels must be a non-empty sequence of ints >= 1, got ()")
        self.channels = tuple(as_int(c, "channels", minimum=1) for c in channels)

        layers: OrderedDict[str, nn.Module] = OrderedDict()
        previous = self.in_channels
        for i, out in enumerate(self.channels, start=1):
            layers[f"conv{i}"] = nn.Conv2d(previous, out, 3, padding=1, bias=False)
            layers[f"bn{i}"] = nn.BatchNorm2d(out)
            layers[f"relu{i}"] = nn.ReLU()
            if i < len(self.channels):
                layers[f"pool{i}"] = nn.MaxPool2d(2)
            previous = out
        self.features = nn.Sequential(layers)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.classifier = nn.Linear(previous, self.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(N, num_classes)`` for images ``x`` of shape ``(N, C, H, W)``."""
        return self.classifier(self.flatten(self.gap(self.features(x))))


def _as_tensors(images: object, labels: object) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate an image batch and its labels; return a float and an int64 CPU tensor."""
    image_array = as_array(images, "images", ndim=4, layout="(N, C, H, W)")
    if image_array.shape[0] == 0:
        raise ValueError("images must hold at least one image (N >= 1), got N = 0")
    label_array = np.asarray(labels.detach().cpu() if hasattr(labels, "detach") else labels)
    if label_array.dtype.kind not in "iu":
        raise TypeError(f"labels must be an integer array, got dtype {label_array.dtype}")
    if label_array.shape != image_array.shape[:1]:
        raise ValueError(
            f"labels must have shape (N,) = ({image_array.shape[0]},) to match images, "
            f"got {label_array.shape}"
        )
    if label_array.min() < 0:
        raise ValueError(f"labels must be class indices >= 0, got {label_array.min()}")
    return (
        torch.as_tensor(image_array),
        torch.from_numpy(label_array.astype(np.int64)),
    )


def _parameter_like(model: nn.Module) -> dict[str, object]:
    """``device`` and ``dtype`` of the model's first parameter (CPU float32 if none)."""
    first = next(model.parameters(), None)
    if first is None:
        return {"device": torch.device("cpu"), "dtype": torch.float32}
    return {"device": first.device, "dtype": first.dtype}


def forward_checked(model: nn.Module, batch: torch.Tensor, name: str) -> torch.Tensor:
    """``model(batch)``, with an input the model cannot take refused by a ``ValueError``.

    The channel count is checked against the first ``Conv2d``'s ``in_channels`` before the
    call; any other shape error of torch (an image smaller than a kernel or a pooling
    window) becomes ``"<name> does not go through the model: <torch's reason>"``, ``name`` saying
    what the caller passed (``"images of shape (N, C, H, W) = …"``).
    """
    conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    if conv is not None and batch.ndim == 4 and batch.shape[1] != conv.in_channels:
        raise ValueError(f"{name} has {batch.shape[1]} channel(s), but the model's first Conv2d "
                         f"takes in_channels = {conv.in_channels}")
    try:
        return model(batch)
    except RuntimeError as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"{name} does not go through the model: {reason}") from err


def _classes_of(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> None:
    """Run one image through ``model`` (eval mode, no gradients) and check the labels
    against its number of logits, before training or counting starts."""
    with _eval_mode(model):
        logits = forward_checked(model, x[:1], f"images of shape (N, C, H, W) = {tuple(x.shape)}")
    if logits.ndim != 2:
        raise ValueError(f"model must return (N, classes) logits, got shape {tuple(logits.shape)}")
    classes = logits.shape[1]
    if int(y.max()) >= classes:
        raise ValueError(f"labels must be class indices in 0…{classes - 1} (the model outputs "
                         f"{classes} logits), got {int(y.max())}")


@contextlib.contextmanager
def _eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Put ``model`` in eval mode without gradients; restore its previous mode after."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


def train(
    model: nn.Module,
    images: object,
    labels: object,
    epochs: int = 6,
    batch_size: int = 64,
    lr: float = 0.01,
    seed: int = 0,
    progress: bool = True,
) -> list[float]:
    """Train ``model`` in place with Adam and cross-entropy; return the loss per epoch.

    This is the training loop written out line by line in notebook 05_training_a_cnn
    (forward, loss, ``zero_grad``, backward, step, schedule step; ``update_bn`` at the
    end): from the same initial weights, data and seed, both end with identical weights.

    The learning rate decays from ``lr`` to 0 along a cosine over all steps
    (``CosineAnnealingLR``). After the last epoch the BatchNorm running statistics are
    recomputed as plain averages over one pass of the training images with the final
    weights (``torch.optim.swa_utils.update_bn``): the exponential averages gathered
    while the weights were still moving lag behind them, which makes eval-mode accuracy
    of short runs much worse than training accuracy. The model is left in eval mode.

    Each epoch visits the images once in an order drawn from a ``torch.Generator``
    seeded with ``seed``; stochastic layers (dropout) draw from the global torch RNG,
    which is seeded with ``seed`` inside ``torch.random.fork_rng`` so the caller's RNG
    state is left as it was. On CPU the same model state, data and seed therefore give
    the same losses. The model's initial weights are the caller's to seed
    (``torch.manual_seed`` before building it).

    Parameters
    ----------
    model
        A classifier mapping ``(N, C, H, W)`` float tensors to ``(N, classes)`` logits.
    images
        ``(N, C, H, W)`` array or tensor; cast to the model's dtype. ``C`` must be the
        first ``Conv2d``'s ``in_channels`` and the images large enough for every layer.
    labels
        ``(N,)`` integer class indices, each below the model's number of logits.
    epochs, batch_size
        Passes over the data (>= 1) and images per step (>= 1; the last batch may be
        smaller).
    lr
        Adam learning rate (> 0).
    seed
        Seed of the shuffling order and of the torch RNG during training (>= 0).
    progress
        Print one line per epoch: mean loss, training accuracy (on the batches as they
        were seen, in train mode) and seconds elapsed since the start.

    Returns
    -------
    list of float
        Mean cross-entropy over each epoch's samples.
    """
    model = as_module(model)
    x, y = _as_tensors(images, labels)
    epochs = as_int(epochs, "epochs", minimum=1)
    batch_size = as_int(batch_size, "batch_size", minimum=1)
    lr = as_real(lr, "lr", above=0)
    seed = as_int(seed, "seed", minimum=0)
    like = _parameter_like(model)
    x, y = x.to(**like), y.to(like["device"])
    _classes_of(model, x, y)

    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * -(-len(y) // batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    order = torch.Generator().manual_seed(seed)
    losses: list[float] = []
    start = time.perf_counter()
    model.train()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for epoch in range(1, epochs + 1):
            total_loss, correct = 0.0, 0
            for batch in torch.randperm(len(y), generator=order).split(batch_size):
                logits = model(x[batch])
                loss = loss_fn(logits, y[batch])
                optimizer.zero_grad()
                (loss / len(batch)).backward()
                optimizer.step()
                schedule.step()
                total_loss += loss.item()
                correct += int((logits.argmax(1) == y[batch]).sum())
            losses.append(total_loss / len(y))
            if progress:
                print(
                    f"epoch {epoch}/{epochs}  loss {losses[-1]:.4f}  "
                    f"train accuracy {correct / len(y):.1%}  {time.perf_counter() - start:.1f} s"
                )
        update_bn(x.split(batch_size), model)
    model.eval()
    return losses


def accuracy(model: nn.Module, images: object, labels: object, batch_size: int = 1024) -> float:
    """Fraction of ``images`` whose arg-max logit is the label, computed in eval mode.

    BatchNorm uses its running statistics; the model's train/eval mode is restored
    afterwards. ``batch_size`` (>= 1) only bounds memory use. Images and labels are
    checked against the model first, as in :func:`train` (a label the model cannot output
    is a ``ValueError``, not a silent miss).
    """
    model = as_module(model)
    x, y = _as_tensors(images, labels)
    batch_size = as_int(batch_size, "batch_size", minimum=1)
    like = _parameter_like(model)
    _classes_of(model, x.to(**like), y)
    correct = 0
    with _eval_mode(model):
        for xb, yb in zip(x.split(batch_size), y.split(batch_size), strict=True):
            logits = model(xb.to(**like))
            correct += int((logits.argmax(1).cpu() == yb).sum())
    return correct / len(y)


def fuse_conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """Fold an eval-mode ``BatchNorm2d`` into the ``Conv2d`` before it.

    In eval mode BatchNorm is a per-channel affine map with its running statistics
    ``mu``, ``sigma^2``:

    .. math::

        \\mathrm{bn}(z)_k = \\gamma_k \\frac{z_k - \\mu_k}{\\sqrt{\\sigma_k^2 + \\epsilon}}
        + \\beta_k, \\qquad z_k = (W_k * x) + b_k .

    Writing :math:`s_k = \\gamma_k / \\sqrt{\\sigma_k^2 + \\epsilon}` and using linearity of
    the convolution, :math:`\\mathrm{bn}(z)_k = (s_k W_k) * x + (b_k - \\mu_k) s_k + \\beta_k`,
    so one conv with

    .. math::

        W'_k = s_k W_k, \\qquad b'_k = (b_k - \\mu_k)\\, s_k + \\beta_k

    (``b = 0`` when the conv has no bias; ``gamma = 1``, ``beta = 0`` when the BN is not
    affine) computes both layers. Stride, padding, dilation, groups and padding mode are
    copied: scaling output channel ``k`` does not care which inputs feed it. Checked
    against ``torch.nn.utils.fusion.fuse_conv_bn_eval`` (weights and outputs).

    Returns
    -------
    torch.nn.Conv2d
        A new conv with a bias, the conv's dtype (also when ``bn`` has another: the fold
        is computed in the wider one) and device; the inputs are not modified.
        It equals ``bn(conv(x))`` only while ``bn`` is in eval mode.
    """
    if not isinstance(conv, nn.Conv2d):
        raise TypeError(f"conv must be a torch.nn.Conv2d, got {type(conv).__name__}")
    if not isinstance(bn, nn.BatchNorm2d):
        raise TypeError(f"bn must be a torch.nn.BatchNorm2d, got {type(bn).__name__}")
    if bn.num_features != conv.out_channels:
        raise ValueError(
            f"bn must have num_features == conv.out_channels = {conv.out_channels}, "
            f"got {bn.num_features}"
        )
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("bn must track running statistics (track_running_stats=True)")

    fused = copy.deepcopy(conv)
    with torch.no_grad():
        dtype = conv.weight.dtype  # computed in the wider of the two dtypes, stored in this one
        work = torch.promote_types(dtype, bn.running_mean.dtype)
        weight, mean, var = (t.to(work) for t in (conv.weight, bn.running_mean, bn.running_var))
        gamma = bn.weight.to(work) if bn.affine else torch.ones_like(mean)
        beta = bn.bias.to(work) if bn.affine else torch.zeros_like(mean)
        bias = conv.bias.to(work) if conv.bias is not None else torch.zeros_like(mean)
        scale = gamma / torch.sqrt(var + bn.eps)
        fused.weight.copy_(weight * scale.reshape(-1, 1, 1, 1))
        fused.bias = nn.Parameter(((bias - mean) * scale + beta).to(dtype))
    return fused


def fuse_model(model: nn.Module) -> nn.Module:
    """Return an eval-mode copy of ``model`` with every Conv2d-BatchNorm2d pair fused.

    Inside every ``nn.Sequential`` of the model (for :class:`SmallCNN`, ``features``), a
    ``Conv2d`` directly followed by a ``BatchNorm2d`` becomes the conv from
    :func:`fuse_conv_bn` and the BatchNorm becomes ``nn.Identity``, so module names and
    positions (hence hooks and receptive-field reading) stay the same. The copy's
    outputs equal the original's in eval mode; the original is not modified.
    """
    fused = copy.deepcopy(as_module(model)).eval()
    for sequential in fused.modules():
        if not isinstance(sequential, nn.Sequential):
            continue
        children = list(sequential.named_children())
        for (name, conv), (next_name, bn) in zip(children, children[1:], strict=False):
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                setattr(sequential, name, fuse_conv_bn(conv, bn))
                setattr(sequential, next_name, nn.Identity())
    return fused


def prune_channels(model: SmallCNN, ratio: float) -> SmallCNN:
    """Return a smaller copy of ``model`` without the channels of smallest BatchNorm scale.

    In block ``i`` with ``C_i`` channels, channel importance is ``|gamma|`` of ``bn{i}``
    (Liu et al. 2017, "Learning Efficient Convolutional Networks through Network
    Slimming"). The ``max(1, round((1 - ratio) * C_i))`` most important channels are
    kept (Python's ``round``: halves go to even), in their original order. Keeping a
    channel keeps its output filter in ``conv{i}`` and its entries in ``bn{i}``, and
    also its **input** slice in the next layer: ``conv{i+1}.weight[:, kept_i]``, or
    ``classifier.weight[:, kept_last]`` after the last block. (Forgetting the next
    layer's input slice leaves a model whose shapes do not match.)

    With ``ratio = 0`` every channel is kept and the copy computes the same function.

    Parameters
    ----------
    model
        A :class:`SmallCNN`; it is not modified.
    ratio
        Fraction of channels to remove in each block, in [0, 1).

    Returns
    -------
    SmallCNN
        A new model with ``channels`` equal to the kept counts, the same dtype, device
        and train/eval mode. Fine-tuning it usually recovers most lost accuracy. Built
        under ``torch.random.fork_rng``: later unseeded draws are as without the call.

    Raises
    ------
    ValueError
        If ``ratio`` is outside [0, 1) (``10**400`` included) or a ``bn{i}`` is not affine
        or does not track running statistics (no ``gamma`` to rank by).
    """
    as_instance(model, "model", SmallCNN)
    ratio = as_real(ratio, "ratio", at_least=0, below=1)
    for i in range(1, len(model.channels) + 1):
        bn = model.features.get_submodule(f"bn{i}")
        if not (bn.affine and bn.track_running_stats):
            raise ValueError(f"model's BatchNorm layers must have affine=True (channels are ranked "
                             f"by |gamma|) and track_running_stats=True, got features.bn{i} with "
                             f"affine={bn.affine}, track_running_stats={bn.track_running_stats}")

    state = model.state_dict()
    pruned_state: dict[str, torch.Tensor] = {}
    kept_counts = []
    previous = torch.arange(model.in_channels)
    for i, count in enumerate(model.channels, start=1):
        keep_n = max(1, round((1 - ratio) * count))
        importance = state[f"features.bn{i}.weight"].abs()
        order = torch.argsort(importance, descending=True, stable=True)
        kept = torch.sort(order[:keep_n]).values
        pruned_state[f"features.conv{i}.weight"] = state[f"features.conv{i}.weight"][kept][
            :, previous
        ]
        for entry in ("weight", "bias", "running_mean", "running_var"):
            pruned_state[f"features.bn{i}.{entry}"] = state[f"features.bn{i}.{entry}"][kept]
        pruned_state[f"features.bn{i}.num_batches_tracked"] = state[
            f"features.bn{i}.num_batches_tracked"
        ].clone()
        kept_counts.append(keep_n)
        previous = kept
    pruned_state["classifier.weight"] = state["classifier.weight"][:, previous]
    pruned_state["classifier.bias"] = state["classifier.bias"].clone()

    with torch.random.fork_rng(devices=[]):  # its random initial weights are overwritten
        pruned = SmallCNN(model.in_channels, model.num_classes, kept_counts)
    pruned.to(**_parameter_like(model))
    pruned.load_state_dict(pruned_state)
    return pruned.train(model.training)


def count_parameters(model: nn.Module) -> int:
    """Number of scalar parameters (``sum(p.numel())``); BatchNorm running stats excluded."""
    return sum(p.numel() for p in as_module(model).parameters())


COUNTED_LAYERS = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)
"""The layer types :func:`count_macs` counts (everything else is taken as free)."""


def layer_macs(layer: nn.Module, input: torch.Tensor, output: torch.Tensor) -> int:
    """Multiply-accumulates of one call of a :data:`COUNTED_LAYERS` layer (0 for others).

    With ``C`` input and ``K`` output channels, ``g`` groups and a ``kH × kW`` kernel:

    - ``Conv2d``: every output value is a dot product of length ``(C/g)·kH·kW``, so
      ``K·(C/g)·kH·kW`` per output position and ``(C/g)·kH·kW · output.numel()`` in all;
    - ``ConvTranspose2d``: every input value is multiplied into a ``(K/g)·kH·kW`` block of
      the output, so ``(K/g)·kH·kW · input.numel()`` (the output size does not matter);
    - ``Linear``: ``in_features · output.numel()``.

    The same counts as ``torch.utils.flop_counter.FlopCounterMode``, which reports
    ``2 ·`` multiply-accumulates as FLOPs (tested). Biases are not counted.
    """
    if isinstance(layer, nn.Conv2d):
        return layer.in_channels // layer.groups * math.prod(layer.kernel_size) * output.numel()
    if isinstance(layer, nn.ConvTranspose2d):
        return layer.out_channels // layer.groups * math.prod(layer.kernel_size) * input.numel()
    if isinstance(layer, nn.Linear):
        return layer.in_features * output.numel()
    return 0


def count_macs(model: nn.Module, input_shape: Sequence[int]) -> int:
    """Multiply-accumulates of the ``Conv2d``, ``ConvTranspose2d`` and ``Linear`` layers.

    Forward hooks on every :data:`COUNTED_LAYERS` submodule add :func:`layer_macs` of its
    call while an input of shape ``(1, *input_shape)`` (one image) runs in eval mode
    through a copy of the model on the ``meta`` device (shapes only: no memory, whatever
    the size; the model itself is not touched).
    Bias additions, BatchNorm, activations and pooling are not counted.

    Parameters
    ----------
    model
        Any module; only its :data:`COUNTED_LAYERS` submodules are counted.
    input_shape
        ``(C, H, W)`` of one image, positive ints; ``ValueError`` naming it when the model
        cannot take such an image (channels, or too small for a kernel or pooling window).
    """
    model = as_module(model)
    if (
        not isinstance(input_shape, (tuple, list))
        or len(input_shape) != 3
        or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in input_shape)
    ):
        raise TypeError(f"input_shape must be a tuple (C, H, W) of ints >= 1, got {input_shape!r}")
    if min(input_shape) < 1:
        raise ValueError(f"input_shape must be a tuple (C, H, W) of ints >= 1, got {input_shape!r}")

    macs = 0

    def hook(layer: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal macs
        macs += layer_macs(layer, inputs[0], output)

    shapes_only = copy.deepcopy(model).to("meta")  # shapes without memory: any input size
    for layer in shapes_only.modules():
        if isinstance(layer, COUNTED_LAYERS):
            layer.register_forward_hook(hook)
    with _eval_mode(shapes_only):
        forward_checked(shapes_only, torch.zeros(1, *input_shape, device="meta",
                                                 dtype=_parameter_like(model)["dtype"]),
                        f"input_shape {tuple(input_shape)}")
    return macs
