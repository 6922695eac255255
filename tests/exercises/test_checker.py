"""The verdict machinery shared by every checker (the checkers are tested per notebook)."""

from convlessons.exercises import NOT_ANSWERED, Verdict, checker, correct, wrong


@checker
def check_double(answer, value=3):
    if answer == 2 * value:
        return correct()
    return wrong(f"{answer} is not twice {value}; multiply by 2.")


def test_verdict_is_truthy_only_when_correct():
    assert correct("fine") and not wrong("hint")
    assert "✅" in str(correct()) and "❌" in str(wrong("x"))


def test_verdict_renders_html_escaped():
    html = wrong("<b>bad</b>")._repr_html_()
    assert "&lt;b&gt;" in html and "<b>" not in html


def test_checker_handles_placeholders_and_bad_types():
    assert check_double(...) is NOT_ANSWERED
    assert check_double(None) is NOT_ANSWERED
    assert check_double(6) == Verdict(True, "")
    assert "multiply by 2" in check_double(5).message


def test_checker_turns_errors_into_a_wrong_verdict():
    @checker
    def check_shape(answer):
        return correct() if tuple(answer) == (2, 2) else wrong("no")

    verdict = check_shape(5)  # int is not iterable -> TypeError inside the check
    assert not verdict and "could not be checked" in verdict.message
