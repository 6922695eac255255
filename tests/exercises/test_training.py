"""Checkers of notebook 05: right answers pass, each typical slip gets its own hint, junk
never raises, and the notebook's own solution blocks pass its own check cells."""

import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from notebook_solutions import assert_solution_passes, solution_cells
from torch import nn

from convlessons.exercises import NOT_ANSWERED
from convlessons.exercises.training import (
    KERNEL_LR,
    KERNEL_STEPS,
    SHAPE_POINTS,
    check_my_batchnorm,
    check_my_learned_kernel,
    check_my_small_cnn,
    check_small_cnn_shapes,
)
from convlessons.models import SmallCNN

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "05_training_a_cnn.ipynb"

JUNK = [42, "answer", [1, 2], {"a": 1}, np.zeros(3), torch.zeros(2), object()]


# --------------------------------------------------------------------------- learning a kernel


def learner_kernel(x, y, kernel_size, steps, lr, *, sign=-1.0, zero_grad=True, flip=False,
                   transpose=False, reduce="mean", start=None, steps_taken=None):
    """The notebook's solution, with switches for the typical slips."""
    initial = torch.zeros(1, 1, kernel_size, kernel_size) if start is None else start
    kernel = initial.clone().requires_grad_(True)
    for _ in range(steps if steps_taken is None else steps_taken):
        weight = kernel.flip(-1, -2) if flip else kernel
        errors = (F.conv2d(x, weight) - y) ** 2
        loss = errors.sum() if reduce == "sum" else errors.mean()
        loss.backward()
        with torch.no_grad():
            kernel += sign * lr * kernel.grad
        if zero_grad:
            kernel.grad.zero_()
    result = kernel.detach()[0, 0]
    return result.T if transpose else result


def test_learned_kernel_solution_passes_and_says_what_it_tested():
    verdict = check_my_learned_kernel(learner_kernel)
    assert verdict and f"in {KERNEL_STEPS} steps" in verdict.message


@pytest.mark.parametrize("form", [
    lambda k: k,                                    # (k, k) tensor
    lambda k: k[None, None],                        # (1, 1, k, k)
    lambda k: k.numpy(),                            # numpy
    lambda k: k.clone().requires_grad_(True),       # not detached
    lambda k: k.double().tolist(),                  # nested lists
])
def test_learned_kernel_accepts_every_form_of_the_kernel(form):
    def learn(x, y, kernel_size, steps, lr):
        return form(learner_kernel(x, y, kernel_size, steps, lr))

    assert check_my_learned_kernel(learn)


def test_learned_kernel_accepts_a_random_start_and_an_optimiser():
    # the notebook builds an optimiser before the exercise; the first one in a process
    # imports torch._dynamo, which takes seconds and is not the learner's loop
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)

    def with_sgd(x, y, kernel_size, steps, lr):
        layer = nn.Conv2d(1, 1, kernel_size, bias=False)  # random start, d2l style
        optimiser = torch.optim.SGD(layer.parameters(), lr=lr)
        for _ in range(steps):
            optimiser.zero_grad()
            F.mse_loss(layer(x), y).backward()
            optimiser.step()
        return layer.weight.detach()[0, 0]

    assert check_my_learned_kernel(with_sgd)


@pytest.mark.parametrize(("slip", "hint"), [
    ({"zero_grad": False}, "without settling"),
    ({"sign": 1.0}, "climbs the loss"),
    ({"reduce": "sum"}, "NaN or infinity"),
    ({"flip": True}, "flipped in both directions"),
    ({"transpose": True}, "transposed kernel"),
    ({"steps_taken": 0}, "still all zeros"),
    ({"steps_taken": 3}, "not there yet"),
])
def test_learned_kernel_slips_get_their_hint(slip, hint):
    def slipped(x, y, kernel_size, steps, lr):
        return learner_kernel(x, y, kernel_size, steps, lr, **slip)

    for _ in range(3):  # fresh cases each time: the hint must not depend on the draw
        verdict = check_my_learned_kernel(slipped)
        assert not verdict and hint in verdict.message, verdict.message


