"""The verdict machinery shared by every checker, and every checker against junk answers."""

import importlib
import math
import pkgutil
import time
from fractions import Fraction

import numpy as np
import pytest
import torch

import convlessons.exercises
from convlessons._validation import as_int
from convlessons.exercises import NOT_ANSWERED, Verdict, checker, correct, wrong
from convlessons.exercises._answers import call_learner, whole_number
from convlessons.exercises.features import mystery_stripes
from convlessons.models import SmallCNN


@checker
def check_double(answer, value=3):
    value = as_int(value, "value", minimum=0)
    yield
    if whole_number(answer) == 2 * value:
        return correct()
    return wrong(f"{answer} is not twice {value}; multiply by 2.")


def test_verdict_is_truthy_only_when_correct():
    assert correct("fine") and not wrong("hint")
    assert "✅" in str(correct()) and "❌" in str(wrong("x"))


def test_verdict_renders_html_escaped():
    html = wrong("<b>bad</b>")._repr_html_()
    assert "&lt;b&gt;" in html and "<b>" not in html


def test_checker_handles_placeholders_and_reads_answers():
    assert check_double(...) is NOT_ANSWERED
    assert check_double(None) is NOT_ANSWERED
    assert check_double(6) == Verdict(True, "")
    assert check_double(np.float64(6.0)) and check_double(torch.tensor([6]))
    assert "multiply by 2" in check_double(5).message
    assert "return real numbers" in check_double(6 + 0j).message


def test_notebook_arguments_raise_even_before_an_answer():
    with pytest.raises(ValueError, match="value must be an int >= 0"):
        check_double(..., value=-1)
    with pytest.raises(TypeError, match="value"):
        check_double(6, value="3")


def test_any_exception_from_the_answer_becomes_a_wrong_verdict():
    @checker
    def check_shape(answer):
        yield
        return correct() if tuple(answer) == (2, 2) else wrong("no")

    class Exploding:
        def __iter__(self):
            raise RuntimeError("boom")

    for answer in (5, Exploding()):
        verdict = check_shape(answer)
        assert not verdict and "could not be checked" in verdict.message
    assert "RuntimeError: boom" in check_shape(Exploding()).message


@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit])
def test_interrupts_pass_through(error):
    @checker
    def check_interrupted(answer):
        yield
        raise error

    with pytest.raises(error):
        check_interrupted(1)


def test_checker_must_be_a_generator_returning_a_verdict():
    with pytest.raises(TypeError, match="generator"):
        checker(lambda answer: correct())

    @checker
    def check_forgets_the_verdict(answer):
        yield

    with pytest.raises(RuntimeError, match="not a Verdict"):
        check_forgets_the_verdict(1)


def test_a_learner_function_that_fails_or_hangs_becomes_a_verdict():
    @checker
    def check_my_identity(answer):
        yield
        result = call_learner(answer, (3,), case="x = 3", seconds=0.2)
        return correct() if whole_number(result) == 3 else wrong("return x")

    assert check_my_identity(lambda x: x)
    crashed = check_my_identity(lambda x: x / 0).message
    assert "raised ZeroDivisionError" in crashed and "x = 3" in crashed
    assert "took longer than 0.2 s on x = 3" in check_my_identity(lambda x: time.sleep(10)).message
    assert "return real numbers" in check_my_identity(lambda x: 3j).message


# ---------------------------------------------------------------- every checker vs junk


def _public_checkers():
    """``(name, function)`` of every ``check_*`` in the ``__all__`` of every exercise module."""
    found = {}
    for module_info in pkgutil.iter_modules(convlessons.exercises.__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"convlessons.exercises.{module_info.name}")
        for name in module.__all__:
            if name.startswith("check_"):
                found[name] = getattr(module, name)
    return found


CHECKERS = _public_checkers()


@pytest.fixture(scope="module")
def notebook_arguments():
    """Valid notebook arguments for each checker (its answer comes first, from the junk)."""
    _ = torch.manual_seed(0)
    model = SmallCNN().eval()
    images = torch.rand(8, 1, 28, 28)
    labels = torch.arange(8) % 6  # SmallCNN has six classes
    image = np.arange(25.0).reshape(5, 5) % 4
    return {
        "check_valid_output_size": (),
        "check_output_cell": (image, np.eye(3), 1, 2),
        "check_my_conv2d": (),
        "check_output_size_quiz": (),
        "check_same_padding": (224, 3, 2),
        "check_receptive_field": ([{"kernel_size": 3}, {"kernel_size": 2, "stride": 2}],),
        "check_parameter_count": (32, 64, 3),
        "check_upsampling_settings": (),
        "check_scatter_by_hand": (np.array([[1.0, 2.0], [0.0, 3.0]]), np.eye(2)),
        "check_my_conv_transpose2d": (),
        "check_im2col_matrix": (np.arange(9.0).reshape(1, 3, 3), 2),
        "check_multiplication_counts": (),
        "check_my_im2col": (),
        "check_my_winograd_tile": (),
        "check_diagonal_edge_kernel": (),
        "check_my_gabor_kernel": (),
        "check_gabor_orientation": (mystery_stripes(0),),
        "check_layer_receptive_field": (model, "conv2"),
        "check_vertical_edge_channel": (model,),
        "check_my_capture": (),
        "check_my_fuse_conv_bn": (),
        "check_my_prune": (),
        "check_pruning_ratio": (model, images, labels, images, labels),
        "check_parameter_counts": (28, 28, 1, 100, 8, 3),
        "check_threshold_bias": (np.array([[1.0, 0.0], [1.0, 1.0]]),),
        "check_my_compose": (),
        "check_my_learned_kernel": (),
        "check_my_batchnorm": (),
        "check_small_cnn_shapes": (),
        "check_my_small_cnn": (),
        "check_my_output_size": (),
        "check_my_receptive_field": (),
    }


