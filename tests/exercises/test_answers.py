"""Reading the learner's answers and running the learner's functions under a time limit."""

import math
import signal
import threading
import time
from fractions import Fraction

import numpy as np
import pytest
import torch

from convlessons.exercises._answers import (
    LARGEST_WHOLE_NUMBER,
    LearnerFunctionFailed,
    UnreadableAnswer,
    call_learner,
    entries,
    learner_array,
    real_array,
    real_number,
    whole_number,
    whole_number_or_pair,
    whole_numbers,
)

# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "answer",
    [6, 6.0, np.int64(6), np.float32(6), Fraction(12, 2), np.array(6), np.array([6.0]),
     np.array([[6]]), torch.tensor(6), torch.tensor([6.0]), torch.tensor([6.0], requires_grad=True),
     torch.tensor(6, dtype=torch.bfloat16)],
)
def test_every_form_of_a_number_reads_as_that_number(answer):
    assert whole_number(answer) == 6 and type(whole_number(answer)) is int
    assert real_number(answer) == 6.0 and type(real_number(answer)) is float


@pytest.mark.parametrize(
    ("answer", "reason"),
    [(10**400, "far too large"), (-(10**400), "far too large"),
     (LARGEST_WHOLE_NUMBER + 1, "far too large"), (Fraction(10**400), "too large for a float"),
     (1e300, "far too large"), (2 + 0j, "return real numbers"),
     (np.complex64(1), "return real numbers"), (torch.tensor(1j), "return real numbers"),
     (math.nan, "not a finite number"), (-math.inf, "not a finite number"),
     (np.array(math.inf), "not a finite number"), (2.5, "not a whole number"),
     (True, "a bool"), (np.bool_(True), "a bool"), (np.array(True), "a bool"),
     ("6", "a string"), ([6], "a list"), (np.array([6, 7]), "2 values"),
     (torch.ones(2, 2), "4 values"), (np.array(["6"]), "not numbers")],
)
def test_junk_is_refused_with_the_reason(answer, reason):
    with pytest.raises(UnreadableAnswer, match=reason) as refused:
        whole_number(answer, "the side of the output")
    assert str(refused.value).startswith("Give the side of the output; you gave ")
    assert len(str(refused.value)) < 300  # 10**400 is shown cut short


def test_numbers_whose_conversion_raises_are_refused():
    class Exploding(float):
        def __float__(self):
            raise RuntimeError("boom")

    with pytest.raises(UnreadableAnswer, match="RuntimeError: boom"):
        real_number(Exploding(1.5))


# ---------------------------------------------------------------- sequences and arrays


@pytest.mark.parametrize("answer", [(3, 4), [3.0, 4], np.array([3, 4]), torch.tensor([3, 4]),
                                    range(3, 5)])
def test_pairs_in_every_form(answer):
    assert whole_numbers(answer, 2, "a pair") == (3, 4)
    assert whole_number_or_pair(answer, "the padding") == (3, 4)


def test_an_int_or_a_pair():
    assert whole_number_or_pair(2, "the padding") == (2, 2)
    assert whole_number_or_pair(torch.tensor([2]), "the padding") == (2, 2)
    with pytest.raises(UnreadableAnswer, match="at least 0"):
        whole_number_or_pair((1, -1), "the padding")


@pytest.mark.parametrize(
    ("answer", "reason"),
    [((1, 2, 3), "more than 2 values"), ((1,), "1 values instead of 2"),
     ({"a": 1, "b": 2}, "a dict"), ("12", "a string"), ({1, 2}, "a set"),
     (np.ones((2, 2)), r"shape \(2, 2\)"), ((1, 1j), "return real numbers")],
)
def test_sequences_of_the_wrong_kind(answer, reason):
    with pytest.raises(UnreadableAnswer, match=reason):
        whole_numbers(answer, 2, "a pair")


def test_a_sequence_that_fails_to_read():
    class Exploding(tuple):
        def __getitem__(self, index):
            raise RuntimeError("boom")

    with pytest.raises(UnreadableAnswer, match="RuntimeError: boom"):
        entries(Exploding((1, 2)), 2, "a pair")