def test_learned_kernel_a_kernel_worse_than_zeros_is_called_uphill():
    def negated(x, y, kernel_size, steps, lr):
        return -learner_kernel(x, y, kernel_size, steps, lr)

    verdict = check_my_learned_kernel(negated)
    assert not verdict and "worse than all zeros" in verdict.message


@pytest.mark.filterwarnings("ignore::UserWarning")  # the slips warn, as they would for a learner
def test_learned_kernel_autograd_slips_name_their_fix():
    def outside_no_grad(x, y, kernel_size, steps, lr):
        kernel = torch.zeros(1, 1, kernel_size, kernel_size, requires_grad=True)
        for _ in range(steps):
            F.mse_loss(F.conv2d(x, kernel), y).backward()
            kernel -= lr * kernel.grad
        return kernel[0, 0]

    def rebinds(x, y, kernel_size, steps, lr):
        kernel = torch.zeros(1, 1, kernel_size, kernel_size, requires_grad=True)
        for _ in range(steps):
            F.mse_loss(F.conv2d(x, kernel), y).backward()
            kernel = kernel - lr * kernel.grad
        return kernel[0, 0]

    def rebinds_without_grad(x, y, kernel_size, steps, lr):
        kernel = torch.zeros(1, 1, kernel_size, kernel_size, requires_grad=True)
        for _ in range(steps):
            F.mse_loss(F.conv2d(x, kernel), y).backward()
            with torch.no_grad():
                kernel = kernel - lr * kernel.grad
        return kernel[0, 0]

    def float64(x, y, kernel_size, steps, lr):
        return learner_kernel(x, y, kernel_size, steps, lr,
                              start=torch.zeros(1, 1, kernel_size, kernel_size).double())

    def padded(x, y, kernel_size, steps, lr):
        kernel = torch.zeros(1, 1, kernel_size, kernel_size, requires_grad=True)
        F.mse_loss(F.conv2d(x, kernel, padding=1), y).backward()
        return kernel[0, 0]

    def two_dimensional(x, y, kernel_size, steps, lr):
        kernel = torch.zeros(kernel_size, kernel_size, requires_grad=True)
        F.mse_loss(F.conv2d(x, kernel), y).backward()
        return kernel

    def loss_outside_the_loop(x, y, kernel_size, steps, lr):
        kernel = torch.zeros(1, 1, kernel_size, kernel_size, requires_grad=True)
        loss = F.mse_loss(F.conv2d(x, kernel), y)
        for _ in range(steps):
            loss.backward()
        return kernel[0, 0]

    hints = {outside_no_grad: "torch.no_grad()", rebinds: "kernel.grad is None",
             rebinds_without_grad: "requires_grad=True", float64: "dtype=x.dtype",
             padded: "without padding", two_dimensional: "4-D weight",
             loss_outside_the_loop: "inside the loop"}
    for function, hint in hints.items():
        verdict = check_my_learned_kernel(function)
        assert not verdict and "Your function raised" in verdict.message, function.__name__
        assert hint in verdict.message, (function.__name__, verdict.message)


def test_learned_kernel_wrong_results():
    def returns_none(x, y, kernel_size, steps, lr):
        learner_kernel(x, y, kernel_size, steps, lr)

    def returns_prediction(x, y, kernel_size, steps, lr):
        return y

    def returns_text(x, y, kernel_size, steps, lr):
        return "kernel"

    assert "returned None" in check_my_learned_kernel(returns_none).message
    assert "returned shape" in check_my_learned_kernel(returns_prediction).message
    assert not check_my_learned_kernel(returns_text)


def test_learned_kernel_is_called_with_fresh_cases_and_the_documented_arguments():
    calls = []

    def remember(x, y, kernel_size, steps, lr):
        calls.append((x.clone(), kernel_size, steps, lr))
        return learner_kernel(x, y, kernel_size, steps, lr)

    assert check_my_learned_kernel(remember) and check_my_learned_kernel(remember)
    assert [call[1] for call in calls[::2]] == [3, 3]
    assert all(call[2:] == (KERNEL_STEPS, KERNEL_LR) for call in calls)
    assert not torch.equal(calls[0][0], calls[2][0])
    x, kernel_size = calls[0][:2]
    assert x.dtype == torch.float32 and x.ndim == 4 and x.shape[1] == 1


