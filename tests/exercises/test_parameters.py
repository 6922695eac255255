"""Checkers of notebooks 03 and 04: right answers pass, each typical mistake gets its own
hint, the function checkers draw fresh cases, and each notebook's solutions pass its checks."""

import math
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from notebook_solutions import assert_solution_passes, solution_cells

from convlessons.exercises import NOT_ANSWERED, _answers
from convlessons.exercises.parameters import (
    OUTPUT_SIZE_CASES,
    QUIZ_LENGTH,
    RECEPTIVE_FIELD_CASES,
    check_my_output_size,
    check_my_receptive_field,
    check_output_size_quiz,
    check_receptive_field,
    check_same_padding,
    output_size_quiz,
)

# ------------------------------------------------------------------ output-size quiz


def _torch_size(question) -> int:
    x = torch.zeros(1, 1, question.n, 1, dtype=torch.float64)
    w = torch.zeros(1, 1, question.k, 1, dtype=torch.float64)
    out = F.conv2d(x, w, stride=(question.s, 1), padding=(question.p, 0),
                   dilation=(question.d, 1))
    return out.shape[2]


@given(st.integers(0, 10_000))
def test_quiz_answers_are_torch_sizes_and_mistakes_are_distinguishable(seed):
    questions = output_size_quiz(seed)
    assert len(questions) == QUIZ_LENGTH
    for question in questions:
        assert question.answer == _torch_size(question)
        assert question.s >= 2 and question.d * (question.k - 1) + 1 <= question.n
        values = [value for value, _ in question.parameter_mistakes()]
        assert question.answer not in values and len(set(values)) == len(values)
    assert check_output_size_quiz([q.answer for q in questions], seed=seed)


def test_quiz_is_deterministic_and_varies_with_the_seed():
    assert output_size_quiz(3) == output_size_quiz(3)
    assert output_size_quiz(0) != output_size_quiz(1)


def _quiz_with_last(seed, value):
    questions = output_size_quiz(seed)
    return [q.answer for q in questions[:-1]] + [value]


def _question_with(predicate):
    """(seed, question) of the first seed whose last question satisfies ``predicate``."""
    for seed in range(100):
        question = output_size_quiz(seed)[-1]
        if predicate(question):
            return seed, question
    raise AssertionError("no such question in 100 seeds")


@pytest.mark.parametrize(
    ("predicate", "mistake", "hint"),
    [
        (lambda q: True, lambda q: (q.n + 2 * q.p - q.d * (q.k - 1) - 1) + 1,
         "forget the stride"),
        (lambda q: q.d > 1, lambda q: (q.n + 2 * q.p - q.k) // q.s + 1,
         "forget the dilation"),
        (lambda q: True, lambda q: math.ceil((q.n + 2 * q.p - q.d * (q.k - 1) - 1) / q.s) + 1,
         "rounded up"),
        (lambda q: q.p > 0, lambda q: (q.n + q.p - q.d * (q.k - 1) - 1) // q.s + 1,
         "padding once"),
    ],
    ids=["stride", "dilation", "ceil", "padding"],
)
def test_quiz_names_the_mistake(predicate, mistake, hint):
    seed, question = _question_with(predicate)
    verdict = check_output_size_quiz(_quiz_with_last(seed, mistake(question)), seed=seed)
    assert not verdict
    assert f"{QUIZ_LENGTH - 1} of {QUIZ_LENGTH} right" in verdict.message
    assert f"Q{QUIZ_LENGTH}" in verdict.message and hint in verdict.message


def test_quiz_forgotten_plus_one_and_unknown_numbers():
    seed, question = _question_with(
        lambda q: q.answer - 1 not in [value for value, _ in q.parameter_mistakes()])
    assert "+ 1" in check_output_size_quiz(_quiz_with_last(seed, question.answer - 1),
                                           seed=seed).message
    assert "no typical slip gives this number" in check_output_size_quiz(
        _quiz_with_last(0, 1000)).message
    assert "not a whole number" in check_output_size_quiz(_quiz_with_last(0, 2.5)).message


