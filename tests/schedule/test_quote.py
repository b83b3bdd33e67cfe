"""Each tariff kind, the one rounding rule, and input checking."""

import itertools
import re
from fractions import Fraction
from typing import Any

import pytest

from ledger.schedule import (
    FormulaEvaluationError,
    InvalidInputsError,
    NoScheduleInForce,
    UnknownServiceError,
    default_schedule,
    quote,
)
from ledger.schedule.amounts import decimal_text
from ledger.schedule.inputs import InputSpec, InputType
from ledger.schedule.quoting import official_fee_of, price_item
from tests.schedule.builders import EFFECTIVE_MS, at, fixed, free, item, quantity, version

NOON = at("2024-06-01T12:00")


def test_free() -> None:
    result = quote(version(free()), "UJI-GRT-01", {}, NOON)
    assert result.official_fee == 0
    assert result.free
    assert result.legal_ref == "UU 24/2013 Pasal 79A"
    assert not result.unverified
    assert result.warning_id is None


def test_fixed() -> None:
    result = quote(version(fixed(amount=11_000)), "UJI-TTP-01", {}, NOON)
    assert result.official_fee == 11_000
    assert result.version_id == "uji-2024.1"
    assert result.breakdown[-1].value == "Rp11.000"
    assert not result.free


def per_unit(rate: int = 3000, **spec: Any) -> dict[str, Any]:
    return item(
        "UJI-PSR-01", {"kind": "per_unit", "rate": rate, "inputs": [quantity("hari", **spec)]}
    )


def test_per_unit() -> None:
    result = quote(version(per_unit()), "UJI-PSR-01", {"hari": 3}, NOON)
    assert result.official_fee == 9000
    assert result.inputs == {"hari": 3}
    assert [line.value for line in result.breakdown][-1] == "Rp9.000"


def test_per_unit_accepts_text_values() -> None:
    assert quote(version(per_unit()), "UJI-PSR-01", {"hari": "3"}, NOON).official_fee == 9000


def test_per_unit_default_quantity() -> None:
    result = quote(version(per_unit(default=1)), "UJI-PSR-01", {}, NOON)
    assert result.official_fee == 3000
    assert result.inputs == {"hari": 1}


def test_rounding_half_up_applied_once_at_the_end() -> None:
    # 1.5 × Rp333 = Rp499,5 → Rp500 (half up).
    doc = version(per_unit(rate=333, type="decimal", min="0.5", max="10"))
    result = quote(doc, "UJI-PSR-01", {"hari": "1.5"}, NOON)
    assert result.exact_fee == Fraction("499.5")
    assert result.official_fee == 500
    # 1.25 × Rp333 = Rp416,25 → Rp416.
    assert quote(doc, "UJI-PSR-01", {"hari": "1.25"}, NOON).official_fee == 416


def test_rounding_is_not_applied_to_intermediate_results() -> None:
    # a/3 + a/3 + a/3 with a = 1: rounding each term would give 0; exact gives 1.
    tariff = {"kind": "formula", "expression": "a / 3 + a / 3 + a / 3", "inputs": [quantity("a")]}
    result = quote(version(item("UJI-F-01", tariff)), "UJI-F-01", {"a": 1}, NOON)
    assert result.exact_fee == 1
    assert result.official_fee == 1


def tiered(mode: str) -> dict[str, Any]:
    return item(
        "UJI-AIR-01",
        {
            "kind": "tiered",
            "mode": mode,
            "brackets": [
                {"up_to": 10, "rate": 1000},
                {"up_to": 20, "amount": 500, "rate": 2000},
                {"rate": 3000},
            ],
            "inputs": [quantity("m3", min=0, max=1000, unit="m³")],
        },
    )


@pytest.mark.parametrize(
    ("m3", "expected"),
    [
        (0, 0),
        (5, 5_000),
        (10, 10_000),
        (11, 10_000 + 500 + 2_000),
        (20, 10_000 + 500 + 20_000),
        (25, 10_000 + 500 + 20_000 + 15_000),
    ],
)
def test_tiered_graduated(m3: int, expected: int) -> None:
    result = quote(version(tiered("graduated")), "UJI-AIR-01", {"m3": m3}, NOON)
    assert result.official_fee == expected


