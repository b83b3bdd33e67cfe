"""Public and inspectorate figures, folded from ledger entries one at a time.

Pure: :meth:`LedgerStats.apply` takes a decoded entry (and, for entries that name a
receipt by ``receipt_seq``, that receipt's entry) and updates the figures; nothing here
reads a database or a clock. Memory grows with offices × days, plus short bounded lists
of recent events — never with the number of receipts.

Rules (``docs/pages.md`` §Figures):

- months and days are WIB calendar periods of the entry's ``at``;
- a void counts in the period of the void, with the amount of the voided receipt;
- a complaint belongs to the office of the receipt it names (``—`` when none);
  "closed" means its status became ``resolved`` or ``rejected``;
- a deposit is on time when ``deposited_at`` is no later than the deadline of the last
  day it covers (``period_to``), by the audit's rule (:func:`audit.calendar.deadline_ms`:
  end of the ``deadline_days``-th working day, Mon–Fri less ``holidays``, after the day);
- a day's net collection (receipts less voids) at an office is undeposited when no
  deposit of that office covers the day; it is late once that day's deadline has passed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from audit.calendar import NO_HOLIDAYS, day_of_text, wib_date
from audit.calendar import deadline_ms as calendar_deadline_ms
from ledger.encoding import Entry
from ledger.schedule import ScheduleError, VerdictCode, verdict_from_rejection_body

__all__ = [
    "NO_OFFICE",
    "RECENT",
    "ComplaintFact",
    "DayFigures",
    "LedgerStats",
    "MonthFigures",
    "ReceiptFact",
    "RefusalFact",
    "Undeposited",
    "VoidFact",
    "fold",
    "referenced_seq",
    "wib_month",
]

#: The office of a complaint that names no receipt.
NO_OFFICE: Final = "—"
#: Recent receipts per counter, refusals and voids the pages list.
RECENT: Final = 50
_CLOSED_STATUSES: Final = frozenset({"resolved", "rejected"})


def wib_month(at_ms: int) -> str:
    """``YYYY-MM``: the WIB calendar month of a UTC millisecond time."""
    return wib_date(at_ms)[:7]


def _deadline(day: str, working_days: int, holidays: frozenset[int]) -> int:
    return calendar_deadline_ms(day_of_text(day), working_days, holidays)


@dataclass(slots=True)
class MonthFigures:
    """One office's figures for one month: nothing in them names a person."""

    receipts: int = 0
    total: int = 0
    voids: int = 0
    void_total: int = 0
    refused: int = 0
    refused_free: int = 0
    complaints: int = 0
    complaints_closed: int = 0
    deposits_on_time: int = 0
    deposits_late: int = 0


@dataclass(slots=True)
class DayFigures:
    receipts: int = 0
    total: int = 0
    voids: int = 0
    void_total: int = 0

    @property
    def net(self) -> int:
        return self.total - self.void_total


@dataclass(frozen=True, slots=True)
class ReceiptFact:
    seq: int
    number: str
    office: str
    counter: str
    service: str
    charged: int
    at: int


@dataclass(frozen=True, slots=True)
class RefusalFact:
    seq: int
    office: str
    counter: str
    service: str
    charged: int
    official_fee: int | None
    verdict: str
    at: int


@dataclass(frozen=True, slots=True)
class VoidFact:
    seq: int
    receipt_seq: int
    receipt_no: str
    office: str
    amount: int
    reason: str
    at: int


@dataclass(slots=True)
class ComplaintFact:
    tracking_no: str
    office: str
    receipt_no: str | None
    paid_claimed: int
    official_fee: int | None
    filed_at: int
    status: str = "received"
    updated_at: int | None = None


@dataclass(frozen=True, slots=True)
class Undeposited:
    office: str
    day: str
    amount: int
    deadline: int  # UTC ms


def _int(body: Mapping[str, Any], name: str, default: int = 0) -> int:
    value = body.get(name, default)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _text(body: Mapping[str, Any], name: str, default: str = "") -> str:
    value = body.get(name, default)
    return value if isinstance(value, str) else default


