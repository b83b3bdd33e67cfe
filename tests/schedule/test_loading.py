"""Loading validates everything and reports every problem with its item code and field."""

from datetime import UTC, datetime
from typing import Any

import pytest

from ledger.schedule import (
    Category,
    Problem,
    Provenance,
    ScheduleValidationError,
    document_bytes,
    parse_json,
    parse_toml,
    version_from_mapping,
    version_to_mapping,
)
from ledger.schedule.tariffs import FixedTariff
from tests.schedule.builders import EFFECTIVE_MS, document, fixed, free, item, quantity


def problems_of(doc: Any) -> list[Problem]:
    with pytest.raises(ScheduleValidationError) as caught:
        version_from_mapping(doc)
    assert caught.value.problems, "a validation error must carry its problems"
    return list(caught.value.problems)


def assert_problem(doc: Any, item_code: str | None, field: str, fragment: str) -> None:
    found = problems_of(doc)
    matching = [p for p in found if p.item_code == item_code and p.field == field]
    assert matching, f"no problem at {item_code}/{field}; found {[str(p) for p in found]}"
    assert any(fragment in p.message for p in matching), [p.message for p in matching]


def test_minimal_document_loads() -> None:
    version = version_from_mapping(document())
    assert version.id == "uji-2024.1"
    assert version.effective_from_ms == EFFECTIVE_MS
    assert version.effective_from == "2024-01-01T00:00"
    (only,) = version.items
    assert only.tariff == FixedTariff(10_000)
    assert only.category is Category.JASA_UMUM
    assert only.provenance is Provenance.CONFIRMED


def test_every_problem_is_reported_not_just_the_first() -> None:
    doc = document(
        fixed("UJI-A-01", amount=-5),
        fixed("UJI-A-01", amount=100),
        item("UJI-B-01", {"kind": "magic"}),
        item("UJI-C-01", {"kind": "formula", "expression": "x * y", "inputs": [quantity("x")]}),
        title="",
    )
    found = {(p.item_code, p.field) for p in problems_of(doc)}
    assert found == {
        (None, "title"),
        ("UJI-A-01", "tariff.amount"),
        ("UJI-A-01", "code"),
        ("UJI-B-01", "tariff.kind"),
        ("UJI-C-01", "tariff.expression"),
    }


def test_error_message_lists_every_problem() -> None:
    doc = document(fixed("UJI-A-01", amount=-5), fixed("UJI-A-02", amount=1.5))
    with pytest.raises(ScheduleValidationError) as caught:
        version_from_mapping(doc)
    text = str(caught.value)
    assert "2 problem(s)" in text
    assert "UJI-A-01: tariff.amount" in text
    assert "UJI-A-02: tariff.amount" in text


# ------------------------------------------------------------------ document fields


def test_root_must_be_a_table() -> None:
    assert_problem([], None, "(document)", "expected a table")


@pytest.mark.parametrize("missing", ["format", "id", "title", "legal_basis", "effective_from"])
def test_missing_document_field(missing: str) -> None:
    doc = document()
    del doc[missing]
    assert_problem(doc, None, missing, "required field is missing")


def test_missing_legal_basis_is_reported() -> None:
    doc = document()
    del doc["legal_basis"]
    assert_problem(doc, None, "legal_basis", "missing")


def test_unknown_document_field() -> None:
    assert_problem(document(publisher="x"), None, "publisher", "unknown field")


def test_unknown_format() -> None:
    assert_problem(document(format=2), None, "format", "expected 1, found 2")


@pytest.mark.parametrize("bad", ["", "has space", "-leading", "x" * 65])
def test_bad_version_id(bad: str) -> None:
    found = problems_of(document(id=bad))
    assert any(p.field == "id" for p in found)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("2024-01-01", "YYYY-MM-DDTHH:MM"),
        ("2024-13-01T00:00", "real calendar time"),
        ("2024-01-01T00:00+07:00", "YYYY-MM-DDTHH:MM"),
        (20240101, "expected a WIB time"),
        (datetime(2024, 1, 1, tzinfo=UTC), "without an offset"),
        (datetime(2024, 1, 1, 0, 0, 30), "whole minute"),
    ],
)
def test_bad_effective_from(value: object, fragment: str) -> None:
    assert_problem(document(effective_from=value), None, "effective_from", fragment)


def test_toml_local_datetime_is_wib() -> None:
    version = version_from_mapping(document(effective_from=datetime(2024, 1, 1, 0, 0)))
    assert version.effective_from_ms == EFFECTIVE_MS


def test_items_must_be_a_non_empty_list() -> None:
    doc = document()
    doc["items"] = []
    assert_problem(doc, None, "items", "at least one item")
    assert_problem(document(items={"a": 1}), None, "items", "expected a list")


