"""Business rules, checked on entry bodies replayed in memory (no database, fixed times)."""

from __future__ import annotations

from typing import Any

import pytest

from audit.calendar import OfficeHours, day_of_text, deadline_ms
from audit.compliance import ComplianceChecker
from audit.findings import FindingSink
from audit.options import PatternThresholds
from ledger.schedule import (
    Charge,
    Verdict,
    VerdictCode,
    check,
    default_schedule,
    document_sha256,
    publication_body,
    rejection_body,
    version_from_mapping,
)

#: Thursday 2025-01-02 09:00 WIB in UTC ms.
THURSDAY_9 = 1_735_783_200_000
HOUR = 3_600_000
DAY = 24 * HOUR
OFFICE, OTHER = "32.16.20-DISPENDA", "32.16.04-PUSKESMAS"


class Replay:
    """Feeds bodies to a :class:`ComplianceChecker` with consecutive seqs."""

    def __init__(self, holidays: frozenset[int] = frozenset(), **thresholds: int) -> None:
        self.sink = FindingSink()
        self.checker = ComplianceChecker(
            self.sink,
            deadline_days=1,
            hours=OfficeHours(),
            thresholds=PatternThresholds(**thresholds),
            documents=lambda _digest: None,
            holidays=holidays,
        )
        self.seq = 0
        self.at = THURSDAY_9 - 2 * HOUR
        self.schedule = default_schedule()
        self.add("schedule.published", publication_body(self.schedule, "u-admin"))
        for office in (OFFICE, OTHER):
            self.add(
                "office.added", {"office": office, "name": office, "address_area": "x", "by": "a"}
            )
            self.add(
                "counter.added", {"office": office, "counter": "L01", "name": "L01", "by": "a"}
            )
            self.user(f"{office}-petugas", "counter", office)
            self.user(f"{office}-penyelia", "supervisor", office)
        self.at = THURSDAY_9

    def user(self, user: str, role: str, office: str) -> None:
        self.add("user.added", {"user": user, "role": role, "office": office, "by": "a"})

    def add(self, kind: str, body: dict[str, Any], at: int | None = None) -> int:
        seq = self.seq
        self.at = at if at is not None else self.at + 60_000
        self.checker.apply(seq, kind, self.at, body)
        self.seq += 1
        return seq

    def receipt(
        self,
        service: str = "RJU-SMP-01",
        inputs: dict[str, Any] | None = None,
        *,
        charged: int | None = None,
        official: int | None = None,
        waiver: str | None = None,
        office: str = OFFICE,
        at: int | None = None,
    ) -> int:
        inputs = {"bulan": 2} if inputs is None and service == "RJU-SMP-01" else inputs or {}
        fee = check(self.schedule, Charge(service, inputs, 0, self.at)).official_fee or 0
        body: dict[str, Any] = {
            "receipt_no": f"{office}/L01/2025/{self.seq:06d}",
            "office": office,
            "counter": "L01",
            "by": f"{office}-petugas",
            "service": service,
            "schedule": self.schedule.id,
            "inputs": inputs,
            "official_fee": fee if official is None else official,
            "charged": fee if charged is None else charged,
            "verdict": "waived" if waiver else "ok",
        }
        if waiver:
            body["waiver"] = waiver
        return self.add("receipt.issued", body, at)

    def void(
        self, target: int, *, approver: str, role: str = "supervisor", office: str = OFFICE
    ) -> int:
        return self.add(
            "receipt.voided",
            {
                "receipt_seq": target,
                "receipt_no": f"{OFFICE}/L01/2025/{target:06d}",
                "office": office,
                "reason": "salah",
                "requested_by": f"{OFFICE}-petugas",
                "approved_by": approver,
                "approver_role": role,
            },
        )

    def findings(self) -> list[tuple[str, int | None]]:
        self.checker.finish()
        return [(f.code, f.seq) for f in self.sink.sorted()]

    def codes(self) -> set[str]:
        return {code for code, _ in self.findings()}


def test_every_charge_is_rechecked_against_the_schedule() -> None:
    replay = Replay()
    ok = replay.receipt()
    over = replay.receipt(charged=50_000, official=50_000)
    free = replay.receipt("BBS-DKP-01", charged=25_000, official=25_000)
    under = replay.receipt(charged=1_000)
    wrong_fee = replay.receipt(charged=30_000, official=30_000, inputs={"bulan": 3}, waiver="SK-1")
    waived = replay.receipt(charged=11_000, waiver="SK-2")
    found = replay.findings()
    assert ("compliance.overcharge_accepted", over) in found
    assert ("compliance.free_service_charged", free) in found
    assert ("compliance.undercharge_without_waiver", under) in found
    assert ("compliance.official_fee_mismatch", wrong_fee) in found
    assert ("compliance.waiver", waived) in found
    assert not [f for f in found if f[1] == ok]