@pytest.mark.parametrize(
    ("m3", "expected"),
    [(0, 0), (10, 10_000), (11, 500 + 22_000), (20, 500 + 40_000), (25, 75_000)],
)
def test_tiered_bracket(m3: int, expected: int) -> None:
    result = quote(version(tiered("bracket")), "UJI-AIR-01", {"m3": m3}, NOON)
    assert result.official_fee == expected


def test_tiered_breakdown_names_the_brackets() -> None:
    result = quote(version(tiered("graduated")), "UJI-AIR-01", {"m3": 25}, NOON)
    labels = [line.label for line in result.breakdown]
    assert any("s.d. 10 m³" in label for label in labels)
    assert any("di atas 20 m³" in label for label in labels)


def test_formula_breakdown_shows_inputs_constants_and_formula() -> None:
    tariff = {
        "kind": "formula",
        "expression": "luas * tarif",
        "constants": {"tarif": "2500.5"},
        "inputs": [quantity("luas", unit="m²")],
    }
    result = quote(version(item("UJI-F-01", tariff)), "UJI-F-01", {"luas": 3}, NOON)
    assert result.official_fee == 7502  # 7501,5 → 7502
    values = {line.label: line.value for line in result.breakdown}
    assert values["luas — Jumlah"] == "3 m²"
    assert values["tarif (tetapan)"] == "2.500,5"
    assert values["Rumus"] == "luas * tarif"
    assert values["Tarif resmi"] == "Rp7.502"


def test_formula_division_by_zero_at_quote_time() -> None:
    # Fine at both corners (a = 1, a = 100), so the document loads; a = 5 divides by zero.
    expression = "1000 / ((a - 5) * (a - 5))"
    tariff = {"kind": "formula", "expression": expression, "inputs": [quantity("a")]}
    with pytest.raises(FormulaEvaluationError, match="division by zero"):
        quote(version(item("UJI-F-01", tariff)), "UJI-F-01", {"a": 5}, NOON)


def test_formula_negative_amount_at_quote_time() -> None:
    # Positive at both corners, negative in between.
    expression = "(a - 5) * (a - 5) * 10 - 10"
    tariff = {"kind": "formula", "expression": expression, "inputs": [quantity("a")]}
    with pytest.raises(FormulaEvaluationError, match="amount ≥ 0"):
        quote(version(item("UJI-F-01", tariff)), "UJI-F-01", {"a": 5}, NOON)


def test_unknown_service() -> None:
    with pytest.raises(UnknownServiceError, match="'UJI-XXX-99'"):
        quote(version(), "UJI-XXX-99", {}, NOON)


def test_before_the_effective_time() -> None:
    with pytest.raises(NoScheduleInForce, match="takes effect"):
        quote(version(), "UJI-TTP-01", {}, EFFECTIVE_MS - 1)
    assert quote(version(), "UJI-TTP-01", {}, EFFECTIVE_MS).official_fee == 10_000


# ------------------------------------------------------------------ inputs


def decimal_item() -> dict[str, Any]:
    tariff = {
        "kind": "formula",
        "expression": "luas * 1000 * n",
        "inputs": [
            quantity("luas", type="decimal", min="0.5", max="100", unit="m²"),
            quantity("n", min=1, max=5),
        ],
    }
    return item("UJI-F-01", tariff)


def input_problems(given: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidInputsError) as caught:
        quote(version(decimal_item()), "UJI-F-01", given, NOON)
    assert caught.value.service_code == "UJI-F-01"
    return {p.name: p.message_en for p in caught.value.problems}