# ------------------------------------------------------------------ items


def test_item_must_be_a_table() -> None:
    assert_problem(document(fixed(), "not a table"), "items[1]", "(item)", "expected a table")


def test_item_without_code_is_named_by_index() -> None:
    entry = fixed()
    del entry["code"]
    assert_problem(document(fixed("UJI-X-01"), entry), "items[1]", "code", "missing")


@pytest.mark.parametrize(
    "missing", ["name", "category", "unit", "tariff", "legal_ref", "provenance"]
)
def test_missing_item_field(missing: str) -> None:
    entry = fixed()
    del entry[missing]
    assert_problem(document(entry), "UJI-TTP-01", missing, "required field is missing")


def test_unknown_item_field() -> None:
    assert_problem(document(fixed(price=1)), "UJI-TTP-01", "price", "unknown field")


@pytest.mark.parametrize("bad", ["rju-smp-01", "RJU SMP", "RJU--01", "RJU-"])
def test_bad_item_code(bad: str) -> None:
    assert_problem(document(fixed(bad)), bad, "code", "dash-separated")


def test_duplicate_codes() -> None:
    assert_problem(
        document(fixed("UJI-A-01"), fixed("UJI-A-01")),
        "UJI-A-01",
        "code",
        "already used by items[0]",
    )


def test_unknown_category_and_provenance() -> None:
    doc = document(fixed(category="pajak", provenance="B"))
    assert_problem(doc, "UJI-TTP-01", "category", "expected one of")
    assert_problem(doc, "UJI-TTP-01", "provenance", "'C', 'S', 'U', 'L'")


def test_free_by_law_needs_free_tariff() -> None:
    doc = document(fixed(category="layanan_gratis", provenance="L"))
    found = problems_of(doc)
    messages = [p.message for p in found if p.field == "tariff.kind"]
    assert any("layanan_gratis" in m for m in messages)
    assert any("provenance 'L'" in m for m in messages)


# ------------------------------------------------------------------ tariffs


def test_tariff_must_be_a_table_with_a_known_kind() -> None:
    assert_problem(document(item("UJI-A-01", "fixed")), "UJI-A-01", "tariff", "expected a table")
    assert_problem(document(item("UJI-A-01", {})), "UJI-A-01", "tariff.kind", "missing")
    assert_problem(
        document(item("UJI-A-01", {"kind": "percent"})),
        "UJI-A-01",
        "tariff.kind",
        "'free', 'fixed', 'per_unit', 'tiered', 'formula'",
    )


def test_unknown_tariff_field() -> None:
    doc = document(item("UJI-A-01", {"kind": "free", "amount": 0}))
    assert_problem(doc, "UJI-A-01", "tariff.amount", "unknown field")


@pytest.mark.parametrize(
    ("amount", "fragment"),
    [
        (-1, "negative"),
        (1.5, "fractional"),
        (1000.0, "fractional"),
        ("1000", "not text"),
        (True, "found true"),
        (10**13, "at most"),
    ],
)
def test_bad_amount(amount: object, fragment: str) -> None:
    assert_problem(document(fixed(amount=amount)), "UJI-TTP-01", "tariff.amount", fragment)


def test_per_unit_needs_exactly_one_quantity() -> None:
    none = item("UJI-A-01", {"kind": "per_unit", "rate": 1000, "inputs": []})
    two = item(
        "UJI-A-02", {"kind": "per_unit", "rate": 1000, "inputs": [quantity("a"), quantity("b")]}
    )
    assert_problem(document(none), "UJI-A-01", "tariff.inputs", "exactly one input")
    assert_problem(document(two), "UJI-A-02", "tariff.inputs", "found 2")


def test_per_unit_rate_must_be_whole_rupiah() -> None:
    doc = document(item("UJI-A-01", {"kind": "per_unit", "rate": -3000, "inputs": [quantity()]}))
    assert_problem(doc, "UJI-A-01", "tariff.rate", "negative")


def test_quantity_cannot_be_negative() -> None:
    doc = document(item("UJI-A-01", {"kind": "per_unit", "rate": 1, "inputs": [quantity(min=-1)]}))
    assert_problem(doc, "UJI-A-01", "tariff.inputs[0].min", "cannot be negative")


# ------------------------------------------------------------------ inputs


def per_unit_with(**spec: Any) -> dict[str, Any]:
    return document(
        item("UJI-A-01", {"kind": "per_unit", "rate": 100, "inputs": [quantity(**spec)]})
    )