def test_learned_kernel_with_a_seed_repeats_its_cases():
    seen = []

    def remember(x, y, kernel_size, steps, lr):
        seen.append(y.clone())
        return learner_kernel(x, y, kernel_size, steps, lr)

    check_my_learned_kernel(remember, seed=3)
    check_my_learned_kernel(remember, seed=3)
    assert all(torch.equal(a, b) for a, b in zip(seen[:2], seen[2:], strict=True))
    with pytest.raises(ValueError, match="seed"):
        check_my_learned_kernel(learner_kernel, seed=-1)


def test_learned_kernel_stops_a_function_that_hangs(monkeypatch):
    monkeypatch.setattr("convlessons.exercises._answers.TIME_LIMIT", 0.2)

    def hangs(x, y, kernel_size, steps, lr):
        while True:
            time.sleep(0.01)

    started = time.monotonic()
    verdict = check_my_learned_kernel(hangs)
    assert not verdict and "took longer than 0.2 s" in verdict.message
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("answer", JUNK)
def test_learned_kernel_refuses_junk_without_raising(answer):
    verdict = check_my_learned_kernel(answer)
    assert not verdict and verdict.message


def test_learned_kernel_placeholders_and_torch_threads_restored():
    threads = torch.get_num_threads()
    assert check_my_learned_kernel(...) is NOT_ANSWERED
    assert check_my_learned_kernel(None) is NOT_ANSWERED
    check_my_learned_kernel(learner_kernel)
    assert torch.get_num_threads() == threads


# --------------------------------------------------------------------------- BatchNorm


def learner_batchnorm(x, gamma, beta, eps, *, dims=(0, 2, 3), unbiased=False, divisor="root",
                      channel_shape=(1, -1, 1, 1), swap=False, use_gamma=True, use_beta=True):
    """The notebook's solution, with switches for the typical slips."""
    mean = x.mean(dim=dims, keepdim=True)
    var = x.var(dim=dims, unbiased=unbiased, keepdim=True)
    scale = {"root": torch.sqrt(var + eps), "no eps": torch.sqrt(var),
             "eps outside": torch.sqrt(var) + eps, "variance": var + eps}[divisor]
    x_hat = (x - mean) / scale
    if swap:
        gamma, beta = beta, gamma
    out = x_hat * gamma.view(channel_shape) if use_gamma else x_hat
    return out + beta.view(channel_shape) if use_beta else out


def test_batchnorm_solution_passes_and_agrees_with_nn_batchnorm():
    verdict = check_my_batchnorm(learner_batchnorm)
    assert verdict and "three fresh batches" in verdict.message

    def in_numpy(x, gamma, beta, eps):
        x, gamma, beta = x.numpy(), gamma.numpy(), beta.numpy()
        mean = x.mean(axis=(0, 2, 3), keepdims=True)
        var = x.var(axis=(0, 2, 3), keepdims=True)
        return gamma[None, :, None, None] * (x - mean) / np.sqrt(var + eps) + beta[:, None, None]

    def in_float32(x, gamma, beta, eps):
        return learner_batchnorm(x.float(), gamma.float(), beta.float(), eps)

    def with_the_module(x, gamma, beta, eps):
        layer = nn.BatchNorm2d(x.shape[1], eps=eps).double()
        with torch.no_grad():
            layer.weight.copy_(gamma)
            layer.bias.copy_(beta)
        return layer(x)

    for function in (in_numpy, in_float32, with_the_module):
        assert check_my_batchnorm(function), function.__name__


