"""Tests for convlessons.models: SmallCNN, training, conv-BN fusion, channel pruning, costs."""

import copy

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval
from torch.utils.flop_counter import FlopCounterMode

from convlessons.data import SHAPE_CLASSES, make_shapes_dataset
from convlessons.models import (
    SmallCNN,
    accuracy,
    count_macs,
    count_parameters,
    fuse_conv_bn,
    fuse_model,
    prune_channels,
    train,
)


def randomize_batchnorm(model: nn.Module, seed: int) -> nn.Module:
    """Give every BatchNorm non-trivial gamma, beta and running statistics."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for bn in model.modules():
            if isinstance(bn, nn.BatchNorm2d):
                shape, like = bn.running_mean.shape, bn.running_mean
                bn.running_mean.copy_(torch.randn(shape, generator=generator).to(like))
                bn.running_var.copy_(torch.rand(shape, generator=generator).to(like) + 0.5)
                if bn.affine:
                    bn.weight.copy_(torch.randn(shape, generator=generator).to(like))
                    bn.bias.copy_(torch.randn(shape, generator=generator).to(like))
    return model


def small_cnn(seed: int = 0, dtype: torch.dtype = torch.float64, **kwargs) -> SmallCNN:
    torch.manual_seed(seed)
    return randomize_batchnorm(SmallCNN(**kwargs), seed).to(dtype).eval()


# --- SmallCNN -----------------------------------------------------------------------


def test_small_cnn_layout_and_names():
    model = SmallCNN()
    names = [name for name, _ in model.features.named_children()]
    assert names == [
        "conv1", "bn1", "relu1", "pool1",
        "conv2", "bn2", "relu2", "pool2",
        "conv3", "bn3", "relu3",
    ]  # fmt: skip
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [8, 16, 32]
    assert all(c.kernel_size == (3, 3) and c.padding == (1, 1) for c in convs)
    assert all(c.bias is None for c in convs)
    assert model.classifier.in_features == 32
    assert model.classifier.out_features == len(SHAPE_CLASSES)
    assert model(torch.zeros(5, 1, 28, 28)).shape == (5, len(SHAPE_CLASSES))


def test_small_cnn_other_sizes():
    model = SmallCNN(in_channels=3, num_classes=10, channels=(4, 6))
    assert [n for n, _ in model.features.named_children()][-1] == "relu2"
    assert model(torch.zeros(2, 3, 9, 9)).shape == (2, 10)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"in_channels": 0}, ValueError, "in_channels"),
        ({"num_classes": 0}, ValueError, "num_classes"),
        ({"channels": ()}, ValueError, "channels"),
        ({"channels": (8, 0)}, ValueError, "channels"),
        ({"channels": 8}, TypeError, "channels"),
    ],
)
def test_small_cnn_errors_name_the_parameter(kwargs, error, name):
    with pytest.raises(error, match=name):
        SmallCNN(**kwargs)


# --- training -----------------------------------------------------------------------


def test_training_beats_chance_quickly_and_is_deterministic(capsys):
    images, labels = make_shapes_dataset(480, seed=0, size=16)
    test_images, test_labels = make_shapes_dataset(300, seed=1, size=16)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = SmallCNN()
        losses = train(model, images, labels, epochs=3, batch_size=64, lr=0.02, seed=5)
        runs.append((losses, model))
    (losses, model), (again, _) = runs
    assert losses == again, "same seed, same data, same start: same losses"
    assert len(losses) == 3 and losses[-1] < losses[0]
    chance = 1 / len(SHAPE_CLASSES)
    assert accuracy(model, test_images, test_labels) > 2.5 * chance
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 6 and lines[0].startswith("epoch 1/3")
    assert "loss" in lines[0] and "accuracy" in lines[0] and lines[0].endswith(" s")


def test_train_quiet_and_shuffle_seed_matters(capsys):
    images, labels = make_shapes_dataset(64, seed=0, size=12)
    losses = []
    for seed in (0, 1):
        torch.manual_seed(0)
        losses.append(train(SmallCNN(), images, labels, epochs=1, batch_size=16, seed=seed,
                            progress=False))  # fmt: skip
    assert capsys.readouterr().out == ""
    assert losses[0] != losses[1]


def test_accuracy_uses_eval_mode_and_restores_the_mode():
    model = small_cnn(dtype=torch.float32)
    images, labels = make_shapes_dataset(30, seed=2, size=12)
    with torch.no_grad():
        expected = (model(torch.from_numpy(images)).argmax(1).numpy() == labels).mean()
    model.train()
    assert accuracy(model, images, labels, batch_size=7) == pytest.approx(expected)
    assert model.training
    assert accuracy(model, torch.from_numpy(images), torch.from_numpy(labels)) == pytest.approx(
        expected
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"images": np.zeros((4, 12, 12))}, ValueError, "images"),
        ({"images": np.zeros((0, 1, 12, 12))}, ValueError, "images must hold at least one"),
        ({"labels": np.zeros(4)}, TypeError, "labels"),
        ({"labels": np.zeros(3, dtype=int)}, ValueError, "labels"),
        ({"labels": -np.ones(4, dtype=int)}, ValueError, "labels"),
        ({"epochs": 0}, ValueError, "epochs"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"lr": 0.0}, ValueError, "lr"),
        ({"lr": float("nan")}, ValueError, "lr must be a finite real number > 0"),
        ({"lr": "fast"}, TypeError, "lr"),
        ({"seed": -1}, ValueError, "seed"),
        ({"model": "cnn"}, TypeError, "model"),
        ({"labels": np.full(4, 6)}, ValueError,
         r"labels must be class indices in 0…5 \(the model outputs 6 logits\), got 6"),
        ({"images": np.zeros((4, 3, 12, 12))}, ValueError,
         r"images of shape .* \(4, 3, 12, 12\) has 3 channel\(s\), but the model's first "
         r"Conv2d takes in_channels = 1"),
        ({"images": np.zeros((4, 1, 2, 2))}, ValueError,
         r"images of shape .* \(4, 1, 2, 2\) does not go through the model: .*too small"),
    ],
)
def test_train_errors_name_the_parameter(kwargs, error, name):
    arguments = {
        "model": SmallCNN(),
        "images": np.zeros((4, 1, 12, 12)),
        "labels": np.zeros(4, dtype=int),
        "progress": False,
    } | kwargs
    with pytest.raises(error, match=name):
        train(**arguments)


def test_train_refuses_before_changing_the_model():
    model = SmallCNN()
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(ValueError, match="labels"):
        train(model, np.zeros((4, 1, 12, 12)), np.arange(4) + 6, progress=False)
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, before[name]), name


def test_accuracy_errors_name_the_parameter():
    with pytest.raises(ValueError, match="labels"):
        accuracy(SmallCNN(), np.zeros((4, 1, 12, 12)), np.zeros(5, dtype=int))
    images, labels = make_shapes_dataset(12, seed=0)
    with pytest.raises(ValueError, match=r"labels must be class indices in 0…5 .* got 11"):
        accuracy(SmallCNN(), images, labels + 6)  # not a silent 0.0
    with pytest.raises(ValueError, match=r"images of shape .* has 3 channel\(s\)"):
        accuracy(SmallCNN(), np.repeat(images, 3, axis=1), labels)
    with pytest.raises(ValueError, match="batch_size"):
        accuracy(SmallCNN(), np.zeros((4, 1, 12, 12)), np.zeros(4, dtype=int), batch_size=0)


# --- conv-BN fusion -----------------------------------------------------------------


@st.composite
def conv_bn_pairs(draw, dtype=torch.float64):
    groups = draw(st.integers(1, 3))
    in_channels = groups * draw(st.integers(1, 3))
    out_channels = groups * draw(st.integers(1, 3))
    conv = nn.Conv2d(
        in_channels,
        out_channels,
        kernel_size=(draw(st.integers(1, 4)), draw(st.integers(1, 4))),
        stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        padding=(draw(st.integers(0, 2)), draw(st.integers(0, 2))),
        dilation=draw(st.integers(1, 2)),
        groups=groups,
        bias=draw(st.booleans()),
        padding_mode=draw(st.sampled_from(["zeros", "reflect", "circular"])),
    ).to(dtype)
    bn = nn.BatchNorm2d(out_channels, eps=draw(st.sampled_from([1e-5, 1e-3])),
                        affine=draw(st.booleans())).to(dtype)  # fmt: skip
    seed = draw(st.integers(0, 2**16))
    torch.manual_seed(seed)
    conv.reset_parameters()
    randomize_batchnorm(bn, seed)
    return conv.eval(), bn.eval(), seed


@settings(max_examples=60)
@given(pair=conv_bn_pairs())
def test_fuse_conv_bn_matches_torch_and_the_two_layers_float64(pair):
    conv, bn, seed = pair
    original = copy.deepcopy((conv.state_dict(), bn.state_dict()))
    fused = fuse_conv_bn(conv, bn)
    reference = fuse_conv_bn_eval(conv, bn)
    torch.testing.assert_close(fused.weight, reference.weight, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(fused.bias, reference.bias, rtol=1e-12, atol=1e-12)
    x = torch.randn(2, conv.in_channels, 9, 8, dtype=torch.float64,
                    generator=torch.Generator().manual_seed(seed))  # fmt: skip
    with torch.no_grad():
        torch.testing.assert_close(fused(x), bn(conv(x)), rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(fused(x), reference(x), rtol=1e-12, atol=1e-12)
    assert fused.stride == conv.stride and fused.groups == conv.groups
    assert fused.padding == conv.padding and fused.padding_mode == conv.padding_mode
    torch.testing.assert_close(conv.state_dict(), original[0], rtol=0, atol=0)
    torch.testing.assert_close(bn.state_dict(), original[1], rtol=0, atol=0)


@settings(max_examples=25)
@given(pair=conv_bn_pairs(dtype=torch.float32))
def test_fuse_conv_bn_float32(pair):
    conv, bn, seed = pair
    fused = fuse_conv_bn(conv, bn)
    assert fused.weight.dtype == torch.float32
    reference = fuse_conv_bn_eval(conv, bn)
    torch.testing.assert_close(fused.weight, reference.weight, rtol=1e-5, atol=1e-6)
    x = torch.randn(2, conv.in_channels, 7, 7, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        torch.testing.assert_close(fused(x), bn(conv(x)), rtol=1e-5, atol=1e-5)


def test_fuse_conv_bn_worked_example():
    """One channel: W' = W * gamma / sqrt(var + eps), b' = (b - mu) * gamma / sqrt(...) + beta."""
    conv = nn.Conv2d(1, 1, 1).double()
    bn = nn.BatchNorm2d(1, eps=0.0).double().eval()
    with torch.no_grad():
        conv.weight.fill_(2.0)
        conv.bias.fill_(1.0)
        bn.running_mean.fill_(3.0)
        bn.running_var.fill_(4.0)
        bn.weight.fill_(6.0)
        bn.bias.fill_(0.5)
    fused = fuse_conv_bn(conv, bn)
    assert fused.weight.item() == 2.0 * 6.0 / 2.0
    assert fused.bias.item() == (1.0 - 3.0) * 6.0 / 2.0 + 0.5


def test_fuse_conv_bn_errors_name_the_parameter():
    conv, bn = nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4)
    with pytest.raises(TypeError, match="conv"):
        fuse_conv_bn(nn.Linear(2, 4), bn)
    with pytest.raises(TypeError, match="bn"):
        fuse_conv_bn(conv, nn.BatchNorm1d(4))
    with pytest.raises(ValueError, match="bn must have num_features == conv.out_channels = 4"):
        fuse_conv_bn(conv, nn.BatchNorm2d(3))
    with pytest.raises(ValueError, match="bn must track running statistics"):
        fuse_conv_bn(conv, nn.BatchNorm2d(4, track_running_stats=False))


@pytest.mark.parametrize(("conv_dtype", "bn_dtype"), [(torch.float32, torch.float64),
                                                      (torch.float64, torch.float32)])
def test_fuse_conv_bn_takes_the_convs_dtype(conv_dtype, bn_dtype):
    conv = nn.Conv2d(3, 4, 3, bias=False).to(conv_dtype)
    bn = randomize_batchnorm(nn.Sequential(nn.BatchNorm2d(4)), seed=3)[0].to(bn_dtype).eval()
    fused = fuse_conv_bn(conv, bn)
    assert fused.weight.dtype == fused.bias.dtype == conv_dtype
    x = torch.randn(2, 3, 6, 6, dtype=conv_dtype)
    with torch.no_grad():
        expected = bn(conv(x).to(bn_dtype)).to(conv_dtype)
        torch.testing.assert_close(fused(x), expected, rtol=1e-5, atol=1e-5)


@settings(max_examples=10)
@given(seed=st.integers(0, 2**16), channels=st.lists(st.integers(1, 6), min_size=1, max_size=3))
def test_fuse_model_equals_the_original_in_eval_mode(seed, channels):
    model = small_cnn(seed, channels=channels).train()
    fused = fuse_model(model)
    assert model.training, "the original keeps its mode"
    assert not fused.training
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fused.modules())
    assert isinstance(fused.features.bn1, nn.Identity)
    assert fused.features.conv1.bias is not None
    x = torch.randn(3, 1, 12, 12, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(fused(x), model.eval()(x), rtol=1e-10, atol=1e-12)
    assert isinstance(model.features.bn1, nn.BatchNorm2d), "the original is untouched"


def test_fuse_model_replaces_children_of_any_sequential_by_name():
    torch.manual_seed(0)
    inner = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU())
    model = nn.Sequential(inner, nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3)).eval()
    fused = fuse_model(model)
    assert [type(m).__name__ for m in fused.modules() if not list(m.children())] == [
        "Conv2d", "Identity", "ReLU", "Conv2d", "Identity"]
    assert [name for name, _ in fused[0].named_children()] == ["0", "1", "2"]
    x = torch.randn(2, 1, 7, 7)
    with torch.no_grad():
        torch.testing.assert_close(fused(x), model(x), rtol=1e-5, atol=1e-6)


def test_fuse_model_float32_trained_model():
    torch.manual_seed(0)
    model = SmallCNN()
    images, labels = make_shapes_dataset(128, seed=0, size=16)
    train(model, images, labels, epochs=1, progress=False)
    fused = fuse_model(model)
    x = torch.from_numpy(images[:16])
    with torch.no_grad():
        torch.testing.assert_close(fused(x), model.eval()(x), rtol=1e-5, atol=1e-5)
    assert count_parameters(fused) < count_parameters(model)


# --- pruning ------------------------------------------------------------------------


def kept_counts(channels, ratio):
    return [max(1, round((1 - ratio) * c)) for c in channels]


@settings(max_examples=15)
@given(
    seed=st.integers(0, 2**16),
    channels=st.lists(st.integers(1, 8), min_size=1, max_size=3),
    ratio=st.floats(0.0, 0.95),
)
def test_pruned_model_shapes_and_costs(seed, channels, ratio):
    model = small_cnn(seed, channels=channels)
    pruned = prune_channels(model, ratio)
    expected = kept_counts(channels, ratio)
    convs = [m for m in pruned.features if isinstance(m, nn.Conv2d)]
    bns = [m for m in pruned.features if isinstance(m, nn.BatchNorm2d)]
    assert pruned.channels == tuple(expected)
    assert [c.out_channels for c in convs] == expected
    assert [c.in_channels for c in convs] == [1, *expected[:-1]]
    assert [b.num_features for b in bns] == expected
    assert pruned.classifier.in_features == expected[-1]
    assert pruned.classifier.weight.dtype == torch.float64
    with torch.no_grad():
        assert pruned(torch.zeros(2, 1, 12, 12, dtype=torch.float64)).shape == (2, 6)
    if expected != list(channels):
        assert count_parameters(pruned) < count_parameters(model)
        assert count_macs(pruned, (1, 12, 12)) < count_macs(model, (1, 12, 12))
    assert model.channels == tuple(channels), "the original is untouched"


def test_prune_ratio_zero_is_the_same_function():
    model = small_cnn(1)
    pruned = prune_channels(model, 0.0)
    assert pruned is not model
    x = torch.randn(4, 1, 16, 16, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(pruned(x), model(x), rtol=0, atol=0)


@settings(max_examples=10)
@given(seed=st.integers(0, 2**16))
def test_prune_removes_dead_channels_and_their_inputs_exactly(seed):
    """Channels whose BN output is 0 (gamma = beta = 0) contribute nothing downstream.

    Pruning exactly those must give the same outputs, which holds only if the next
    conv (or the classifier) loses the matching *input* channels, in the same order.
    """
    model = small_cnn(seed, channels=(8, 8, 8))
    generator = torch.Generator().manual_seed(seed)
    dead = {}
    with torch.no_grad():
        for i in (1, 2, 3):
            bn = getattr(model.features, f"bn{i}")
            bn.weight.copy_(torch.sign(bn.weight) * (bn.weight.abs() + 0.1))
            dead[i] = torch.randperm(8, generator=generator)[:2]
            bn.weight[dead[i]] = 0.0
            bn.bias[dead[i]] = 0.0
    pruned = prune_channels(model, 0.25)
    assert pruned.channels == (6, 6, 6)
    for i in (1, 2, 3):
        kept = [c for c in range(8) if c not in dead[i].tolist()]
        torch.testing.assert_close(
            getattr(pruned.features, f"bn{i}").weight,
            getattr(model.features, f"bn{i}").weight[kept],
        )
    x = torch.randn(3, 1, 16, 16, dtype=torch.float64, generator=generator)
    with torch.no_grad():
        torch.testing.assert_close(pruned(x), model(x), rtol=1e-12, atol=1e-12)


def test_prune_keeps_mode_and_leaves_original_alone():
    model = small_cnn(2).train()
    before = copy.deepcopy(model.state_dict())
    pruned = prune_channels(model, 0.5)
    assert pruned.training
    assert pruned.channels == (4, 8, 16)
    torch.testing.assert_close(model.state_dict(), before, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("arguments", "error", "name"),
    [
        ((SmallCNN(), 1.0), ValueError, "ratio must be a finite real number in \\[0, 1\\)"),
        ((SmallCNN(), -0.1), ValueError, "ratio"),
        ((SmallCNN(), "half"), TypeError, "ratio"),
        ((nn.Linear(2, 2), 0.5), TypeError, "model must be a SmallCNN"),
        ((SmallCNN(), 10**400), ValueError, "ratio must be a finite real number in"),
        ((SmallCNN(), float("inf")), ValueError, "ratio"),
    ],
)
def test_prune_errors_name_the_parameter(arguments, error, name):
    with pytest.raises(error, match=name):
        prune_channels(*arguments)


@pytest.mark.parametrize("options", [{"affine": False}, {"track_running_stats": False}])
def test_prune_refuses_batchnorm_without_gamma_or_statistics(options):
    model = SmallCNN()
    model.features.bn2 = nn.BatchNorm2d(16, **options)
    with pytest.raises(ValueError, match=r"model's BatchNorm layers must have affine=True .* "
                       r"got features.bn2"):
        prune_channels(model, 0.5)


def test_prune_leaves_the_global_torch_generator_alone():
    model = SmallCNN()
    torch.manual_seed(1)
    expected = torch.rand(3)
    torch.manual_seed(1)
    prune_channels(model, 0.5)
    assert torch.equal(torch.rand(3), expected)


# --- costs --------------------------------------------------------------------------


def test_count_macs_by_hand():
    # Conv: K=4, C=6, groups=2, 3x3, 10x10 input, stride 2, padding 1 -> 5x5 output.
    conv = nn.Conv2d(6, 4, 3, stride=2, padding=1, groups=2)
    assert count_macs(conv, (6, 10, 10)) == 4 * (6 // 2) * 3 * 3 * 5 * 5
    model = nn.Sequential(conv, nn.Flatten(), nn.Linear(4 * 5 * 5, 7))
    assert count_macs(model, [6, 10, 10]) == 2700 + 100 * 7
    # ConvTranspose2d: every input value scatters a (K/g)·k·k block: C·H·W·(K/g)·k·k
    up = nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1, groups=2)
    assert count_macs(up, (6, 10, 10)) == 6 * 10 * 10 * (4 // 2) * 3 * 3


@settings(max_examples=25)
@given(groups=st.sampled_from([1, 2]), kernel=st.integers(1, 4), stride=st.integers(1, 3),
       dilation=st.integers(1, 2), size=st.integers(7, 11), data=st.data())
def test_count_macs_is_half_the_flops_of_torch_flop_counter(groups, kernel, stride, dilation,
                                                            size, data):
    padding = data.draw(st.integers(0, dilation * (kernel - 1) // 2))
    output_padding = data.draw(st.integers(0, max(stride, dilation) - 1))
    conv = nn.Conv2d(2, 4, kernel, stride=stride, padding=padding, dilation=dilation,
                     groups=groups)
    up = nn.ConvTranspose2d(4, 6, kernel, stride=stride, padding=padding,
                            output_padding=output_padding, dilation=dilation, groups=groups)
    model = nn.Sequential(conv, nn.ReLU(), up, nn.Flatten(), nn.LazyLinear(3))
    with torch.no_grad():
        model(torch.zeros(1, 2, size, size))  # materialises the lazy Linear
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, 2, size, size))
    assert counter.get_total_flops() == 2 * count_macs(model, (2, size, size))


def test_small_cnn_costs_by_hand():
    model = SmallCNN()
    convs = 8 * 1 * 9 * 28 * 28 + 16 * 8 * 9 * 14 * 14 + 32 * 16 * 9 * 7 * 7
    assert count_macs(model, (1, 28, 28)) == convs + 32 * 6
    weights = 8 * 1 * 9 + 16 * 8 * 9 + 32 * 16 * 9
    batchnorm = 2 * (8 + 16 + 32)
    assert count_parameters(model) == weights + batchnorm + 32 * 6 + 6
    assert model.training, "count_macs restores the mode"


@pytest.mark.parametrize(
    ("shape", "error"),
    [((1, 28), TypeError), ((1, 28, 28.0), TypeError), ((0, 28, 28), ValueError), (5, TypeError),
     ((1, 2, 2), ValueError), ((3, 28, 28), ValueError)],
)
def test_count_macs_errors_name_the_parameter(shape, error):
    with pytest.raises(error, match="input_shape"):
        count_macs(SmallCNN(), shape)


def test_count_macs_messages_say_why_and_large_inputs_cost_no_memory():
    with pytest.raises(ValueError,
                       match=r"input_shape \(1, 2, 2\) does not go through the model: "):
        count_macs(SmallCNN(), (1, 2, 2))
    with pytest.raises(ValueError, match=r"input_shape \(3, 28, 28\) has 3 channel\(s\), but "
                       r"the model's first Conv2d takes in_channels = 1"):
        count_macs(SmallCNN(), (3, 28, 28))
    side = 10**5  # 40 GB per feature map of conv1: counted on the meta device
    assert count_macs(SmallCNN(), (1, side, side)) == (
        8 * 9 * side**2 + 16 * 8 * 9 * (side // 2) ** 2 + 32 * 16 * 9 * (side // 4) ** 2 + 32 * 6)


def test_count_parameters_error_names_the_parameter():
    with pytest.raises(TypeError, match="model"):
        count_parameters([1, 2, 3])