def test_quiz_answer_shape():
    assert check_output_size_quiz(...) is NOT_ANSWERED
    assert "list of 5" in check_output_size_quiz(7).message
    assert "2 values instead of 5" in check_output_size_quiz([1, 2]).message
    answers = [float(q.answer) for q in output_size_quiz(0)]
    assert check_output_size_quiz(answers)  # 8.0 counts as 8


def test_quiz_seed_is_validated():
    with pytest.raises(ValueError, match="seed"):
        output_size_quiz(-1)
    with pytest.raises(TypeError, match="seed"):
        check_output_size_quiz([], seed="0")


# ------------------------------------------------------------------ same padding


def _torch_padded_size(n, k, s, d, before, after) -> int:
    x = F.pad(torch.zeros(1, 1, n, 1, dtype=torch.float64), (0, 0, before, after))
    return F.conv2d(x, torch.zeros(1, 1, k, 1, dtype=torch.float64), stride=(s, 1),
                    dilation=(d, 1)).shape[2]


@given(n=st.integers(1, 40), k=st.integers(1, 6), s=st.integers(1, 4), d=st.integers(1, 3))
def test_same_padding_answer_gives_ceil_outputs_in_torch(n, k, s, d):
    before = after = None
    for total in range(0, 3 * d * k + s):
        before, after = total // 2, total - total // 2
        if d * (k - 1) + 1 <= n + total and _torch_padded_size(n, k, s, d, before,
                                                               after) == -(-n // s):
            break
    assert check_same_padding((before, after), n, k, s, d)


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (2, "with dilation 2 it spans d(k−1)+1 = 9"),
        (8, "8 is the total padding"),
        ((0, 8), "Right total (8), wrong split"),
        (5, "the output has 34 pixels"),
        ((1, 2), "the output has 27 pixels"),
        ("4", "one int ≥ 0"),
        (-4, "one int ≥ 0"),
    ],
)
def test_same_padding_dilated_hints(answer, hint):
    verdict = check_same_padding(answer, 32, 5, stride=1, dilation=2)
    assert not verdict and hint in verdict.message


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        ((1, 1), "does give 112 outputs, but pads 2 pixels"),
        (1, "does give 112 outputs, but pads 2 pixels"),
        ((1, 0), "the odd pixel after"),
        (112, "a formula you will often find"),
        ((0, 0), "the output has 111 pixels"),
    ],
)
def test_same_padding_strided_hints(answer, hint):
    verdict = check_same_padding(answer, 224, 3, stride=2)
    assert not verdict and hint in verdict.message


def test_same_padding_accepts_int_and_pair():
    assert check_same_padding(4, 32, 5, 1, 2) and check_same_padding((4, 4), 32, 5, 1, 2)
    assert check_same_padding([0, 1], 224, 3, 2)
    assert check_same_padding(None, 224, 3, 2) is NOT_ANSWERED


@pytest.mark.parametrize("name", ["input_size", "kernel_size", "stride", "dilation"])
def test_same_padding_arguments_are_validated(name):
    arguments = {"input_size": 8, "kernel_size": 3, "stride": 1, "dilation": 1, name: 0}
    with pytest.raises(ValueError, match=name):
        check_same_padding(1, **arguments)


# ------------------------------------------------------------------ receptive field

STACK = [
    {"kernel_size": 3},
    {"kernel_size": 3, "stride": 2},
    {"kernel_size": 3, "dilation": 2},
    {"kernel_size": 2, "stride": 2},
    {"kernel_size": 3},
]