@pytest.mark.parametrize(
    ("spec", "field", "fragment"),
    [
        ({"name": "2x"}, "name", "expected a letter"),
        ({"name": "_x"}, "name", "expected a letter"),
        ({"name": "min"}, "name", "reserved"),
        ({"name": "lambda"}, "name", "reserved"),
        ({"type": "float"}, "type", "'integer', 'decimal'"),
        ({"min": 10, "max": 5}, "max", "max ≥ min"),
        ({"min": 0.5}, "min", "floats are not exact"),
        ({"max": "1.5"}, "max", "whole number"),
        ({"default": 500}, "default", "between min and max"),
        ({"label": ""}, "label", "non-empty"),
        ({"unit": 3}, "unit", "expected text"),
        ({"max": "1,5", "type": "decimal"}, "max", "with a dot"),
        ({"colour": "red"}, "colour", "unknown field"),
    ],
)
def test_bad_input_spec(spec: dict[str, Any], field: str, fragment: str) -> None:
    assert_problem(per_unit_with(**spec), "UJI-A-01", f"tariff.inputs[0].{field}", fragment)


def test_missing_input_field() -> None:
    spec = quantity()
    del spec["max"]
    doc = document(item("UJI-A-01", {"kind": "per_unit", "rate": 1, "inputs": [spec]}))
    assert_problem(doc, "UJI-A-01", "tariff.inputs[0].max", "missing")


def test_duplicate_input_names() -> None:
    doc = document(
        item(
            "UJI-A-01",
            {"kind": "formula", "expression": "a + a", "inputs": [quantity("a"), quantity("a")]},
        )
    )
    assert_problem(doc, "UJI-A-01", "tariff.inputs[1].name", "duplicate input name")


# ------------------------------------------------------------------ tiered


def tiered(mode: str, brackets: Any, **spec: Any) -> dict[str, Any]:
    tariff = {"kind": "tiered", "mode": mode, "brackets": brackets, "inputs": [quantity(**spec)]}
    return document(item("UJI-T-01", tariff))


def test_tiered_mode_must_be_known() -> None:
    doc = tiered("progressive", [{"rate": 1}])
    assert_problem(doc, "UJI-T-01", "tariff.mode", "'graduated', 'bracket'")


def test_tiered_needs_brackets() -> None:
    assert_problem(tiered("bracket", []), "UJI-T-01", "tariff.brackets", "at least one")


def test_tiered_up_to_rules() -> None:
    missing = tiered("bracket", [{"amount": 1}, {"amount": 2}])
    assert_problem(missing, "UJI-T-01", "tariff.brackets[0].up_to", "every bracket but the last")
    last = tiered("bracket", [{"up_to": 10, "amount": 1}])
    assert_problem(last, "UJI-T-01", "tariff.brackets[0].up_to", "no upper end")
    order = tiered("bracket", [{"up_to": 10}, {"up_to": 5}, {"amount": 3}])
    assert_problem(order, "UJI-T-01", "tariff.brackets[1].up_to", "more than the previous")


def test_tiered_unreachable_brackets() -> None:
    below = tiered("bracket", [{"up_to": 2, "amount": 1}, {"amount": 2}], min=5)
    assert_problem(below, "UJI-T-01", "tariff.brackets[0].up_to", "at least 5")
    above = tiered("graduated", [{"up_to": 100, "rate": 1}, {"rate": 2}], max=100)
    assert_problem(above, "UJI-T-01", "tariff.brackets[1]", "at most 100")


def test_tiered_bracket_amounts_are_whole_rupiah() -> None:
    doc = tiered("bracket", [{"up_to": 10, "amount": -1}, {"rate": 0.5}])
    assert_problem(doc, "UJI-T-01", "tariff.brackets[0].amount", "negative")
    assert_problem(doc, "UJI-T-01", "tariff.brackets[1].rate", "fractional")


def test_unknown_bracket_field() -> None:
    doc = tiered("bracket", [{"up_to": 10, "price": 1}, {"amount": 1}])
    assert_problem(doc, "UJI-T-01", "tariff.brackets[0].price", "unknown field")


# ------------------------------------------------------------------ formulas


def formula(expression: Any, inputs: list[Any], constants: Any = None) -> dict[str, Any]:
    tariff: dict[str, Any] = {"kind": "formula", "expression": expression, "inputs": inputs}
    if constants is not None:
        tariff["constants"] = constants
    return document(item("UJI-F-01", tariff))


def test_formula_referring_to_undeclared_inputs() -> None:
    doc = formula("luas * tarif * indeks", [quantity("luas")], {"tarif": 100})
    assert_problem(doc, "UJI-F-01", "tariff.expression", "'indeks' is neither")


def test_formula_with_unused_input_and_constant() -> None:
    doc = formula("a * 2", [quantity("a"), quantity("b")], {"k": 3})
    assert_problem(doc, "UJI-F-01", "tariff.inputs", "'b' is declared but the formula")
    assert_problem(doc, "UJI-F-01", "tariff.constants.k", "'k' is declared but the formula")


