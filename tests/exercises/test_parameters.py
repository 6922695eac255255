"""Checkers of notebook 02: right answers pass, each typical mistake gets its own hint."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from convlessons.exercises import NOT_ANSWERED
from convlessons.exercises.parameters import (
    QUIZ_LENGTH,
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
    assert "⌊(n + 2p − d(k−1) − 1)/s⌋ + 1" in check_output_size_quiz(
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
        (112, "seed lesson"),
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