def _gradient_receptive_field(layers, n=64) -> int:
    """Brute force: input pixels reached by the gradient of one central output unit."""
    x = torch.zeros(1, 1, n, dtype=torch.float64, requires_grad=True)
    y = x
    for layer in layers:
        k = layer["kernel_size"]
        y = F.conv1d(y, torch.ones(1, 1, k, dtype=torch.float64), stride=layer.get("stride", 1),
                     dilation=layer.get("dilation", 1))
    y[0, 0, y.shape[-1] // 2].backward()
    reached = torch.nonzero(x.grad[0, 0]).flatten()
    return int(reached[-1] - reached[0] + 1)


def test_receptive_field_answer_matches_the_gradient():
    size = _gradient_receptive_field(STACK)
    assert size == 23
    assert check_receptive_field(size, STACK)
    assert "4 pixels apart" in check_receptive_field(23, STACK).message


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (1 + 2 + 2 + 4 + 1 + 2, "forget the jump"),
        (19, "forget the dilation"),
        (1 + 2 + 2 + 2 + 1 + 2, "both the jump and the dilation"),
        (1 + 2 * 1 + 2 * 2 + 4 * 2 + 1 * 4 + 2 * 4, "own stride"),
        (4, "is the jump"),
        (1000, "layer by layer"),
        ("23 px", "one whole number"),
    ],
)
def test_receptive_field_hints(answer, hint):
    verdict = check_receptive_field(answer, STACK)
    assert not verdict and hint in verdict.message


def test_receptive_field_dilation_alone_matches_the_gradient():
    dilation_forgotten = [{**layer, "dilation": 1} for layer in STACK]
    assert _gradient_receptive_field(dilation_forgotten) == 19


def test_receptive_field_layers_are_validated():
    with pytest.raises(ValueError, match=r"layers\[0\]\['stride'\]"):
        check_receptive_field(3, [{"kernel_size": 3, "stride": 0}])
    with pytest.raises(TypeError, match="layers"):
        check_receptive_field(3, 5)


def test_receptive_field_checker_validates_its_own_arguments():
    with pytest.raises(ValueError, match="layers must hold at least one layer"):
        check_receptive_field(5, [])
    with pytest.raises(ValueError, match="layers"):
        check_receptive_field(5, torch.nn.Sequential())
    one_conv = torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3))
    assert check_receptive_field(3, one_conv)
    verdict = check_receptive_field(5, one_conv)
    assert not verdict and "layer by layer" in verdict.message


@pytest.mark.parametrize("wrap", [np.int64, np.array, torch.tensor, float],
                         ids=["numpy int", "numpy array", "tensor", "float"])
def test_numbers_are_accepted_in_any_form(wrap):
    assert check_receptive_field(wrap(23), STACK)
    assert check_same_padding(wrap(4), 32, 5, 1, 2)
    assert check_same_padding(np.array([0, 1]), 224, 3, 2)
    assert check_same_padding(torch.tensor([0, 1]), 224, 3, 2)
    assert check_output_size_quiz([wrap(q.answer) for q in output_size_quiz(0)])
    assert check_output_size_quiz(np.array([q.answer for q in output_size_quiz(0)]))


# ------------------------------------------------------------------ the learner's output size


def output_size(input_size, kernel_size, stride=1, padding=0, dilation=1, slip=None):
    """The right function, or one with a typical slip."""
    span = (kernel_size if slip == "dilation" else dilation * kernel_size if slip == "d*k"
            else dilation * (kernel_size - 1) + 1)
    padded = input_size + (padding if slip == "one side" else 2 * padding)
    room = padded - span
    if slip == "ceil":
        return math.ceil(room / stride) + 1
    if slip == "round":
        return round(room / stride) + 1
    if slip == "stride":
        return room + 1
    if slip == "plus one":
        return room // stride
    if slip == "divide":
        return room / stride + 1
    if slip == "none":
        return None
    return room // stride + 1


def test_my_output_size_accepts_the_right_function_and_says_what_it_tested():
    verdict = check_my_output_size(output_size)
    assert verdict and f"on {OUTPUT_SIZE_CASES} fresh random cases" in verdict.message
    assert check_my_output_size(lambda *a, **kw: np.int64(output_size(*a, **kw)))
    assert check_my_output_size(lambda *a, **kw: torch.tensor(output_size(*a, **kw)))
    assert check_my_output_size(...) is NOT_ANSWERED