@pytest.mark.parametrize(("slip", "hint"), [
    ({"dims": (2, 3)}, "instance normalisation"),
    ({"dims": (1, 2, 3)}, "layer normalisation"),
    ({"dims": (0,)}, "each position"),
    ({"dims": (0, 1, 2, 3)}, "one mean and variance for the whole batch"),
    ({"dims": (0, 2)}, "leave out the W axis"),
    ({"dims": (0, 3)}, "leave out the H axis"),
    ({"unbiased": True}, "unbiased variance"),
    ({"divisor": "no eps"}, "forgot ε"),
    ({"divisor": "eps outside"}, "inside the square root"),
    ({"divisor": "variance"}, "standard deviation"),
    ({"swap": True}, "swapped"),
    ({"use_gamma": False}, "forgot to scale by γ"),
    ({"use_beta": False}, "forgot to shift by β"),
    ({"use_gamma": False, "use_beta": False}, "stopped at x̂"),
])
def test_batchnorm_slips_get_their_hint(slip, hint):
    def slipped(x, gamma, beta, eps):
        return learner_batchnorm(x, gamma, beta, eps, **slip)

    for _ in range(3):
        verdict = check_my_batchnorm(slipped)
        assert not verdict and hint in verdict.message, verdict.message


def test_batchnorm_gamma_on_the_wrong_axis_names_the_reshape():
    def unshaped(x, gamma, beta, eps):
        return learner_batchnorm(x, gamma, beta, eps, channel_shape=(-1,))

    for seed in range(12):  # some draws broadcast silently (C == W), others raise
        verdict = check_my_batchnorm(unshaped, seed=seed)
        assert not verdict and "(1, C, 1, 1)" in verdict.message, verdict.message


def test_batchnorm_wrong_results_and_unknown_slips():
    def returns_none(x, gamma, beta, eps):
        learner_batchnorm(x, gamma, beta, eps)

    def flattens(x, gamma, beta, eps):
        return learner_batchnorm(x, gamma, beta, eps).reshape(len(x), -1)

    def off(x, gamma, beta, eps):
        return learner_batchnorm(x, gamma, beta, eps) + 0.1

    assert "returned None" in check_my_batchnorm(returns_none).message
    assert "keeps the shape of x" in check_my_batchnorm(flattens).message
    assert "values differ from nn.BatchNorm2d's" in check_my_batchnorm(off).message


def test_batchnorm_draws_fresh_cases_with_a_large_eps():
    seen = []

    def remember(x, gamma, beta, eps):
        seen.append((x.clone(), eps))
        return learner_batchnorm(x, gamma, beta, eps)

    check_my_batchnorm(remember)
    check_my_batchnorm(remember)
    assert len(seen) == 6 and not torch.equal(seen[0][0], seen[3][0])
    assert all(0.05 <= eps <= 0.5 for _, eps in seen)
    assert min(x.shape[2] for x, _ in seen[::3]) >= 2


@pytest.mark.parametrize("answer", JUNK)
def test_batchnorm_refuses_junk_without_raising(answer):
    verdict = check_my_batchnorm(answer)
    assert not verdict and verdict.message


def test_batchnorm_errors_and_hangs(monkeypatch):
    def crashes(x, gamma, beta, eps):
        raise ZeroDivisionError("oops")

    def returns_nan(x, gamma, beta, eps):
        return x * float("nan")

    verdict = check_my_batchnorm(crashes)
    assert not verdict and "ZeroDivisionError: oops" in verdict.message
    assert not check_my_batchnorm(returns_nan)
    monkeypatch.setattr("convlessons.exercises._answers.TIME_LIMIT", 0.2)

    def hangs(x, gamma, beta, eps):
        while True:
            time.sleep(0.01)

    assert "took longer than 0.2 s" in check_my_batchnorm(hangs).message
    assert check_my_batchnorm(...) is NOT_ANSWERED


# --------------------------------------------------------------------------- shapes


def right_shapes(n=32):
    return [(n, 8, 14, 14), (n, 16, 7, 7), (n, 32, 7, 7), (n, 32, 1, 1), (n, 32), (n, 6)]


def test_shapes_right_answer_in_every_form():
    assert check_small_cnn_shapes(right_shapes())
    assert check_small_cnn_shapes([list(shape) for shape in right_shapes()])
    assert check_small_cnn_shapes([torch.Size(shape) for shape in right_shapes()])
    assert check_small_cnn_shapes(tuple(np.array(shape) for shape in right_shapes()))
    assert check_small_cnn_shapes(right_shapes(5), batch_size=5)