def test_attack_retroactive_schedule_publication() -> None:
    replay = Replay()
    replay.receipt()
    later = replay.schedule.effective_from  # the first version's own date, long past
    document = publication_body(replay.schedule, "u-admin")
    document["version"] = "bekasi-2024.2"
    document["document"] = {**document["document"], "id": "bekasi-2024.2"}
    version = version_from_mapping(document["document"])
    document["sha256"] = document_sha256(version)
    assert later == version.effective_from
    seq = replay.add("schedule.published", document)
    assert ("compliance.schedule_retroactive", seq) in replay.findings()


def test_voids_must_name_a_receipt_of_the_office_and_be_approved_once_by_a_supervisor() -> None:
    replay = Replay()
    first, second = replay.receipt(), replay.receipt()
    fine = replay.void(first, approver=f"{OFFICE}-penyelia")
    again = replay.void(first, approver=f"{OFFICE}-penyelia")
    by_petugas = replay.void(second, approver=f"{OFFICE}-petugas", role="counter")
    by_claimed_supervisor = replay.void(second, approver=f"{OFFICE}-petugas")
    elsewhere = replay.void(second, approver=f"{OTHER}-penyelia", office=OTHER)
    nothing = replay.void(replay.seq + 5, approver=f"{OFFICE}-penyelia")
    found = replay.findings()
    assert ("compliance.void_repeated", again) in found
    assert ("compliance.void_not_supervisor", by_petugas) in found
    assert ("compliance.void_not_supervisor", by_claimed_supervisor) in found
    assert ("compliance.void_wrong_office", elsewhere) in found
    assert ("compliance.void_unknown_receipt", nothing) in found
    assert not [f for f in found if f[1] == fine]


def test_closings_must_equal_the_receipts_they_close() -> None:
    replay = Replay()
    a, b = replay.receipt(), replay.receipt()
    replay.void(a, approver=f"{OFFICE}-penyelia")
    count, total = 2, 22_000 * 2
    body = {
        "office": OFFICE,
        "counter": "L01",
        "date": "2025-01-02",
        "count": count,
        "total": total,
        "voids": 1,
        "void_total": 22_000,
        "net": total - 22_000,
        "last_seq": replay.seq - 1,
        "by": f"{OFFICE}-petugas",
    }
    good = replay.add("day.closed", dict(body))
    bad = replay.add("day.closed", {**body, "total": total - 5_000, "net": total - 27_000})
    found = replay.findings()
    assert ("compliance.closing_repeated", bad) in found
    assert ("compliance.closing_mismatch", bad) in found
    assert ("compliance.closing_mismatch", good) not in found
    assert b > a


def _deposit(replay: Replay, amount: int, period: str, at: int) -> int:
    return replay.add(
        "deposit.recorded",
        {
            "office": OFFICE,
            "sts_no": f"STS-{replay.seq}",
            "bank_ref": "BJB-1",
            "amount": amount,
            "period_from": period,
            "period_to": period,
            "counters": ["L01"],
            "deposited_at": at,
            "by": "u-bendahara",
        },
        at,
    )


def test_deposits_reconcile_and_are_due_the_next_working_day() -> None:
    replay = Replay()
    replay.receipt()  # Thursday: 22,000
    friday_9 = THURSDAY_9 + DAY
    replay.receipt(at=friday_9)  # Friday: 22,000
    on_time = _deposit(replay, 22_000, "2025-01-02", friday_9 + HOUR)  # Thursday's, on Friday
    short = _deposit(replay, 20_000, "2025-01-03", friday_9 + 3 * DAY + 2 * HOUR)  # Monday
    replay.receipt(at=friday_9 + 3 * DAY + 3 * HOUR)  # Monday 12:00
    late = replay.receipt(at=friday_9 + 5 * DAY)  # Wednesday: due Thursday, never deposited
    replay.add(
        "complaint.updated",
        {"tracking_no": "x", "status": "resolved", "by": "a"},
        friday_9 + 7 * DAY,
    )
    found = replay.findings()
    assert ("compliance.deposit_mismatch", short) in found
    assert ("compliance.deposit_mismatch", on_time) not in found
    assert ("compliance.deposit_late", on_time) not in found
    undeposited = [seq for code, seq in found if code == "compliance.undeposited_day"]
    assert late in undeposited
    rows = {r.date: r.status for r in replay.checker.days.finish(replay.checker.as_of)}
    assert rows["2025-01-02"] == "ok"
    assert rows["2025-01-03"] == "mismatch"


def test_a_late_deposit() -> None:
    replay = Replay()
    replay.receipt()  # Thursday
    monday = THURSDAY_9 + 4 * DAY
    late = _deposit(replay, 22_000, "2025-01-02", monday)  # due by Friday 24:00
    assert ("compliance.deposit_late", late) in replay.findings()


#: Monday 2025-01-06, made a holiday in the tests below (it was not one).
HOLIDAY_MONDAY = day_of_text("2025-01-06")


