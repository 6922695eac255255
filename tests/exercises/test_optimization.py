"""Checkers of notebook 07: conv-BN fusion by hand, a pruning ratio that keeps accuracy."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from convlessons.data import make_shapes_dataset
from convlessons.exercises import NOT_ANSWERED
from convlessons.exercises.optimization import check_fused_conv_bn, check_pruning_ratio
from convlessons.models import SmallCNN, train

# ------------------------------------------------------------------ fusion by hand


def _conv_bn(seed: int, bias: bool = True, eps: float = 1e-3) -> tuple[nn.Conv2d, nn.BatchNorm2d]:
    """A float64 conv (with bias) and an eval-mode BN with random statistics; eps matters."""
    generator = torch.Generator().manual_seed(seed)
    conv = nn.Conv2d(2, 3, 3, bias=bias).double().eval()
    bn = nn.BatchNorm2d(3, eps=eps).double().eval()
    with torch.no_grad():
        for tensor in [conv.weight, *([conv.bias] if bias else []), bn.weight, bn.bias,
                       bn.running_mean]:
            tensor.copy_(torch.randn(tensor.shape, generator=generator, dtype=torch.float64))
        bn.running_var.copy_(torch.rand(3, generator=generator, dtype=torch.float64) * 0.01
                             + 0.002)
    return conv, bn


def _pieces(conv, bn):
    def np_(t):
        return t.detach().numpy()

    bias = np_(conv.bias) if conv.bias is not None else np.zeros(3)
    return (np_(conv.weight), bias, np_(bn.weight), np_(bn.bias), np_(bn.running_mean),
            np_(bn.running_var), bn.eps)


@settings(max_examples=25)
@given(seed=st.integers(0, 2**31 - 1), bias=st.booleans())
def test_torch_fusion_is_accepted_and_a_perturbed_one_is_not(seed, bias):
    conv, bn = _conv_bn(seed, bias)
    oracle = fuse_conv_bn_eval(conv, bn)
    weight, fused_bias = oracle.weight.detach(), oracle.bias.detach()
    assert check_fused_conv_bn((weight, fused_bias), conv, bn)
    assert check_fused_conv_bn((weight.float().numpy(), fused_bias.float().numpy()), conv, bn)
    assert not check_fused_conv_bn((weight * 1.001, fused_bias), conv, bn)
    assert not check_fused_conv_bn((weight, fused_bias + 1e-3), conv, bn)


def _weight(w, b, g, beta, mu, var, eps, divide):
    return w * (g / divide(var, eps)).reshape(-1, 1, 1, 1)


def _right_scale(var, eps):
    return np.sqrt(var + eps)


@pytest.mark.parametrize(
    ("make_weight", "hint"),
    [
        (lambda w, b, g, beta, mu, var, eps: _weight(w, b, g, beta, mu, var, eps,
                                                     lambda v, e: v + e), "σ² + ε"),
        (lambda w, b, g, beta, mu, var, eps: _weight(w, b, g, beta, mu, var, eps,
                                                     lambda v, e: np.sqrt(v)), "forgot ε"),
        (lambda w, b, g, beta, mu, var, eps: w / np.sqrt(var + eps).reshape(-1, 1, 1, 1),
         "forgot γ"),
        (lambda w, b, g, beta, mu, var, eps: w, "not scaled"),
    ],
    ids=["variance", "no-eps", "no-gamma", "unscaled"],
)
def test_weight_mistakes_get_their_hint(make_weight, hint):
    conv, bn = _conv_bn(1)
    w, b, g, beta, mu, var, eps = _pieces(conv, bn)
    right_bias = (b - mu) * g / _right_scale(var, eps) + beta
    verdict = check_fused_conv_bn((make_weight(w, b, g, beta, mu, var, eps), right_bias),
                                  conv, bn)
    assert not verdict
    assert hint in verdict.message and "Bias is right" in verdict.message


@pytest.mark.parametrize(
    ("make_bias", "hint"),
    [
        (lambda b, beta, mu, s: -mu * s + beta, "conv's own bias"),
        (lambda b, beta, mu, s: (b - mu) * s, "forgot β"),
        (lambda b, beta, mu, s: b * s + beta, "running mean μ"),
        (lambda b, beta, mu, s: b - mu * s + beta, "must be scaled too"),
    ],
    ids=["no-conv-bias", "no-beta", "no-mu", "bias-unscaled"],
)
def test_bias_mistakes_get_their_hint(make_bias, hint):
    conv, bn = _conv_bn(2)
    w, b, g, beta, mu, var, eps = _pieces(conv, bn)
    scale = g / _right_scale(var, eps)
    verdict = check_fused_conv_bn((w * scale.reshape(-1, 1, 1, 1), make_bias(b, beta, mu, scale)),
                                  conv, bn)
    assert not verdict
    assert verdict.message.startswith("Weight is right.") and hint in verdict.message


def test_bias_divided_by_the_variance_gets_its_hint():
    conv, bn = _conv_bn(3)
    w, b, g, beta, mu, var, eps = _pieces(conv, bn)
    scale = g / np.sqrt(var + eps)
    verdict = check_fused_conv_bn((w * scale.reshape(-1, 1, 1, 1),
                                   (b - mu) * g / (var + eps) + beta), conv, bn)
    assert not verdict and "σ² + ε" in verdict.message


def test_fusion_answers_of_the_wrong_form():
    conv, bn = _conv_bn(4)
    assert check_fused_conv_bn(..., conv, bn) == NOT_ANSWERED
    assert "pair (fused_weight, fused_bias)" in check_fused_conv_bn(np.zeros(3), conv, bn).message
    verdict = check_fused_conv_bn((np.zeros((3, 2, 3)), np.zeros(3)), conv, bn)
    assert "fused_weight as an array" in verdict.message and "4 expected" in verdict.message
    verdict = check_fused_conv_bn((np.zeros((3, 2, 1, 1)), np.zeros(3)), conv, bn)
    assert "Shapes" in verdict.message and "(3, 2, 3, 3)" in verdict.message


def test_fusion_errors_name_the_parameter():
    conv, bn = _conv_bn(5)
    with pytest.raises(TypeError, match="conv must be a torch.nn.Conv2d"):
        check_fused_conv_bn((0, 0), bn, bn)
    with pytest.raises(TypeError, match="bn must be a torch.nn.BatchNorm2d"):
        check_fused_conv_bn((0, 0), conv, conv)


# ------------------------------------------------------------------ pruning ratio


@pytest.fixture(scope="module")
def trained():
    images, labels = make_shapes_dataset(360, seed=0, size=16)
    test_images, test_labels = make_shapes_dataset(180, seed=1, size=16)
    torch.manual_seed(0)
    model = SmallCNN()
    train(model, images, labels, epochs=3, lr=0.02, seed=0, progress=False)
    return model, images, labels, test_images, test_labels


def test_a_ratio_within_tolerance_is_accepted_and_the_model_is_untouched(trained):
    model, *data = trained
    before = {k: v.clone() for k, v in model.state_dict().items()}
    verdict = check_pruning_ratio(0.25, model, *data, tolerance=1.0)
    assert verdict and "(8, 16, 32) → (6, 12, 24)" in verdict.message
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_an_aggressive_ratio_is_refused_with_the_accuracies(trained):
    model, *data = trained
    verdict = check_pruning_ratio(0.9, model, *data, tolerance=0.0)
    assert not verdict
    assert "too aggressive" in verdict.message and "after fine-tuning" in verdict.message


@pytest.mark.parametrize(
    ("answer", "hint"),
    [(0, "removes no channel"), (0.01, "removes no channel"), (25, "25% is 0.25"),
     (1, "must be in [0, 1)"), (-0.2, "must be in [0, 1)"), ("half", "one number in [0, 1)")],
)
def test_pruning_ratio_hints(trained, answer, hint):
    model, *data = trained
    verdict = check_pruning_ratio(answer, model, *data)
    assert not verdict and hint in verdict.message


def test_pruning_placeholder_and_errors_name_the_parameter(trained):
    model, *data = trained
    assert check_pruning_ratio(..., model, *data) == NOT_ANSWERED
    with pytest.raises(TypeError, match="model must be a SmallCNN"):
        check_pruning_ratio(0.2, nn.Linear(2, 2), *data)
    with pytest.raises(ValueError, match="fine_tune_epochs must be an int >= 1"):
        check_pruning_ratio(0.2, model, *data, fine_tune_epochs=0)
    with pytest.raises(ValueError, match=r"tolerance must be a finite real number in \[0, 1\]"):
        check_pruning_ratio(0.2, model, *data, tolerance=2)
    with pytest.raises(TypeError, match=r"tolerance must be a finite real number in \[0, 1\]"):
        check_pruning_ratio(0.2, model, *data, tolerance="1")
    with pytest.raises(ValueError, match="labels must have shape"):
        check_pruning_ratio(0.2, model, data[0], data[1], data[2], data[3][:5])
