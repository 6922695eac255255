"""Checkers of notebook 10: a layer captured with a hook, receptive fields of SmallCNN layers,
the vertical-edge channel; and the notebook's own solutions pass its check cells."""

import copy
import time

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from notebook_solutions import run_with_solutions
from torch import nn

from convlessons.exercises import NOT_ANSWERED
from convlessons.exercises.visualization import (
    SELECTIVE_RATIO,
    bar_images,
    check_layer_receptive_field,
    check_my_capture,
    check_vertical_edge_channel,
    orientation_selectivity,
)
from convlessons.models import SmallCNN

# ------------------------------------------------------------------ capturing with a hook


def capture(model, layer_name, x, *, copy_output=True, take_input=False, remove=True,
            batch_axis=True, by_attribute=False, signature=3):
    """The notebook's solution, with switches for the typical slips."""
    if by_attribute:
        layer = getattr(model, layer_name)
    else:
        layer = dict(model.named_modules())[layer_name]
    captured = {}

    def hook(module, inputs, output):
        value = inputs[0] if take_input else output
        captured["output"] = value.detach().clone() if copy_output else value.detach()

    def two_argument_hook(module, output):
        captured["output"] = output

    handle = layer.register_forward_hook(hook if signature == 3 else two_argument_hook)
    try:
        with torch.no_grad():
            model(x)
    finally:
        if remove:
            handle.remove()
    return captured["output"] if batch_axis else captured["output"][0]


def test_capture_solution_passes_and_says_what_it_tested():
    verdict = check_my_capture(capture)
    assert verdict, verdict.message
    assert "in-place ReLU" in verdict.message and "No hook was left behind" in verdict.message


@pytest.mark.parametrize(
    ("slip", "hint"),
    [
        ({"copy_output": False}, "shares its storage with the layer's output"),
        ({"take_input": True}, "you returned the layer's input"),
        ({"remove": False}, "Your hook is still registered on 'features.bn'"),
        ({"batch_axis": False}, "batch axis included"),
        ({"by_attribute": True}, "dict(model.named_modules())[layer_name]"),
        ({"signature": 2}, "hook(module, inputs, output)"),
    ],
    ids=["no-clone", "input", "hook-left", "no-batch-axis", "getattr", "hook-signature"],
)
def test_each_capture_slip_gets_its_hint_on_every_draw(slip, hint):
    for _ in range(3):  # fresh models, sizes and batch sizes each time
        verdict = check_my_capture(lambda model, name, x: capture(model, name, x, **slip))
        assert not verdict and hint in verdict.message, verdict.message


def test_capture_of_the_whole_model_names_it():
    verdict = check_my_capture(lambda model, name, x: model(x))
    assert not verdict and "not of 'features.bn'" in verdict.message


def test_a_forgotten_copy_and_a_left_hook_are_both_named():
    verdict = check_my_capture(
        lambda model, name, x: capture(model, name, x, copy_output=False, remove=False))
    assert "shares its storage" in verdict.message and "still registered" in verdict.message


def test_capture_draws_fresh_models_without_touching_the_torch_rng():
    seen = []

    def spy(model, layer_name, x):
        seen.append((layer_name, tuple(x.shape), next(model.parameters()).sum().item()))
        return capture(model, layer_name, x)

    _ = torch.manual_seed(7)
    expected = torch.rand(3)
    _ = torch.manual_seed(7)
    assert check_my_capture(spy) and check_my_capture(spy)
    assert torch.equal(torch.rand(3), expected)  # the checker forked the generator
    first, second = seen[:3], seen[3:]
    assert [name for name, *_ in first] == ["features.bn", "0", "block.conv"]
    assert first != second


def test_capture_refuses_non_functions_and_stops_slow_ones(monkeypatch):
    assert check_my_capture(...) is NOT_ANSWERED
    assert "your function itself" in check_my_capture(torch.zeros(3)).message
    monkeypatch.setattr("convlessons.exercises._answers.TIME_LIMIT", 0.2)
    start = time.perf_counter()
    verdict = check_my_capture(lambda model, name, x: time.sleep(10))
    assert not verdict and "took longer than 0.2 s" in verdict.message
    assert time.perf_counter() - start < 5
    assert "did you forget `return" in check_my_capture(lambda model, name, x: None).message


# ------------------------------------------------------------------ receptive field


def _gradient_receptive_field(model: SmallCNN, layer: str, size: int = 48) -> int:
    """Input pixels reached by the gradient of the centre unit of ``layer`` (brute force).

    All weights are 1 and the max-pools become average pools of the same geometry, so
    every path from the unit to the input carries a positive gradient.
    """
    names = list(model.features._modules)
    block = copy.deepcopy(model.features[: names.index(layer) + 1]).double().eval()
    for name, module in block.named_children():
        if isinstance(module, nn.MaxPool2d):
            block._modules[name] = nn.AvgPool2d(module.kernel_size, module.stride,
                                                module.padding)
        elif isinstance(module, nn.Conv2d):
            nn.init.ones_(module.weight)
    x = torch.ones(1, model.in_channels, size, size, dtype=torch.float64, requires_grad=True)
    out = block(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(1))
    return int(rows.max() - rows.min() + 1)