def test_formula_syntax_error_is_a_problem() -> None:
    doc = formula("a ** 2", [quantity("a")])
    assert_problem(doc, "UJI-F-01", "tariff.expression", "powers are not allowed")


def test_formula_too_long_is_a_problem() -> None:
    doc = formula(" + ".join(["a"] * 300), [quantity("a")])
    assert_problem(doc, "UJI-F-01", "tariff.expression", "at most 500")


def test_formula_needs_inputs() -> None:
    assert_problem(formula("1000", []), "UJI-F-01", "tariff.inputs", "use 'fixed'")


def test_formula_constant_rules() -> None:
    doc = formula("a * k * j", [quantity("a")], {"k": 0.5, "a": 1, "j": "x"})
    assert_problem(doc, "UJI-F-01", "tariff.constants.k", "floats are not exact")
    assert_problem(doc, "UJI-F-01", "tariff.constants.a", "declared as an input")
    assert_problem(doc, "UJI-F-01", "tariff.constants.j", "decimal number")
    bad_name = formula("a", [quantity("a")], {"_k": 1})
    assert_problem(bad_name, "UJI-F-01", "tariff.constants._k", "expected a letter")


def test_formula_dividing_by_an_input_that_may_be_zero() -> None:
    doc = formula("1000 / a", [quantity("a", min=0)])
    assert_problem(doc, "UJI-F-01", "tariff.expression", "at its minimum: division by zero")


def test_formula_going_negative_at_a_corner() -> None:
    doc = formula("(a - 50) * 1000", [quantity("a")])
    assert_problem(
        doc, "UJI-F-01", "tariff.expression", "amount ≥ 0 with every input at its minimum"
    )


# ------------------------------------------------------------------ files and canonical form

TOML_DOCUMENT = """
format = 1
id = "uji-2024.1"
title = "Jadwal uji"
legal_basis = "Perda Uji 1/2024"
effective_from = 2024-01-01T00:00:00

[[items]]
code = "UJI-PBG-01"
name = "PBG uji"
category = "perizinan_tertentu"
unit = "per permohonan"
legal_ref = "Lampiran III"
provenance = "S"

[items.tariff]
kind = "formula"
expression = "LLt * Ilo * SHST * It * Ibg"
constants = { Ilo = "0.005", SHST = 6800000 }
inputs = [
  { name = "LLt", label = "Luas", type = "decimal", min = "1", max = "1000", unit = "m²" },
  { name = "It", label = "Indeks", type = "decimal", min = "0", max = "2" },
  { name = "Ibg", label = "Indeks", type = "decimal", min = "0", max = "1", default = "1.000" },
]
"""


def test_toml_document() -> None:
    version = parse_toml(TOML_DOCUMENT)
    assert version.effective_from_ms == EFFECTIVE_MS
    assert version.item("UJI-PBG-01").unverified


def test_toml_syntax_error_is_a_validation_error() -> None:
    with pytest.raises(ScheduleValidationError) as caught:
        parse_toml("id = ")
    assert caught.value.problems[0].field == "(toml)"


def test_json_duplicate_keys_and_floats_refused() -> None:
    with pytest.raises(ScheduleValidationError, match="duplicate key"):
        parse_json(b'{"id": "a", "id": "b"}')
    with pytest.raises(ScheduleValidationError, match="floats"):
        parse_json(b'{"format": 1.0}')


def test_canonical_form_round_trips_and_has_no_floats() -> None:
    version = parse_toml(TOML_DOCUMENT)
    canonical = version_to_mapping(version)
    assert version_from_mapping(canonical) == version
    assert parse_json(document_bytes(version)) == version
    ibg = canonical["items"][0]["tariff"]["inputs"][2]
    assert ibg["default"] == 1  # "1.000" normalised to the integer 1
    assert canonical["items"][0]["tariff"]["constants"] == {"Ilo": "0.005", "SHST": 6800000}

    def walk(value: Any) -> None:
        assert not isinstance(value, float)
        if isinstance(value, dict):
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(canonical)


def test_canonical_form_of_every_tariff_kind_round_trips() -> None:
    per_unit = item(
        "UJI-A-01", {"kind": "per_unit", "rate": 3000, "inputs": [quantity(unit="hari")]}
    )
    graded = item(
        "UJI-A-02",
        {
            "kind": "tiered",
            "mode": "graduated",
            "brackets": [{"up_to": "10.5", "rate": 100}, {"amount": 5, "rate": 200}],
            "inputs": [quantity(type="decimal", min=0)],
        },
    )
    version = version_from_mapping(document(fixed(notes="catatan"), free(), per_unit, graded))
    assert version_from_mapping(version_to_mapping(version)) == version
