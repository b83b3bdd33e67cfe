"""The public figures folded from entries (pure): months, voids, deposits, complaints."""

from __future__ import annotations

from typing import Any

import pytest

from api.web.stats import NO_OFFICE, LedgerStats, fold, referenced_seq, wib_month
from audit.calendar import day_of_text, wib_date
from ledger.encoding import Entry
from ledger.schedule.wib import parse_wib

OFFICE = "32.16.20-DLH"


def wib(text: str) -> int:
    return parse_wib(text)


def entry(seq: int, kind: str, at: int, **body: Any) -> Entry:
    return Entry(seq=seq, kind=kind, at=at, prev=bytes(32), body=body)


def issued(seq: int, at: int, charged: int, counter: str = "L01") -> Entry:
    return entry(
        seq,
        "receipt.issued",
        at,
        receipt_no=f"R{seq}",
        office=OFFICE,
        counter=counter,
        service="RJU-PKR-02",
        charged=charged,
    )


def deposit(seq: int, at: int, first: str, last: str, deposited_at: int) -> Entry:
    return entry(
        seq,
        "deposit.recorded",
        at,
        office=OFFICE,
        period_from=first,
        period_to=last,
        deposited_at=deposited_at,
        amount=0,
    )


def test_wib_calendar_edges() -> None:
    # 2025-01-31 23:30 WIB is still January in WIB, although February 1st has not begun in UTC.
    assert wib_date(wib("2025-01-31T23:30")) == "2025-01-31"
    assert wib_month(wib("2025-02-01T00:00")) == "2025-02"
    assert wib_date(wib("2025-02-01T06:59")) == "2025-02-01"


def test_month_figures_count_receipts_and_voids_at_the_void_time() -> None:
    stats = LedgerStats()
    jan = wib("2025-01-31T15:00")
    feb = wib("2025-02-01T09:00")
    first, second = issued(0, jan, 3000), issued(1, jan, 15_000)
    void = entry(
        2, "receipt.voided", feb, receipt_seq=1, receipt_no="R1", office=OFFICE, reason="salah"
    )
    fold(stats, [(first, None), (second, None), (void, second)])
    january, february = stats.month_of(OFFICE, "2025-01"), stats.month_of(OFFICE, "2025-02")
    assert (january.receipts, january.total, january.voids) == (2, 18_000, 0)
    assert (february.receipts, february.voids, february.void_total) == (0, 1, 15_000)
    assert stats.voided == {1: 2}
    assert [r.seq for r in stats.recent_for(OFFICE, "L01")] == [1, 0]
    assert stats.day_of(OFFICE, "2025-02-01").net == -15_000


def test_entries_must_come_in_order() -> None:
    stats = LedgerStats()
    with pytest.raises(ValueError, match="expected entry 0"):
        stats.apply(issued(1, wib("2025-01-02T08:00"), 1000))


def test_referenced_receipt_only_for_voids_and_complaints() -> None:
    at = wib("2025-01-02T08:00")
    assert referenced_seq(issued(3, at, 1)) is None
    void = entry(5, "receipt.voided", at, receipt_seq=3)
    assert referenced_seq(void) == 3
    assert referenced_seq(entry(5, "complaint.filed", at, tracking_no="A")) is None
    assert referenced_seq(entry(5, "receipt.voided", at, receipt_seq=9)) is None  # not earlier


def test_deposit_on_time_and_late_by_working_days() -> None:
    stats = LedgerStats(deadline_days=1)
    friday = "2025-01-03"
    on_time = deposit(0, wib("2025-01-06T10:00"), friday, friday, wib("2025-01-06T23:59"))
    late = deposit(1, wib("2025-01-07T00:00"), friday, friday, wib("2025-01-07T00:00"))
    fold(stats, [(on_time, None), (late, None)])
    figures = stats.month_of(OFFICE, "2025-01")
    assert (figures.deposits_on_time, figures.deposits_late) == (1, 1)