def test_shapes_agree_with_a_forward_pass():
    model = SmallCNN().eval()
    outputs = {}
    hooks = [module.register_forward_hook(
        lambda _module, _inputs, output, name=name: outputs.__setitem__(name.split(".")[-1],
                                                                     tuple(output.shape)))
        for name, module in model.named_modules() if name]
    with torch.no_grad():
        model(torch.zeros(3, 1, 36, 36))
    for hook in hooks:
        hook.remove()
    assert check_small_cnn_shapes([outputs[name] for name in SHAPE_POINTS], 3, 36)


def replaced(index, shape):
    shapes = right_shapes()
    shapes[index] = shape
    return shapes


@pytest.mark.parametrize(("answer", "hint"), [
    (replaced(0, (8, 14, 14)), "keep the batch axis"),
    (replaced(0, (1, 8, 14, 14)), "the first axis is the batch"),
    (replaced(0, (32, 8, 28, 28)), "halves H and W (28 → 14)"),
    (replaced(0, (32, 8, 13, 13)), "with padding=1"),
    (replaced(0, (32, 1, 14, 14)), "number of filters of the last conv (8)"),
    (replaced(1, (32, 16, 14, 14)), "halves H and W (14 → 7)"),
    (replaced(2, (32, 32, 3, 3)), "no pool follows the last block"),
    (replaced(2, (32, 32, 3, 3)[:3] + (3,)), "no pool follows the last block"),
    (replaced(3, (32, 32)), "keeps four axes"),
    (replaced(3, (32, 32, 7, 7)), "averages each channel's whole map"),
    (replaced(4, (32, 32, 1, 1)), "joins all the others"),
    (replaced(4, (32, 1568)), "each channel is one number"),
    (replaced(5, (32, 32)), "one logit per class, 6"),
    (replaced(5, (6,)), "keep the batch axis"),
    (replaced(5, (32, 6, 1)), "one row of logits per image"),
    (replaced(1, (32, 16, 6, 6)), "Go layer by layer"),
])
def test_shape_slips_get_their_hint(answer, hint):
    verdict = check_small_cnn_shapes(answer)
    assert not verdict and hint in verdict.message, verdict.message


@pytest.mark.parametrize("answer", [*JUNK, right_shapes()[:5], [*right_shapes(), (1,)],
                                    ["(32, 8, 14, 14)"] * 6, [(32.5, 8, 14, 14)] * 6,
                                    [None] * 6, [(1,) * 20] * 6])
def test_shapes_refuse_junk_without_raising(answer):
    verdict = check_small_cnn_shapes(answer)
    assert not verdict and verdict.message


def test_shapes_placeholder_and_bad_arguments():
    assert check_small_cnn_shapes(...) is NOT_ANSWERED
    with pytest.raises(ValueError, match="batch_size"):
        check_small_cnn_shapes(right_shapes(), batch_size=0)
    with pytest.raises(TypeError, match="image_size"):
        check_small_cnn_shapes(right_shapes(), image_size=28.0)


def test_checkers_leave_the_torch_rng_alone():
    model = build_small_cnn()
    state = torch.get_rng_state()
    check_small_cnn_shapes(right_shapes())
    check_my_small_cnn(model)
    assert torch.equal(torch.get_rng_state(), state)


# --------------------------------------------------------------------------- SmallCNN by hand


def build_small_cnn(*, bias=False, padding=1, relu_first=False, pool=nn.MaxPool2d,
                    gap=None, flatten=True, batchnorm=True, channels=(8, 16, 32)):
    """The notebook's solution, with switches for the typical slips."""
    layers, previous = [], 1
    for index, out in enumerate(channels):
        block = [nn.BatchNorm2d(out), nn.ReLU()] if batchnorm else [nn.ReLU()]
        layers += [nn.Conv2d(previous, out, 3, padding=padding, bias=bias),
                   *(block[::-1] if relu_first else block)]
        if index < len(channels) - 1:
            layers.append(pool(2))
        previous = out
    layers.append(nn.AdaptiveAvgPool2d(1) if gap is None else gap)
    if flatten:
        layers.append(nn.Flatten())
    layers.append(nn.Linear(previous, 6))
    return nn.Sequential(*layers)