@dataclass
class LedgerStats:
    """Figures of the entries folded so far (``next_seq`` is the first one not yet seen)."""

    deadline_days: int = 1
    #: Public holidays (WIB day numbers, :func:`audit.calendar.parse_holidays`): not
    #: working days for deposit deadlines.
    holidays: frozenset[int] = NO_HOLIDAYS
    next_seq: int = 0
    months: dict[tuple[str, str], MonthFigures] = field(default_factory=dict)
    days: dict[tuple[str, str], DayFigures] = field(default_factory=dict)
    complaints: dict[str, ComplaintFact] = field(default_factory=dict)
    deposit_periods: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    recent_receipts: dict[tuple[str, str], deque[ReceiptFact]] = field(default_factory=dict)
    voided: dict[int, int] = field(default_factory=dict)  # receipt seq → void seq (recent only)
    refusals: deque[RefusalFact] = field(default_factory=lambda: deque(maxlen=RECENT))
    voids: deque[VoidFact] = field(default_factory=lambda: deque(maxlen=RECENT))

    def _month(self, office: str, at: int) -> MonthFigures:
        return self.months.setdefault((office, wib_month(at)), MonthFigures())

    def _day(self, office: str, at: int) -> DayFigures:
        return self.days.setdefault((office, wib_date(at)), DayFigures())

    def apply(self, entry: Entry, receipt: Entry | None = None) -> None:
        """Fold ``entry``; ``receipt`` is the entry its ``receipt_seq`` names, if any."""
        if entry.seq != self.next_seq:
            raise ValueError(f"expected entry {self.next_seq}, found entry {entry.seq}")
        self.next_seq += 1
        body = entry.body
        handler = _HANDLERS.get(entry.kind)
        if handler is not None:
            handler(self, entry, body, receipt)

    def _issued(self, entry: Entry, body: Mapping[str, Any], _: Entry | None) -> None:
        office, charged = _text(body, "office"), _int(body, "charged")
        month, day = self._month(office, entry.at), self._day(office, entry.at)
        month.receipts += 1
        month.total += charged
        day.receipts += 1
        day.total += charged
        fact = ReceiptFact(
            seq=entry.seq,
            number=_text(body, "receipt_no"),
            office=office,
            counter=_text(body, "counter"),
            service=_text(body, "service"),
            charged=charged,
            at=entry.at,
        )
        recent = self.recent_receipts.setdefault((office, fact.counter), deque(maxlen=RECENT))
        recent.appendleft(fact)

    def _voided(self, entry: Entry, body: Mapping[str, Any], receipt: Entry | None) -> None:
        office = _text(body, "office")
        amount = _int(receipt.body, "charged") if receipt is not None else 0
        month, day = self._month(office, entry.at), self._day(office, entry.at)
        month.voids += 1
        month.void_total += amount
        day.voids += 1
        day.void_total += amount
        receipt_seq = _int(body, "receipt_seq", -1)
        self.voided[receipt_seq] = entry.seq
        self.voids.appendleft(
            VoidFact(
                seq=entry.seq,
                receipt_seq=receipt_seq,
                receipt_no=_text(body, "receipt_no"),
                office=office,
                amount=amount,
                reason=_text(body, "reason"),
                at=entry.at,
            )
        )

    def _rejected(self, entry: Entry, body: Mapping[str, Any], _: Entry | None) -> None:
        office = _text(body, "office")
        try:
            # The body's layout belongs to the schedule check (ledger.schedule.rejection_body).
            verdict = verdict_from_rejection_body(body)
            code, official = verdict.code.value, verdict.official_fee
        except ScheduleError:
            code, official = "", None
        month = self._month(office, entry.at)
        month.refused += 1
        if code == VerdictCode.CHARGED_FOR_FREE_SERVICE:
            month.refused_free += 1
        self.refusals.appendleft(
            RefusalFact(
                seq=entry.seq,
                office=office,
                counter=_text(body, "counter"),
                service=_text(body, "service"),
                charged=_int(body, "charged"),
                official_fee=official,
                verdict=code,
                at=entry.at,
            )
        )

    def _deposit(self, entry: Entry, body: Mapping[str, Any], _: Entry | None) -> None:
        office = _text(body, "office")
        first, last = _text(body, "period_from"), _text(body, "period_to")
        if not first or not last:
            return
        self.deposit_periods.setdefault(office, []).append((first, last))
        month = self.months.setdefault((office, last[:7]), MonthFigures())
        due = _deadline(last, self.deadline_days, self.holidays)
        if _int(body, "deposited_at", entry.at) <= due:
            month.deposits_on_time += 1
        else:
            month.deposits_late += 1

    def _complaint(self, entry: Entry, body: Mapping[str, Any], receipt: Entry | None) -> None:
        office = _text(receipt.body, "office", NO_OFFICE) if receipt is not None else NO_OFFICE
        tracking = _text(body, "tracking_no")
        official = body.get("official_fee")
        number = body.get("receipt_no")
        self.complaints[tracking] = ComplaintFact(
            tracking_no=tracking,
            office=office,
            receipt_no=number if isinstance(number, str) else None,
            paid_claimed=_int(body, "paid_claimed"),
            official_fee=official if isinstance(official, int) else None,
            filed_at=entry.at,
        )
        self._month(office, entry.at).complaints += 1

    def _complaint_update(self, entry: Entry, body: Mapping[str, Any], _: Entry | None) -> None:
        fact = self.complaints.get(_text(body, "tracking_no"))
        if fact is None:
            return
        was_closed = fact.status in _CLOSED_STATUSES
        fact.status = _text(body, "status", fact.status)
        fact.updated_at = entry.at
        if fact.status in _CLOSED_STATUSES and not was_closed:
            self._month(fact.office, entry.at).complaints_closed += 1

    # ------------------------------------------------------------------ questions

    def month_rows(self) -> list[tuple[str, str, MonthFigures]]:
        """(office, month, figures), newest month first, offices in code order."""
        rows = sorted((office, month, figures) for (office, month), figures in self.months.items())
        rows.sort(key=lambda row: row[1], reverse=True)  # stable: offices stay in order
        return rows

    def day_of(self, office: str, day: str) -> DayFigures:
        return self.days.get((office, day), DayFigures())

    def month_of(self, office: str, month: str) -> MonthFigures:
        return self.months.get((office, month), MonthFigures())

    def offices(self) -> list[str]:
        seen = {office for office, _ in self.months} | {office for office, _ in self.days}
        return sorted(seen)

    def recent_for(self, office: str, counter: str) -> list[ReceiptFact]:
        return list(self.recent_receipts.get((office, counter), ()))

    def undeposited(self, now_ms: int) -> list[Undeposited]:
        """Days whose net collection no deposit covers and whose deadline has passed."""
        out = []
        for (office, day), figures in sorted(self.days.items()):
            if figures.net <= 0:
                continue
            periods = self.deposit_periods.get(office, [])
            if any(first <= day <= last for first, last in periods):
                continue
            deadline = _deadline(day, self.deadline_days, self.holidays)
            if now_ms > deadline:
                out.append(Undeposited(office, day, figures.net, deadline))
        return out

    def complaint_list(self) -> list[ComplaintFact]:
        return sorted(self.complaints.values(), key=lambda c: c.filed_at, reverse=True)


_HANDLERS: Final = {
    "receipt.issued": LedgerStats._issued,
    "receipt.voided": LedgerStats._voided,
    "charge.rejected": LedgerStats._rejected,
    "deposit.recorded": LedgerStats._deposit,
    "complaint.filed": LedgerStats._complaint,
    "complaint.updated": LedgerStats._complaint_update,
}


def referenced_seq(entry: Entry) -> int | None:
    """The receipt an entry names (voids and complaints), which :meth:`apply` wants too."""
    if entry.kind not in ("receipt.voided", "complaint.filed"):
        return None
    seq = entry.body.get("receipt_seq")
    return seq if isinstance(seq, int) and 0 <= seq < entry.seq else None


def fold(stats: LedgerStats, entries: Iterable[tuple[Entry, Entry | None]]) -> LedgerStats:
    """Apply ``entries`` (each with its referenced receipt entry) in order; returns ``stats``."""
    for entry, receipt in entries:
        stats.apply(entry, receipt)
    return stats