def test_a_holiday_monday_makes_a_tuesday_deposit_of_fridays_money_on_time() -> None:
    friday = "2025-01-03"
    late_without = deposit(0, wib("2025-01-07T10:00"), friday, friday, wib("2025-01-07T10:00"))
    plain = LedgerStats(deadline_days=1)
    with_holiday = LedgerStats(deadline_days=1, holidays=frozenset({day_of_text("2025-01-06")}))
    fold(plain, [(late_without, None)])
    fold(with_holiday, [(late_without, None)])
    assert plain.month_of(OFFICE, "2025-01").deposits_late == 1
    assert with_holiday.month_of(OFFICE, "2025-01").deposits_on_time == 1
    # Friday's money, never deposited, is overdue on Tuesday only without the holiday.
    plain = LedgerStats(deadline_days=1)
    with_holiday = LedgerStats(deadline_days=1, holidays=frozenset({day_of_text("2025-01-06")}))
    for stats in (plain, with_holiday):
        fold(stats, [(issued(0, wib("2025-01-03T09:00"), 5000), None)])
    tuesday = wib("2025-01-07T10:00")
    assert [u.day for u in plain.undeposited(tuesday)] == [friday]
    assert with_holiday.undeposited(tuesday) == []
    assert [u.day for u in with_holiday.undeposited(wib("2025-01-08T00:01"))] == [friday]


def test_undeposited_days_past_the_deadline() -> None:
    stats = LedgerStats(deadline_days=1)
    monday, tuesday = wib("2025-01-06T09:00"), wib("2025-01-07T09:00")
    fold(
        stats,
        [
            (issued(0, monday, 3000), None),
            (issued(1, tuesday, 2000), None),
            (deposit(2, tuesday, "2025-01-07", "2025-01-07", tuesday), None),
        ],
    )
    # Monday's money was due by Tuesday 24:00 WIB.
    assert stats.undeposited(wib("2025-01-07T23:00")) == []
    late = stats.undeposited(wib("2025-01-08T00:01"))
    assert [(u.day, u.amount) for u in late] == [("2025-01-06", 3000)]


def test_complaints_belong_to_the_receipts_office_and_close_once() -> None:
    stats = LedgerStats()
    at = wib("2025-01-06T09:00")
    receipt = issued(0, at, 3000)
    filed = entry(1, "complaint.filed", at, tracking_no="ADU-1", receipt_seq=0, paid_claimed=50_000)
    anonymous = entry(2, "complaint.filed", at, tracking_no="ADU-2", paid_claimed=1)
    resolved = entry(3, "complaint.updated", at, tracking_no="ADU-1", status="resolved")
    again = entry(4, "complaint.updated", at, tracking_no="ADU-1", status="rejected")
    fold(
        stats,
        [(receipt, None), (filed, receipt), (anonymous, None), (resolved, None), (again, None)],
    )
    mine = stats.month_of(OFFICE, "2025-01")
    assert (mine.complaints, mine.complaints_closed) == (1, 1)
    assert stats.month_of(NO_OFFICE, "2025-01").complaints == 1
    assert [c.tracking_no for c in stats.complaint_list()] == ["ADU-1", "ADU-2"]
    assert stats.complaints["ADU-1"].status == "rejected"


def test_month_rows_newest_month_first_offices_in_order() -> None:
    stats = LedgerStats()
    other = "32.16.20-DUKCAPIL"
    jan, feb = wib("2025-01-10T09:00"), wib("2025-02-10T09:00")
    rows = [
        entry(0, "receipt.issued", jan, office=other, counter="L01", charged=0, receipt_no="a"),
        entry(1, "receipt.issued", feb, office=OFFICE, counter="L01", charged=0, receipt_no="b"),
        entry(2, "receipt.issued", feb, office=other, counter="L01", charged=0, receipt_no="c"),
    ]
    fold(stats, [(row, None) for row in rows])
    assert [(o, m) for o, m, _ in stats.month_rows()] == [
        (OFFICE, "2025-02"),
        (other, "2025-02"),
        (other, "2025-01"),
    ]
