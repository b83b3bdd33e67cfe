"""``charge.rejected`` bodies and re-checking verdicts from the log alone."""

import copy
from typing import Any

import pytest

from ledger.encoding import canonical_json
from ledger.schedule import (
    Charge,
    RejectionRecordError,
    ScheduleHistory,
    VerdictCode,
    VerdictMismatchError,
    charge_from_rejection_body,
    check,
    default_schedule,
    publication_body,
    recheck_rejection,
    rejection_body,
    verdict_from_rejection_body,
)
from tests.schedule.builders import at, fixed, version

NOON = at("2024-06-01T12:00")
PUBLISHED = at("2023-12-20T09:00")


def log_history() -> ScheduleHistory:
    """The history as an auditor rebuilds it from the log's schedule.published entries."""
    body = publication_body(default_schedule(), "admin")
    return ScheduleHistory.from_entries([(PUBLISHED, body)])


REFUSED = [
    Charge("RJU-PSR-01", {"hari": 2}, 10_000, NOON),
    Charge("BBS-DKP-01", {}, 50_000, NOON, waiver_ref="SK/9"),
    Charge("RJU-KES-01", {}, 1_000, NOON),
    Charge("RJU-XXX-01", {"a": "1"}, 1_000, NOON),
    Charge("RPT-PBG-01", {"LLt": "0", "It": "0.773"}, 1_000, NOON),
    Charge("RJU-KES-01", {}, 10_000, at("2023-06-01T12:00")),
]


@pytest.mark.parametrize("charge", REFUSED, ids=lambda c: c.service_code)
def test_rejection_body_round_trips(charge: Charge) -> None:
    verdict = check(log_history(), charge)
    assert not verdict.accepted
    body = rejection_body(
        charge, verdict, actor="petugas.07", office="32.16.20-DPMPTSP", counter="L2"
    )
    canonical_json(body)  # fits the ledger data model
    assert body["actor"] == "petugas.07"
    assert body["counter"] == "L2"
    assert body["service"] == charge.service_code
    assert body["charged"] == charge.charged
    assert body["verdict"]["code"] == verdict.code.value
    assert charge_from_rejection_body(body) == charge
    recorded = verdict_from_rejection_body(body)
    assert recorded == verdict
    assert recorded.message_id == verdict.message_id
    assert recheck_rejection(log_history(), body) == verdict


def test_free_service_rejection_names_the_law() -> None:
    charge = REFUSED[1]
    verdict = check(log_history(), charge)
    body = rejection_body(charge, verdict, "petugas.07", "disdukcapil", "L1")
    assert body["verdict"]["code"] == "charged_for_free_service"
    assert body["verdict"]["official_fee"] == 0
    assert body["verdict"]["legal_ref"] == "UU 24/2013 Pasal 79A"
    assert body["waiver_ref"] == "SK/9"


def test_accepted_verdicts_are_not_rejections() -> None:
    charge = Charge("RJU-KES-01", {}, 10_000, NOON)
    verdict = check(log_history(), charge)
    with pytest.raises(RejectionRecordError, match="refusing verdict"):
        rejection_body(charge, verdict, "a", "b", "c")


def test_verdict_must_belong_to_the_charge() -> None:
    charge = REFUSED[0]
    other = check(log_history(), REFUSED[2])
    with pytest.raises(RejectionRecordError, match="verdict is for"):
        rejection_body(charge, other, "a", "b", "c")


def test_actor_office_counter_are_required() -> None:
    charge = REFUSED[0]
    verdict = check(log_history(), charge)
    with pytest.raises(RejectionRecordError, match="counter"):
        rejection_body(charge, verdict, "a", "b", "")


def body_for(charge: Charge) -> dict[str, Any]:
    return rejection_body(charge, check(log_history(), charge), "petugas.07", "kantor", "L1")


def test_attack_downgraded_verdict_in_the_log_is_detected() -> None:
    body = body_for(REFUSED[1])
    body["verdict"]["code"] = "overcharge"  # hiding a levy on a free service
    with pytest.raises(VerdictMismatchError, match="recorded overcharge"):
        recheck_rejection(log_history(), body)


def test_attack_edited_official_fee_is_detected() -> None:
    body = body_for(REFUSED[0])
    body["verdict"]["official_fee"] = 10_000
    with pytest.raises(VerdictMismatchError, match="re-checking gives overcharge"):
        recheck_rejection(log_history(), body)


def test_attack_rejection_judged_by_another_schedule_is_detected() -> None:
    body = body_for(REFUSED[2])
    # The log's schedule says Rp10.000; a forged history saying Rp500 would make it an
    # overcharge — the mismatch is reported either way.
    forged = version(fixed("RJU-KES-01", amount=500))
    with pytest.raises(VerdictMismatchError):
        recheck_rejection(forged, body)


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        (("format",), 2, "format 1"),
        (("charged",), -1, "whole rupiah"),
        (("charged",), "1000", "whole rupiah"),
        (("actor",), "", "actor"),
        (("extra",), 1, "expected fields"),
        (("verdict", "code"), "ok", "expected a refusal"),
        (("verdict", "code"), "bogus", "verdict.code"),
        (("verdict", "official_fee"), "9000", "verdict.official_fee"),
        (("verdict", "problems"), [{"input": 1}], "verdict.problems"),
    ],
)
def test_malformed_rejection_bodies(path: tuple[str, ...], value: object, fragment: str) -> None:
    body = copy.deepcopy(body_for(REFUSED[0]))
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(RejectionRecordError, match=fragment):
        verdict_from_rejection_body(body)


def test_verdict_codes_survive_the_round_trip() -> None:
    codes = {verdict_from_rejection_body(body_for(c)).code for c in REFUSED}
    assert codes == {
        VerdictCode.OVERCHARGE,
        VerdictCode.CHARGED_FOR_FREE_SERVICE,
        VerdictCode.UNDERCHARGE,
        VerdictCode.UNKNOWN_SERVICE,
        VerdictCode.INVALID_INPUTS,
        VerdictCode.NO_SCHEDULE_IN_FORCE,
    }