def test_my_output_size_cases_are_torchs_and_fresh_on_every_call():
    seen = []

    def remember(n, k, stride, padding, dilation):
        seen.append((n, k, stride, padding, dilation))
        return output_size(n, k, stride, padding, dilation)

    assert check_my_output_size(remember) and check_my_output_size(remember)
    assert len(seen) == 2 * OUTPUT_SIZE_CASES
    assert seen[:OUTPUT_SIZE_CASES] != seen[OUTPUT_SIZE_CASES:]
    for n, k, s, p, d in seen:
        x = torch.zeros(1, 1, n, n, dtype=torch.float64)
        w = torch.zeros(1, 1, k, k, dtype=torch.float64)
        assert F.conv2d(x, w, stride=s, padding=p, dilation=d).shape[-1] == output_size(
            n, k, s, p, d)
    assert any(d > 1 for *_, d in seen) and any((n + 2 * p - d * (k - 1) - 1) % s
                                                for n, k, s, p, d in seen)
    table = {case: output_size(*case) for case in seen[:OUTPUT_SIZE_CASES]}
    verdict = check_my_output_size(lambda n, k, stride, padding, dilation: table.get(
        (n, k, stride, padding, dilation), 1))
    assert not verdict  # replaying the last call's answers does not pass


@pytest.mark.parametrize(
    ("slip", "hint"),
    [("dilation", "You forgot the dilation"),
     ("d*k", "not d·k"),
     ("one side", "on one side only"),
     ("ceil", "You rounded up"),
     ("round", "rounded to the nearest"),
     ("stride", "You forgot the stride"),
     ("plus one", "position 0"),
     ("divide", "a fraction"),
     ("none", "returned None")],
)
def test_my_output_size_names_each_slip(slip, hint):
    for _attempt in range(5):  # fresh cases each time: the hint must hold on every draw
        verdict = check_my_output_size(lambda *a, **kw: output_size(*a, **kw, slip=slip))
        assert not verdict and hint in verdict.message, verdict.message
        assert "this slip gives (not on every case)" not in verdict.message


def test_my_output_size_survives_junk():
    cases = [(5, "your function itself"),
             (lambda n, k, stride, padding, dilation: "6", "one whole number"),
             (lambda n, k, stride, padding, dilation: 10**400, "one whole number"),
             (lambda n, k, stride, padding, dilation: 1 + 2j, "real numbers"),
             (lambda n, k, stride, padding, dilation: [1, 2], "one whole number"),
             (lambda n, k, stride=1, padding=0: 3, "unexpected keyword argument 'dilation'"),
             (lambda *a, **kw: 1 / 0, "ZeroDivisionError"),
             (lambda *a, **kw: 12345, "torch gives")]
    for answer, hint in cases:
        verdict = check_my_output_size(answer)
        assert not verdict and hint in verdict.message, verdict.message


def test_my_output_size_stops_a_function_that_hangs(monkeypatch):
    monkeypatch.setattr(_answers, "TIME_LIMIT", 0.2)

    def hangs(*_args, **_kwargs):
        while True:
            time.sleep(0.01)

    verdict = check_my_output_size(hangs)
    assert not verdict and "took longer than 0.2 s" in verdict.message


# ------------------------------------------------------------------ the learner's receptive field


def receptive(layers, slip=None):
    """The right recurrence, or one with a typical slip."""
    size, jump = (0 if slip == "start" else 1), 1
    for layer in layers:
        k, s, d = layer["kernel_size"], layer.get("stride", 1), layer.get("dilation", 1)
        span = k if slip == "dilation" else d * k if slip == "d*k" else d * (k - 1) + 1
        if slip == "own stride":
            jump *= s
        size += (span - 1) * (1 if slip in ("no jump", "jump never") else jump)
        if slip not in ("own stride", "jump never"):
            jump *= s
    return (jump, size) if slip == "swapped" else (size, jump)