def test_small_cnn_solution_and_equivalent_spellings_pass():
    verdict = check_my_small_cnn(build_small_cnn())
    assert verdict and "6142 parameters" in verdict.message
    assert check_my_small_cnn(SmallCNN())
    relu_in_place = build_small_cnn()
    relu_in_place[2] = nn.ReLU(inplace=True)
    assert check_my_small_cnn(relu_in_place)
    assert check_my_small_cnn(build_small_cnn(pool=lambda k: nn.MaxPool2d((k, k), stride=k)))
    assert check_my_small_cnn(build_small_cnn(gap=nn.AdaptiveAvgPool2d((1, 1))))


def test_small_cnn_check_leaves_the_learners_model_unchanged():
    model = build_small_cnn()
    before = {name: value.clone() for name, value in model.state_dict().items()}
    model.train()
    check_my_small_cnn(model)
    assert model.training
    assert all(torch.equal(before[name], value) for name, value in model.state_dict().items())


@pytest.mark.parametrize(("slip", "hint"), [
    ({"bias": True}, "bias=False"),
    ({"padding": 0}, "padding=1"),
    ({"relu_first": True}, "conv → BatchNorm → ReLU"),
    ({"pool": nn.AvgPool2d}, "nn.MaxPool2d(2)"),
    ({"gap": nn.AvgPool2d(7)}, "nn.AdaptiveAvgPool2d(1)"),
    ({"gap": nn.AdaptiveMaxPool2d(1)}, "nn.AdaptiveAvgPool2d(1)"),
    ({"flatten": False}, "nn.Flatten()"),
    ({"batchnorm": False}, "layer 2 is ReLU(), SmallCNN's is BatchNorm2d(8)"),
    ({"channels": (8, 16, 16)}, "1 → 8 → 16 → 32"),
])
def test_small_cnn_slips_get_their_hint(slip, hint):
    verdict = check_my_small_cnn(build_small_cnn(**slip))
    assert not verdict and hint in verdict.message, verdict.message


def test_small_cnn_layers_missing_or_extra():
    short = nn.Sequential(*list(build_small_cnn())[:-1], nn.Linear(32, 6))
    short = nn.Sequential(*list(short)[:-3], nn.Linear(32, 6))  # no GAP, no Flatten
    extra = nn.Sequential(*build_small_cnn(), nn.Softmax(dim=1))
    assert "mat1 and mat2" in check_my_small_cnn(short).message
    verdict = check_my_small_cnn(extra)
    assert not verdict and "one too many" in verdict.message


@pytest.mark.parametrize("answer", [*JUNK, nn.Sequential, SmallCNN, build_small_cnn,
                                    nn.Linear(3, 2), nn.Sequential()])
def test_small_cnn_refuses_junk_without_raising(answer):
    verdict = check_my_small_cnn(answer)
    assert not verdict and verdict.message


def test_small_cnn_forward_errors_and_hangs(monkeypatch):
    class Crashes(SmallCNN):
        def forward(self, x):
            raise RuntimeError("no forward today")

    class Hangs(SmallCNN):
        def forward(self, x):
            while True:
                time.sleep(0.01)

    class Text(SmallCNN):
        def forward(self, x):
            return "logits"

    assert "no forward today" in check_my_small_cnn(Crashes()).message
    assert not check_my_small_cnn(Text())
    monkeypatch.setattr("convlessons.exercises._answers.TIME_LIMIT", 0.2)
    assert "took longer than 0.2 s" in check_my_small_cnn(Hangs()).message
    assert check_my_small_cnn(...) is NOT_ANSWERED


# --------------------------------------------------------------------------- the notebook


SOLUTIONS = solution_cells("05_training_a_cnn")


def test_notebook_has_four_solutions():
    assert len(SOLUTIONS) == 4


@pytest.mark.parametrize("cell", SOLUTIONS)
def test_notebook_solution_passes_its_check_cell(cell):
    assert_solution_passes(cell)