@settings(max_examples=10)
@given(blocks=st.integers(1, 3), data=st.data())
def test_correct_answer_is_the_gradient_receptive_field(blocks, data):
    model = SmallCNN(channels=(2,) * blocks)
    layer = data.draw(st.sampled_from(list(model.features._modules)))
    size = _gradient_receptive_field(model, layer)
    assert check_layer_receptive_field(size, model, layer)
    assert not check_layer_receptive_field(size + 1, model, layer)


@pytest.mark.parametrize(
    ("answer", "hint"),
    [(6, "forget the jump"), (14, "padding does not change"), (7, "forgot its own 2×2"),
     (5, "go layer by layer"), ("eight", "one whole number")],
)
def test_receptive_field_hints_for_conv2(answer, hint):
    model = SmallCNN()
    assert check_layer_receptive_field(8, model, "conv2")
    verdict = check_layer_receptive_field(answer, model, "conv2")
    assert not verdict
    assert hint in verdict.message


def test_receptive_field_placeholder_and_errors_name_the_parameter():
    assert check_layer_receptive_field(..., SmallCNN(), "conv1") == NOT_ANSWERED
    with pytest.raises(ValueError, match="layer must be one of"):
        check_layer_receptive_field(3, SmallCNN(), "conv9")
    with pytest.raises(TypeError, match="model must be a SmallCNN"):
        check_layer_receptive_field(3, nn.Conv2d(1, 1, 3), "conv1")


# ------------------------------------------------------------------ oriented channels


def _model_with_first_filters(filters: np.ndarray) -> SmallCNN:
    """A SmallCNN whose conv1 holds ``filters`` ``(C, 3, 3)``; BatchNorm left at identity."""
    model = SmallCNN(channels=(len(filters), 4)).eval()
    with torch.no_grad():
        model.features.conv1.weight.copy_(torch.as_tensor(filters)[:, None])
    return model


SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)
HAND_FILTERS = np.stack([SOBEL_X, SOBEL_X.T, np.full((3, 3), 1 / 9, np.float32),
                         np.zeros((3, 3), np.float32)])


def test_bar_images_are_transposes_with_a_centred_vertical_bar():
    vertical, horizontal = bar_images(20)
    assert vertical.shape == horizontal.shape == (1, 1, 20, 20)
    assert torch.equal(horizontal, vertical.transpose(2, 3))
    assert torch.equal(vertical[0, 0, 10], torch.tensor([0.0] * 9 + [1.0, 1.0] + [0.0] * 9))
    with pytest.raises(ValueError, match="size must be an int >= 8"):
        bar_images(4)


@settings(max_examples=15)
@given(st.integers(0, 2**32 - 1))
def test_transposed_filters_give_reciprocal_ratios(seed):
    filters = np.random.default_rng(seed).normal(size=(4, 3, 3)).astype(np.float32)
    ratios = orientation_selectivity(_model_with_first_filters(filters))
    flipped = orientation_selectivity(_model_with_first_filters(filters.transpose(0, 2, 1)))
    assert np.allclose(ratios * flipped, 1.0, rtol=1e-4)


def test_selectivity_of_hand_made_filters_and_mode_restored():
    model = _model_with_first_filters(HAND_FILTERS).train()
    ratios = orientation_selectivity(model)
    assert model.training
    assert ratios[0] >= 5 and ratios[1] <= 0.2
    assert ratios[2] == pytest.approx(1.0) and ratios[3] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("answer", "ok", "hint"),
    [(0, True, "vertical-edge detector"), (1, False, "prefers the *horizontal* bar"),
     (2, False, "about equally"), (3, False, "about equally"),
     (4, False, "from 0 to 3"), (-1, False, "from 0 to 3"), (1.5, False, "from 0 to 3")],
)
def test_vertical_channel_verdicts(answer, ok, hint):
    verdict = check_vertical_edge_channel(answer, _model_with_first_filters(HAND_FILTERS))
    assert bool(verdict) is ok
    assert hint in verdict.message


def test_the_most_vertical_channel_is_accepted_even_if_weakly_selective():
    line = np.tile(np.array([-1, 2, -1], np.float32), (3, 1))  # a vertical line detector
    weak = line + 0.8 * line.T  # ... that also answers to horizontal lines
    model = _model_with_first_filters(np.stack([np.full((3, 3), 1.0, np.float32), weak]))
    ratios = orientation_selectivity(model)
    assert 1 < ratios[1] < SELECTIVE_RATIO
    assert check_vertical_edge_channel(1, model)
    assert not check_vertical_edge_channel(0, model)


def test_vertical_channel_placeholder_and_errors():
    model = _model_with_first_filters(HAND_FILTERS)
    assert check_vertical_edge_channel(..., model) == NOT_ANSWERED
    with pytest.raises(TypeError, match="model must be a SmallCNN"):
        check_vertical_edge_channel(0, nn.Linear(2, 2))
    with pytest.raises(ValueError, match="model.in_channels must be 1"):
        check_vertical_edge_channel(0, SmallCNN(in_channels=3))


# ------------------------------------------------------------------ the notebook


@pytest.fixture(scope="module")
def solved_notebook():
    return run_with_solutions("10_visualization")


def test_the_notebook_skeletons_are_not_answered_and_its_solutions_pass(solved_notebook):
    solved_notebook.assert_solved({"check_my_capture", "check_vertical_edge_channel",
                                  "check_layer_receptive_field"})


def test_the_notebook_model_has_a_clearly_vertical_channel(solved_notebook):
    ratios = orientation_selectivity(solved_notebook.namespace["model"])
    assert ratios.max() >= SELECTIVE_RATIO