def test_my_receptive_field_accepts_the_right_function_and_matches_the_gradient():
    stacks = []

    def remember(layers):
        stacks.append([dict(layer) for layer in layers])
        return receptive(layers)

    verdict = check_my_receptive_field(remember)
    assert verdict and f"on {RECEPTIVE_FIELD_CASES} fresh random" in verdict.message
    assert check_my_receptive_field(remember) and stacks[:RECEPTIVE_FIELD_CASES] != stacks[
        RECEPTIVE_FIELD_CASES:]
    assert any("stride" not in layer for stack in stacks for layer in stack)
    for stack in stacks:
        size, jump = receptive(stack)
        assert size == _gradient_receptive_field(stack, n=size + 4 * jump)
    assert check_my_receptive_field(lambda layers: np.array(receptive(layers)))
    assert check_my_receptive_field(...) is NOT_ANSWERED


@pytest.mark.parametrize(
    ("slip", "hint"),
    [("own stride", "layer's own stride before using it"),
     ("dilation", "You forgot the dilation"),
     ("d*k", "not d·k"),
     ("no jump", "size forgets it"),
     ("jump never", "never multiply the jump"),
     ("start", "r = 1"),
     ("swapped", "swapped")],
)
def test_my_receptive_field_names_each_slip(slip, hint):
    for _attempt in range(5):
        verdict = check_my_receptive_field(lambda layers: receptive(layers, slip=slip))
        assert not verdict and hint in verdict.message, verdict.message
        assert "this slip gives (not on every case)" not in verdict.message


def test_my_receptive_field_survives_junk():
    cases = [("receptive", "your function itself"),
             (lambda layers: None, "returned None"),
             (lambda layers: 5, "(size, jump)"),
             (lambda layers: (1, 2, 3), "(size, jump)"),
             (lambda layers: ("a", "b"), "(size, jump)"),
             (lambda layers: (10**400, 1), "(size, jump)"),
             (lambda layers: (layers[0]["stride"], 1), "default to 1"),
             (lambda layers: 1 / 0, "ZeroDivisionError"),
             (lambda layers: (999, 999), "layer by layer")]
    for answer, hint in cases:
        verdict = check_my_receptive_field(answer)
        assert not verdict and hint in verdict.message, verdict.message


def test_receptive_field_blames_the_notebook_for_its_own_arguments():
    with pytest.raises(ValueError, match="layers must hold at least one layer"):
        check_receptive_field(5, [])
    with pytest.raises(ValueError, match="layers must hold at least one layer"):
        check_receptive_field(..., [])  # even before the learner answers
    with pytest.raises(TypeError, match="layers"):
        check_receptive_field(5, {"kernel_size": 3})
    stack = torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3), torch.nn.ReLU(),
                                torch.nn.Conv2d(1, 1, 3, dilation=2))
    assert check_receptive_field(7, stack)  # a module is read as its layers: 1 + 2 + 4
    assert "forget the dilation" in check_receptive_field(5, stack).message


# ------------------------------------------------------------------ the notebooks' own solutions

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SOLVED = {"03_parameters": 4, "04_receptive_fields_and_pooling": 3}
# Exercise 3 of 04 reads the VGG-16 stack built in the notebook
SOLUTIONS = (solution_cells("03_parameters")
             + solution_cells("04_receptive_fields_and_pooling", setup_prefixes=("VGG16_STAGES",)))


def test_each_notebook_has_its_solutions():
    found = [run.values[0].notebook for run in SOLUTIONS]
    assert {name: found.count(name) for name in SOLVED} == SOLVED


@pytest.mark.parametrize("cell", SOLUTIONS)
def test_notebook_solution_passes_its_check_cell(cell):
    assert_solution_passes(cell)
