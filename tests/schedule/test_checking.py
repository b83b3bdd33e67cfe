"""Verdicts on charges: codes, acceptance, severity and messages."""

from dataclasses import replace

import pytest

from ledger.schedule import (
    Charge,
    InvalidChargeError,
    ScheduleHistory,
    Severity,
    Verdict,
    VerdictCode,
    check,
    check_official_fee,
    default_schedule,
    quote,
)
from tests.schedule.builders import EFFECTIVE_MS, at, item, quantity, version

NOON = at("2024-06-01T12:00")
BEKASI = default_schedule()


def verdict_of(
    code: str,
    charged: int,
    inputs: dict[str, str | int] | None = None,
    waiver_ref: str | None = None,
) -> Verdict:
    return check(BEKASI, Charge(code, inputs or {}, charged, NOON, waiver_ref))


def test_ok() -> None:
    verdict = verdict_of("RJU-KES-01", 10_000)
    assert verdict.code is VerdictCode.OK
    assert verdict.accepted
    assert verdict
    assert verdict.official_fee == 10_000
    assert verdict.charged == 10_000
    assert verdict.version_id == "bekasi-2024.1"
    assert verdict.severity is Severity.INFO
    assert "Rp10.000" in verdict.message_id


def test_overcharge_is_refused() -> None:
    verdict = verdict_of("RJU-PSR-01", 10_000, {"hari": 3})
    assert verdict.code is VerdictCode.OVERCHARGE
    assert not verdict.accepted
    assert not verdict
    assert verdict.official_fee == 9_000
    assert verdict.severity is Severity.HIGH
    assert "DITOLAK" in verdict.message_id
    assert "lebih dari tarif resmi Rp9.000" in verdict.message_id
    assert "more than the official fee Rp9.000" in verdict.message_en


def test_any_charge_on_a_free_service_is_the_gravest() -> None:
    verdict = verdict_of("BBS-DKP-01", 5_000)
    assert verdict.code is VerdictCode.CHARGED_FOR_FREE_SERVICE
    assert not verdict.accepted
    assert verdict.official_fee == 0
    assert verdict.severity is Severity.CRITICAL
    assert verdict.severity == max(Severity)
    assert "UU 24/2013 Pasal 79A" in verdict.message_id
    assert "UU 24/2013 Pasal 79A" in verdict.message_en
    assert "GRATIS" in verdict.message_id


def test_a_free_service_stays_free_even_with_a_waiver_or_odd_inputs() -> None:
    assert (
        verdict_of("BBS-DKP-02", 1, {"x": 1}, waiver_ref="SK/1").code
        is VerdictCode.CHARGED_FOR_FREE_SERVICE
    )
    assert verdict_of("BBS-DKP-02", 0).code is VerdictCode.OK


def test_undercharge_without_waiver_is_refused() -> None:
    verdict = verdict_of("RJU-KES-01", 5_000)
    assert verdict.code is VerdictCode.UNDERCHARGE
    assert not verdict.accepted
    assert verdict.severity is Severity.WARNING
    assert "keringanan/pembebasan" in verdict.message_id


def test_undercharge_with_waiver_is_accepted_as_waived() -> None:
    verdict = verdict_of("RJU-KES-01", 0, waiver_ref="SK Bupati 100/2024")
    assert verdict.code is VerdictCode.WAIVED
    assert verdict.accepted
    assert verdict.official_fee == 10_000
    assert "SK Bupati 100/2024" in verdict.message_id


def test_a_waiver_does_not_excuse_an_overcharge() -> None:
    assert verdict_of("RJU-KES-01", 15_000, waiver_ref="SK/1").code is VerdictCode.OVERCHARGE


def test_unknown_service() -> None:
    verdict = verdict_of("RJU-XXX-99", 1_000)
    assert verdict.code is VerdictCode.UNKNOWN_SERVICE
    assert verdict.official_fee is None
    assert verdict.version_id == "bekasi-2024.1"
    assert verdict.severity is Severity.NOTICE
    assert "RJU-XXX-99" in verdict.message_id


def test_invalid_inputs() -> None:
    verdict = verdict_of("RPT-PBG-01", 1_000, {"LLt": "0", "It": "3"})
    assert verdict.code is VerdictCode.INVALID_INPUTS
    assert not verdict.accepted
    assert {p.name for p in verdict.problems} == {"LLt", "It"}
    assert "LLt" in verdict.message_id
    assert "between 1 and 500000" in verdict.message_en