@pytest.mark.parametrize(
    ("given", "name", "fragment"),
    [
        ({"luas": "0.4", "n": 1}, "luas", "between 0.5 and 100"),
        ({"luas": "100.01", "n": 1}, "luas", "between 0.5 and 100"),
        ({"luas": "-1", "n": 1}, "luas", "between"),
        ({"luas": 1, "n": 6}, "n", "between 1 and 5"),
        ({"luas": 1, "n": "2.5"}, "n", "whole number"),
        ({"luas": 1, "n": 2.0}, "n", "found float"),
        ({"luas": 1, "n": True}, "n", "found bool"),
        ({"luas": 1, "n": None}, "n", "found NoneType"),
        ({"luas": "1,5", "n": 1}, "luas", "with a dot"),
        ({"luas": "1e2", "n": 1}, "luas", "decimal number"),
        ({"luas": "0.0000001", "n": 1}, "luas", "at most 6 digits"),
        ({"luas": "9" * 50, "n": 1}, "luas", "at most 40 characters"),
        ({"n": 1}, "luas", "required and missing"),
        ({"luas": 1, "n": 1, "lantai": 2}, "lantai", "unexpected input"),
    ],
)
def test_invalid_inputs(given: dict[str, Any], name: str, fragment: str) -> None:
    problems = input_problems(given)
    assert name in problems
    assert fragment in problems[name]


def test_every_input_problem_is_reported_in_both_languages() -> None:
    with pytest.raises(InvalidInputsError) as caught:
        quote(version(decimal_item()), "UJI-F-01", {"luas": "0", "x": 1}, NOON)
    names = [p.name for p in caught.value.problems]
    assert sorted(names) == ["luas", "n", "x"]
    for problem in caught.value.problems:
        assert problem.message_id.startswith("isian ")
        assert problem.message_en


def test_inputs_given_to_a_fixed_service_are_refused() -> None:
    with pytest.raises(InvalidInputsError, match="expected: no inputs"):
        quote(version(), "UJI-TTP-01", {"n": 1}, NOON)


def test_quote_json_has_only_ints_strings_and_bools() -> None:
    value = quote(version(decimal_item()), "UJI-F-01", {"luas": "2.5", "n": 2}, NOON)
    data = value.to_json_value()
    assert data["official_fee"] == 5000
    assert data["official_fee_text"] == "Rp5.000"
    assert data["inputs"] == {"luas": "2.5", "n": 2}
    assert "warning_id" not in data


def test_tiered_summary_lists_every_bracket() -> None:
    tariff = version(tiered("graduated")).item("UJI-AIR-01").tariff
    assert tariff.summary() == (
        "berjenjang per bagian atas m3 (0–1.000 m³) — s.d. 10 m³: Rp1.000 per satuan; "
        "di atas 10 s.d. 20 m³: Rp500 + Rp2.000 per satuan; di atas 20 m³: Rp3.000 per satuan"
    )


def _sample_values(spec: InputSpec) -> list[str]:
    """The bounds and a point between them, as the text a counter would send."""
    low, high = spec.minimum, spec.maximum
    middle = (low + high) / 2
    if spec.type is InputType.INTEGER:
        middle = Fraction(int(middle))
    return [decimal_text(v) for v in (low, middle, high)]


@pytest.mark.parametrize("code", [i.code for i in default_schedule().items])
def test_the_official_fee_alone_equals_the_priced_breakdowns(code: str) -> None:
    """``official_fee_of`` (used by the check, no breakdown) and ``price_item`` (used by
    quotes) agree on every default item at the bounds of its inputs and between them."""
    item = default_schedule().item(code)
    specs = item.tariff.inputs
    for values in itertools.product(*(_sample_values(s) for s in specs)):
        inputs = {s.name: v for s, v in zip(specs, values, strict=True)}
        try:
            _, _, official, _ = price_item(item, inputs)
        except FormulaEvaluationError as error:
            with pytest.raises(FormulaEvaluationError, match=re.escape(str(error))):
                official_fee_of(item, inputs)
            continue
        assert official_fee_of(item, inputs) == official, inputs


@pytest.mark.parametrize("mode", ["graduated", "bracket"])
def test_the_tiered_official_fee_alone_equals_the_priced_breakdowns(mode: str) -> None:
    priced = version(tiered(mode)).item("UJI-AIR-01")
    for m3 in [*range(31), 999, 1000]:
        assert official_fee_of(priced, {"m3": m3}) == price_item(priced, {"m3": m3})[2], m3
