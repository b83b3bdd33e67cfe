import builtins
from fractions import Fraction
from typing import Any

import pytest

from ledger.schedule.errors import FormulaEvaluationError, FormulaLimitError, FormulaSyntaxError
from ledger.schedule.formula import MAX_FORMULA_LENGTH, MAX_NESTING_DEPTH, compile_formula


def evaluate(text: str, **values: Any) -> Fraction:
    return compile_formula(text).evaluate({k: Fraction(v) for k, v in values.items()})


def test_pbg_known_answer_is_exact() -> None:
    # Notes: 235 × 0,5% × Rp6.800.000 × 0,773 × 1,000 = Rp6.176.270.
    value = evaluate(
        "LLt * Ilo * SHST * It * Ibg", LLt=235, Ilo="0.005", SHST=6_800_000, It="0.773", Ibg=1
    )
    assert value == 6_176_270


def test_names_are_collected_without_functions() -> None:
    formula = compile_formula("max(a, b * 2) + round(c / 3) - floor(d) + ceil(0.5)")
    assert formula.names == {"a", "b", "c", "d"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),  # left to right
        ("12 / 4 / 3", 1),
        ("-2 + 5", 3),
        ("+4", 4),
        ("0.1 + 0.2", Fraction(3, 10)),  # exact, no binary floating point
        ("min(3, 1, 2)", 1),
        ("max(3, 1, 2)", 3),
        ("round(2.5)", 3),
        ("round(2.49)", 2),
        ("floor(2.9)", 2),
        ("ceil(2.1)", 3),
        ("1 / 3 * 3", 1),
    ],
)
def test_arithmetic(text: str, expected: Fraction | int) -> None:
    assert evaluate(text) == expected


def test_division_by_zero_is_an_evaluation_error() -> None:
    with pytest.raises(FormulaEvaluationError, match="division by zero"):
        evaluate("10 / (x - 2)", x=2)


def test_missing_value_is_an_evaluation_error() -> None:
    with pytest.raises(FormulaEvaluationError, match="'x'"):
        evaluate("x + 1")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty formula"),
        ("1 +", "found the end"),
        ("(1 + 2", r"expected '\)'"),
        ("1 2", "expected an operator"),
        ("2x", "expected an operator"),
        ("min", "is a function"),
        ("min(1)", "at least 2 argument"),
        ("round(1, 2)", "takes 1 argument"),
        ("a, b", "expected an operator"),
        ("1.", "attribute access is not allowed"),
    ],
)
def test_syntax_errors_are_precise(text: str, message: str) -> None:
    with pytest.raises(FormulaSyntaxError, match=message):
        compile_formula(text)


def test_syntax_error_names_the_column() -> None:
    with pytest.raises(FormulaSyntaxError) as caught:
        compile_formula("a + $")
    assert caught.value.column == 5
    assert "column 5" in str(caught.value)


# ------------------------------------------------------------------ attacks


@pytest.fixture
def no_execution(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fails the test if the formula code reaches Python's code execution."""
    calls: list[str] = []

    def trap(name: str) -> Any:
        def refuse(*args: object, **kwargs: object) -> None:
            calls.append(name)
            raise AssertionError(f"{name} was called")

        return refuse

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, trap(name))
    return calls


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x.__class__", "attribute access is not allowed"),
        ("().__class__.__bases__", "attribute access is not allowed"),
        ("__import__('os').system('true')", "names must start with a letter"),
        ("x.real", "attribute access is not allowed"),
    ],
)
def test_attack_attribute_access_refused(no_execution: list[str], text: str, message: str) -> None:
    with pytest.raises(FormulaSyntaxError, match=message):
        compile_formula(text)
    assert no_execution == []


@pytest.mark.parametrize(
    "text", ["open('/etc/passwd')", "eval(1)", "exec(1)", "getattr(x, 1)", "abs(1)", "pow(9, 9)"]
)
def test_attack_calls_outside_whitelist_refused(no_execution: list[str], text: str) -> None:
    with pytest.raises(FormulaSyntaxError, match=r"unknown function|found"):
        compile_formula(text)
    assert no_execution == []


@pytest.mark.parametrize("text", ["9**9**9", "2 ** 100000", "x ^ 2", "10**10**10"])
def test_attack_huge_exponent_refused(no_execution: list[str], text: str) -> None:
    with pytest.raises(FormulaSyntaxError, match="powers are not allowed"):
        compile_formula(text)
    assert no_execution == []


@pytest.mark.parametrize(
    "text",
    [
        "lambda: 1",
        "[x for x in y]",
        "{x: 1}",
        "x[0]",
        "x if y else z",
        "x == 1",
        "x; y",
        "a := 1",
        "'text'",
        "not x",
        "x @ y",
        "x % 2",
        "x // 2",
    ],
)
def test_attack_other_python_constructs_refused(no_execution: list[str], text: str) -> None:
    with pytest.raises(FormulaSyntaxError):
        compile_formula(text)
    assert no_execution == []


def test_attack_deep_nesting_refused() -> None:
    text = "(" * (MAX_NESTING_DEPTH + 1) + "1" + ")" * (MAX_NESTING_DEPTH + 1)
    with pytest.raises(FormulaLimitError, match=f"deeper than {MAX_NESTING_DEPTH}"):
        compile_formula(text)
    just_enough = "(" * MAX_NESTING_DEPTH + "1" + ")" * MAX_NESTING_DEPTH
    assert compile_formula(just_enough).evaluate({}) == 1


def test_attack_deep_unary_chain_refused() -> None:
    with pytest.raises(FormulaLimitError):
        compile_formula("-" * 200 + "1")


def test_attack_deep_nested_calls_refused() -> None:
    text = "min(1, " * 40 + "1" + ")" * 40
    with pytest.raises(FormulaLimitError):
        compile_formula(text)


def test_attack_very_long_formula_refused() -> None:
    text = " + ".join(["x"] * 1000)
    assert len(text) > MAX_FORMULA_LENGTH
    with pytest.raises(FormulaLimitError, match=f"at most {MAX_FORMULA_LENGTH}"):
        compile_formula(text)


def test_attack_huge_literal_refused() -> None:
    with pytest.raises(FormulaSyntaxError, match="at most 15 digits"):
        compile_formula("9" * 400)


def test_long_flat_chain_within_limit_evaluates() -> None:
    text = "+".join(["1"] * 250)  # 499 characters, nesting depth 0
    assert compile_formula(text).evaluate({}) == 250