@pytest.mark.parametrize("holidays", [frozenset(), frozenset({HOLIDAY_MONDAY})])
def test_a_holiday_moves_the_deposit_deadline_to_the_next_working_day(
    holidays: frozenset[int],
) -> None:
    replay = Replay(holidays=holidays)
    friday_9 = THURSDAY_9 + DAY
    replay.receipt(at=friday_9)  # Friday 2025-01-03
    tuesday = _deposit(replay, 22_000, "2025-01-03", friday_9 + 4 * DAY)  # Tuesday 09:00
    found = replay.findings()
    # Due by Monday 24:00; by Tuesday 24:00 when that Monday is a holiday.
    assert (("compliance.deposit_late", tuesday) in found) is not holidays
    rows = {r.date: r for r in replay.checker.days.finish(replay.checker.as_of)}
    assert rows["2025-01-03"].status == ("ok" if holidays else "late")
    assert rows["2025-01-03"].deadline == deadline_ms(day_of_text("2025-01-03"), 1, holidays)


def test_a_receipt_issued_on_a_holiday_is_outside_office_hours() -> None:
    replay = Replay(holidays=frozenset({HOLIDAY_MONDAY}), outside_hours=1)
    working = replay.receipt(at=THURSDAY_9)  # Thursday 09:00: inside the hours
    holiday = replay.receipt(at=THURSDAY_9 + 4 * DAY)  # Monday 09:00, a holiday
    found = replay.findings()
    outside = [seq for code, seq in found if code == "pattern.outside_hours"]
    assert outside == [holiday]
    assert working not in outside


def test_complaints_are_linked_to_receipts() -> None:
    replay = Replay()
    receipt = replay.receipt()
    base = {"text_commitment": "0" * 64}
    unlinked = replay.add("complaint.filed", {**base, "tracking_no": "A", "paid_claimed": 50_000})
    more = replay.add(
        "complaint.filed",
        {**base, "tracking_no": "B", "paid_claimed": 50_000, "receipt_seq": receipt},
    )
    unknown = replay.add(
        "complaint.filed", {**base, "tracking_no": "C", "paid_claimed": 1, "receipt_seq": 0}
    )
    replay.add("complaint.updated", {"tracking_no": "B", "status": "resolved", "by": "a"})
    found = replay.findings()
    assert ("compliance.complaint_without_receipt", unlinked) in found
    assert ("compliance.complaint_amount", more) in found
    assert ("compliance.complaint_unknown_receipt", unknown) in found
    assert ("compliance.complaint_open", unlinked) in found
    assert ("compliance.complaint_open", more) not in found


def test_refusals_are_rechecked_and_free_service_attempts_listed() -> None:
    replay = Replay(refusals=2)
    charge = Charge("BBS-DKP-02", {}, 15_000, replay.at + 60_000)
    verdict = check(replay.schedule, charge)
    body = rejection_body(charge, verdict, f"{OFFICE}-petugas", OFFICE, "L01")
    free = replay.add("charge.rejected", body, charge.at_ms)
    # The official fee, recorded as refused for an overcharge: the record does not hold up.
    honest = Charge("RJU-PKR-02", {}, 3000, replay.at + 60_000)
    claimed = Verdict(
        VerdictCode.OVERCHARGE,
        service_code="RJU-PKR-02",
        charged=3000,
        at_ms=honest.at_ms,
        official_fee=3000,
        version_id=replay.schedule.id,
    )
    lie = rejection_body(honest, claimed, f"{OFFICE}-petugas", OFFICE, "L01")
    mismatch = replay.add("charge.rejected", lie, honest.at_ms)
    found = replay.findings()
    assert ("compliance.free_service_attempt", free) in found
    assert ("compliance.rejection_mismatch", mismatch) in found
    assert any(code == "pattern.refusals" for code, _ in found)


def test_patterns_round_amounts_hours_and_unclosed_counters() -> None:
    replay = Replay(round_run=3, round_unit=10_000, outside_hours=1)
    first = replay.receipt("RJU-SMP-03", {"bulan": 1})  # 20,000: round
    replay.receipt("RJU-SMP-03", {"bulan": 2})
    replay.receipt("RJU-SMP-03", {"bulan": 3})
    replay.receipt()  # 22,000 ends the run
    night = replay.receipt(at=THURSDAY_9 + 12 * HOUR)  # 21:00 WIB
    replay.add(
        "complaint.updated",
        {"tracking_no": "x", "status": "resolved", "by": "a"},
        THURSDAY_9 + 2 * DAY,
    )
    found = replay.findings()
    assert ("pattern.round_amounts", first) in found
    assert ("pattern.outside_hours", night) in found
    assert "pattern.unclosed_counter" in {code for code, _ in found}


def test_malformed_bodies_are_reported_not_raised() -> None:
    replay = Replay()
    seq = replay.add("receipt.issued", {"office": OFFICE, "charged": "lots"})
    assert ("compliance.malformed_body", seq) in replay.findings()


@pytest.mark.parametrize("rate_bp", [500, 10_000])
def test_void_rate_threshold(rate_bp: int) -> None:
    replay = Replay(void_min_receipts=2, void_rate_bp=rate_bp)
    seqs = [replay.receipt() for _ in range(4)]
    replay.void(seqs[0], approver=f"{OFFICE}-penyelia")
    listed = "pattern.void_rate" in replay.codes()
    assert listed == (rate_bp == 500)