def test_every_checker_is_in_the_junk_table(notebook_arguments):
    assert set(CHECKERS) == set(notebook_arguments)


class Exploding:
    """An object every conversion of which raises: float, int, array, len, iter, ==, bool."""

    def _boom(self, *args, **kwargs):
        raise RuntimeError("boom")

    __float__ = __int__ = __index__ = __array__ = __len__ = __iter__ = _boom
    __getitem__ = __eq__ = __bool__ = __hash__ = __complex__ = _boom


class ExplodingFloat(float):
    """A real number whose conversion to float raises."""

    __float__ = Exploding._boom


class ExplodingTuple(tuple):
    """A tuple whose length, items and iteration raise."""

    __len__ = __getitem__ = __iter__ = Exploding._boom


class ExplodingDict(dict):
    """A dict whose keys and items raise."""

    __iter__ = __getitem__ = Exploding._boom


def _sleeps(*args, **kwargs):
    time.sleep(30)


def _loops(*args, **kwargs):
    while True:
        try:
            pass
        except Exception:  # a learner's catch-all must not swallow the time limit
            pass


JUNK = {
    "huge": 10**400,
    "-huge": -(10**400),
    "huge fraction": Fraction(10**400),
    "huge tuple": (10**400,) * 4,
    "huge pair": (10**400, -(10**400)),
    "complex": 1 + 2j,
    "numpy complex": np.complex128(2 + 1j),
    "complex array": np.ones((3, 3)) * 1j,
    "complex tensor": torch.ones(2, dtype=torch.complex64),
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "numpy nan": np.float64("nan"),
    "nan tensor": torch.tensor(float("nan")),
    "nan pair": (math.nan, math.nan),
    "inf array": np.full((3, 3), math.inf),
    "1e308 array": np.full((3, 3), 1e308),
    "empty array": np.array([]),
    "grad tensor": torch.tensor([-1.5], requires_grad=True),
    "text": "5",
    "bytes": b"5",
    "empty text": "",
    "empty list": [],
    "empty dict": {},
    "set": {1, 2},
    "ragged": [[1], [1, 2]],
    "object": object(),
    "exploding": Exploding(),
    "exploding float": ExplodingFloat(2.5),
    "exploding tuple": ExplodingTuple((1, 2)),
    "exploding dict": ExplodingDict(a=1),
    "exploding pair": (Exploding(), Exploding()),
    "bool": True,
    "bools": (True, False, True, False),
    "raises": lambda *args, **kwargs: 1 / 0,
    "returns complex": lambda *args, **kwargs: np.ones((2, 3, 3)) * 1j,
    "returns nan": lambda *args, **kwargs: np.full((2, 3, 3), math.nan),
    "returns grad tensor": lambda *args, **kwargs: torch.zeros(1, requires_grad=True),
    "returns exploding": lambda *args, **kwargs: Exploding(),
    "sleeps": _sleeps,
    "loops": _loops,
}


@pytest.mark.parametrize("junk", list(JUNK), ids=list(JUNK))
@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_no_checker_raises_on_or_accepts_junk(name, junk, notebook_arguments, monkeypatch):
    monkeypatch.setattr("convlessons.exercises._answers.TIME_LIMIT", 0.2)
    verdict = CHECKERS[name](JUNK[junk], *notebook_arguments[name])
    assert isinstance(verdict, Verdict) and not verdict.correct, verdict
    assert verdict.message


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_every_checker_says_no_answer_yet(name, notebook_arguments):
    assert CHECKERS[name](..., *notebook_arguments[name]) is NOT_ANSWERED


def _right_answers():
    """(checker, notebook arguments, a right answer as a plain Python value)."""
    from convlessons.arithmetic import same_padding
    from convlessons.exercises.conv_types import check_parameter_count, check_upsampling_settings
    from convlessons.exercises.efficient import check_multiplication_counts
    from convlessons.exercises.operation import check_valid_output_size
    from convlessons.exercises.parameters import (
        check_output_size_quiz,
        check_same_padding,
        output_size_quiz,
    )

    return [
        (check_valid_output_size, (), 5),
        (check_output_size_quiz, (), [q.answer for q in output_size_quiz(0)]),
        (check_same_padding, (224, 3, 2), list(same_padding(224, 3, 2))),
        (check_upsampling_settings, (), [4, 2, 1, 0]),
        (check_parameter_count, (32, 64, 3), 18496),
        (check_multiplication_counts, (), [12 * 12 * 9 * 16 * 32, 36 * 16 * 16 * 32]),
    ]


@pytest.mark.parametrize("form", ["python", "numpy", "float numpy", "torch", "float torch"])
@pytest.mark.parametrize("case", range(6))
def test_right_answers_are_accepted_in_every_form(case, form):
    check, arguments, answer = _right_answers()[case]
    given = {"python": lambda a: a, "numpy": np.array, "float numpy": lambda a: np.array(
        a, dtype=np.float64), "torch": torch.tensor, "float torch": lambda a: torch.tensor(
        a, dtype=torch.float64, requires_grad=True)}[form](answer)
    verdict = check(given, *arguments)
    assert verdict, verdict.message