def test_arrays_from_lists_numpy_and_tensors():
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    for answer in ([[1, 2], [3, 4]], expected.astype(np.float32),
                   torch.tensor(expected, requires_grad=True) * 1):
        array = real_array(answer, "a matrix", ndim=2)
        assert array.dtype == np.float64 and np.array_equal(array, expected)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [([[1], [1, 2]], "could not be read as numbers"), (np.ones(3) * 1j, "return real numbers"),
     ([[1, math.nan]], "NaN"), ([[1, math.inf]], "infinity"), ([[10**400, 1]], "not numbers"),
     (np.ones(3), r"1 dimension\(s\)"), ("abc", "a string"), ([object()], "not numbers")],
)
def test_arrays_that_are_refused(answer, reason):
    with pytest.raises(UnreadableAnswer, match=reason):
        real_array(answer, "a matrix", ndim=2)


def test_an_array_whose_conversion_raises():
    class Exploding:
        def __array__(self, *args, **kwargs):
            raise RuntimeError("boom")

    with pytest.raises(UnreadableAnswer, match="RuntimeError: boom"):
        real_array(Exploding(), "a matrix")


# ---------------------------------------------------------------- the learner's function


def test_the_result_and_the_errors_of_a_learner_function():
    assert call_learner(lambda x, y=0: x + y, (1,), {"y": 2}, case="x = 1") == 3
    with pytest.raises(LearnerFunctionFailed, match="raised IndexError: .* on x = 1") as failed:
        call_learner(lambda x: [][x], (1,), case="x = 1")
    assert isinstance(failed.value.error, IndexError)


def _sleeps():
    time.sleep(30)


def _loops_and_catches_everything():
    while True:
        try:
            sum(range(100))
        except Exception:
            pass


@pytest.mark.parametrize("function", [_sleeps, _loops_and_catches_everything])
def test_a_function_that_never_ends_is_stopped(function):
    with pytest.raises(LearnerFunctionFailed, match="took longer than 0.2 s on case 1") as failed:
        call_learner(function, case="case 1", seconds=0.2)
    assert failed.value.error is None


def test_the_previous_alarm_handler_and_timer_are_restored():
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)
        with pytest.raises(LearnerFunctionFailed):
            call_learner(_sleeps, case="x", seconds=0.1)
        assert call_learner(lambda: 1, case="x", seconds=0.1) == 1
        delay, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25 < delay <= 30  # the outer timer is still pending, less the time spent
        assert signal.getsignal(signal.SIGALRM) is not None and not fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_outside_the_main_thread_a_daemon_thread_keeps_time():
    outcome = []

    def check() -> None:
        try:
            call_learner(_sleeps, case="in a thread", seconds=0.2)
        except LearnerFunctionFailed as failure:
            outcome.append(str(failure))
        outcome.append(call_learner(lambda: "done", case="x", seconds=1))

    worker = threading.Thread(target=check)
    worker.start()
    worker.join(10)
    assert "took longer than 0.2 s on in a thread" in outcome[0] and outcome[1] == "done"


@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit])
def test_interrupts_pass_through(error):
    def interrupted():
        raise error

    with pytest.raises(error):
        call_learner(interrupted, case="x")
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_learner_array_reads_the_result_and_names_what_to_return():
    assert learner_array(lambda: torch.ones(2, requires_grad=True), case="x",
                         returns="out").tolist() == [1.0, 1.0]
    with pytest.raises(UnreadableAnswer, match="did you forget `return out`"):
        learner_array(lambda: None, case="x", returns="out")
    with pytest.raises(UnreadableAnswer, match="return real numbers"):
        learner_array(lambda: np.ones(2) * 1j, case="x", returns="out")
    with pytest.raises(LearnerFunctionFailed, match=r"raised KeyError: 'k' on x\. Look it up"):
        learner_array(lambda: {}["k"], case="x", returns="out",
                      error_hint=lambda error: "Look it up." if error else "")