def test_formula_failure_is_invalid_inputs() -> None:
    tariff = {
        "kind": "formula",
        "expression": "1000 / ((a - 5) * (a - 5))",
        "inputs": [quantity("a")],
    }
    doc = version(item("UJI-F-01", tariff))
    verdict = check(doc, Charge("UJI-F-01", {"a": 5}, 1, NOON))
    assert verdict.code is VerdictCode.INVALID_INPUTS
    assert "division by zero" in verdict.message_en


def test_no_schedule_in_force() -> None:
    verdict = check(ScheduleHistory(), Charge("RJU-KES-01", {}, 10_000, NOON))
    assert verdict.code is VerdictCode.NO_SCHEDULE_IN_FORCE
    assert verdict.severity is Severity.NOTICE
    assert "2024-06-01 12:00 WIB" in verdict.message_id
    early = check(BEKASI, Charge("RJU-KES-01", {}, 10_000, EFFECTIVE_MS - 1))
    assert early.code is VerdictCode.NO_SCHEDULE_IN_FORCE


@pytest.mark.parametrize(
    ("code", "inputs"),
    [
        ("RJU-KES-01", {}),
        ("RJU-PSR-01", {"hari": 3}),
        ("RPT-PBG-01", {"LLt": "120", "It": "0.5"}),
        ("BBS-DKP-01", {}),
    ],
)
def test_collecting_the_official_fee_is_the_check_of_the_quoted_fee(
    code: str, inputs: dict[str, str | int]
) -> None:
    official = quote(BEKASI, code, inputs, NOON).official_fee
    expected = check(BEKASI, Charge(code, inputs, official, NOON))
    assert check_official_fee(BEKASI, Charge(code, inputs, 999_999, NOON)) == expected
    assert expected.code is VerdictCode.OK


@pytest.mark.parametrize(
    ("code", "inputs", "verdict"),
    [
        ("RJU-XXX-99", {}, VerdictCode.UNKNOWN_SERVICE),
        ("RPT-PBG-01", {"LLt": "0", "It": "3"}, VerdictCode.INVALID_INPUTS),
    ],
)
def test_collecting_an_unpriceable_official_fee_says_why_with_nothing_charged(
    code: str, inputs: dict[str, str | int], verdict: VerdictCode
) -> None:
    got = check_official_fee(BEKASI, Charge(code, inputs, 5_000, NOON))
    assert got == check(BEKASI, Charge(code, inputs, 0, NOON))
    assert (got.code, got.charged) == (verdict, 0)


def test_severity_order() -> None:
    order = [
        VerdictCode.OK,
        VerdictCode.INVALID_INPUTS,
        VerdictCode.UNDERCHARGE,
        VerdictCode.OVERCHARGE,
        VerdictCode.CHARGED_FOR_FREE_SERVICE,
    ]
    assert [c.severity for c in order] == sorted(c.severity for c in order)
    assert {c for c in VerdictCode if c.accepted} == {VerdictCode.OK, VerdictCode.WAIVED}


def test_every_code_has_messages_in_both_languages() -> None:
    for code in VerdictCode:
        verdict = replace(verdict_of("RJU-KES-01", 10_000), code=code)
        assert verdict.message_id
        assert verdict.message_en
        assert verdict.message_id != verdict.message_en
        data = verdict.to_json_value()
        assert data["code"] == code.value
        assert data["severity"] == code.severity.label


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"charged": -1}, "whole rupiah"),
        ({"charged": 1.5}, "whole rupiah"),
        ({"charged": True}, "whole rupiah"),
        ({"at_ms": -5}, "UTC milliseconds"),
        ({"service_code": ""}, "service code"),
        ({"inputs": {"a": 1.5}}, "integer or text values"),
        ({"inputs": {"a": False}}, "integer or text values"),
        ({"waiver_ref": "  "}, "waiver reference"),
        ({"waiver_ref": "x" * 201}, "waiver reference"),
    ],
)
def test_malformed_charges_are_refused(kwargs: dict[str, object], fragment: str) -> None:
    fields: dict[str, object] = {
        "service_code": "RJU-KES-01",
        "inputs": {},
        "charged": 10_000,
        "at_ms": NOON,
    }
    fields.update(kwargs)
    with pytest.raises(InvalidChargeError, match=fragment):
        Charge(**fields)  # type: ignore[arg-type]
