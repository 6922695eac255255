"""Kernel parsing and the KernelPicker control (headless)."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convlessons.kernels import KERNEL_DESCRIPTIONS, KERNELS
from convlessons.widgets._controls import CUSTOM, KernelPicker, format_kernel, parse_kernel

fractions = st.fractions(min_value=-50, max_value=50, max_denominator=20)


@st.composite
def typed_kernels(draw):
    """A kernel of fractions, and a text typing it with random separators and styles."""
    rows = draw(st.integers(1, 5))
    cols = draw(st.integers(1, 5))
    values = [[draw(fractions) for _ in range(cols)] for _ in range(rows)]

    def spell(value: Fraction) -> str:
        if value.denominator == 1:
            return str(value.numerator)
        if draw(st.booleans()):
            return f"{value.numerator}/{value.denominator}"
        return repr(float(value))

    value_sep = st.sampled_from([" ", ",", ", ", "\t", "  "])
    row_sep = st.sampled_from(["\n", ";", " ; ", "\n\n", ";\n"])
    lines = [draw(value_sep).join(spell(v) for v in row) for row in values]
    text = lines[0]
    for line in lines[1:]:
        text += draw(row_sep) + line
    expected = np.array([[float(v) for v in row] for row in values])
    return text, expected


@settings(max_examples=60)
@given(typed_kernels())
def test_parse_kernel_reads_what_was_typed(case):
    text, expected = case
    kernel = parse_kernel(text)
    assert kernel.dtype == np.float64
    np.testing.assert_allclose(kernel, expected, rtol=1e-15, atol=0)


@settings(max_examples=60)
@given(st.integers(1, 5).flatmap(
    lambda rows: st.lists(
        st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=3, max_size=3),
        min_size=rows, max_size=rows,
    )
))
def test_format_kernel_round_trips_exactly(rows):
    kernel = np.array(rows)
    np.testing.assert_array_equal(parse_kernel(format_kernel(kernel)), kernel)


def test_parse_kernel_worked_examples():
    np.testing.assert_array_equal(parse_kernel("-1 0 1; -2 0 2; -1 0 1"), KERNELS["sobel_x"])
    np.testing.assert_array_equal(parse_kernel("1/9 1/9 1/9\n" * 3), np.full((3, 3), 1 / 9))
    np.testing.assert_array_equal(parse_kernel("−.5, 2., +1e-1"), [[-0.5, 2.0, 0.1]])
    np.testing.assert_array_equal(parse_kernel("\n 7 \n\n"), [[7.0]])
    assert format_kernel(np.array([[1 / 16, -2.0], [0.1, 1 / 9]])) == "1/16 -2\n1/10 1/9"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 x 3", "'x' is not a number (row 1)"),
        ("1 2 3\n4 5 6\n1 2 1/", "'1/' is not a number (row 3)"),
        ("2*3", "'2*3' is not a number"),
        ("nan 1", "'nan' is not a number"),
        ("__import__('os')", "is not a number"),
        ("1 2 3; 4 5; 6 7 8", "row 2 has 2 values, expected 3"),
        ("1 2; 3 4 5", "row 2 has 3 values, expected 2"),
        (";\n".join(["1 1 1 1 1 1"] * 6), "kernel must be 1–5 × 1–5, got 6 × 6"),
        ("1 2 3 4 5 6", "kernel must be 1–5 × 1–5, got 1 × 6"),
        ("", "kernel is empty"),
        (" ;\n; ", "kernel is empty"),
        ("1/0", "'1/0' divides by zero (row 1)"),
        ("1e999", "'1e999' is too large"),
    ],
)
def test_parse_kernel_explains_what_is_wrong(text, message):
    with pytest.raises(ValueError) as info:
        parse_kernel(text)
    assert message in str(info.value)


def test_parse_kernel_max_size_is_a_parameter():
    assert parse_kernel("1 2 3 4 5 6 7", max_size=7).shape == (1, 7)
    with pytest.raises(ValueError, match="kernel must be 1–2 × 1–2, got 3 × 1"):
        parse_kernel("1;2;3", max_size=2)
    with pytest.raises(ValueError, match="max_size must be an int >= 1, got 0"):
        parse_kernel("1", max_size=0)
    with pytest.raises(TypeError, match="max_size"):
        parse_kernel("1", max_size=2.5)
    with pytest.raises(TypeError, match="text must be a str, got list"):
        parse_kernel([[1, 2]])


def test_format_kernel_checks_its_argument():
    with pytest.raises(ValueError, match="kernel must have 2 dimensions"):
        format_kernel(np.zeros(3))


def test_picker_starts_on_a_preset():
    picker = KernelPicker("sobel_x")
    np.testing.assert_array_equal(picker.value, KERNELS["sobel_x"])
    assert picker.error == ""
    assert picker.info.value == KERNEL_DESCRIPTIONS["sobel_x"]
    assert picker.custom.disabled
    fitting = [name for name, kernel in KERNELS.items() if max(kernel.shape) <= 5]
    assert list(picker.preset.options) == [*fitting, CUSTOM]
    np.testing.assert_array_equal(parse_kernel(picker.custom.value), KERNELS["sobel_x"])


def test_picker_fires_value_changes_for_presets_and_custom_text():
    picker = KernelPicker("edge")
    seen = []
    picker.observe(lambda change: seen.append(change["new"]), names="value")
    picker.preset.value = "laplacian"
    np.testing.assert_array_equal(seen[-1], KERNELS["laplacian"])
    assert picker.info.value == KERNEL_DESCRIPTIONS["laplacian"]

    picker.preset.value = CUSTOM  # the text box keeps the laplacian, now editable
    assert not picker.custom.disabled
    assert "Your own kernel" in picker.info.value
    np.testing.assert_array_equal(picker.value, KERNELS["laplacian"])

    picker.custom.value = "1 2; 3 4"
    np.testing.assert_array_equal(seen[-1], [[1, 2], [3, 4]])
    np.testing.assert_array_equal(picker.value, [[1, 2], [3, 4]])


def test_picker_keeps_the_last_valid_kernel_on_a_typo():
    picker = KernelPicker(np.array([[1.0, -1.0]]))
    assert picker.preset.value == CUSTOM
    picker.custom.value = "1 -1; 2"
    assert picker.error == "row 2 has 1 values, expected 2"
    assert "row 2 has 1 values" in picker.problem_html.value
    np.testing.assert_array_equal(picker.value, [[1.0, -1.0]])
    picker.custom.value = "3"
    assert picker.error == "" and picker.problem_html.value == ""
    np.testing.assert_array_equal(picker.value, [[3.0]])
    picker.custom.value = "oops"
    picker.preset.value = "box_blur"  # a preset clears the error
    assert picker.error == ""
    np.testing.assert_array_equal(picker.value, KERNELS["box_blur"])


def test_picker_offers_only_presets_that_fit():
    picker = KernelPicker("identity", max_size=3)
    assert all(max(KERNELS[name].shape) <= 3 for name in picker.preset.options[:-1])
    picker.preset.value = CUSTOM
    picker.custom.value = "1 1 1 1"
    assert picker.error == "kernel must be 1–3 × 1–3, got 1 × 4"


def test_picker_rejects_bad_arguments():
    with pytest.raises(ValueError, match="kernel must be one of .* or a 2-D array, got 'nope'"):
        KernelPicker("nope")
    with pytest.raises(ValueError, match="kernel must be 1–5 × 1–5, got 6 × 6"):
        KernelPicker(np.ones((6, 6)))
    with pytest.raises(ValueError, match="kernel must have 2 dimensions"):
        KernelPicker(np.ones(3))
    with pytest.raises(ValueError, match="max_size must be an int >= 1"):
        KernelPicker(max_size=0)
