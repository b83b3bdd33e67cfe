"""Patterns worth a look: figures an inspector should see, none of them a breach alone.

- refused charges per petugas and counter (and how many on free services);
- void rate per petugas (voids of the receipts they issued);
- receipts outside office hours per counter (WIB, Monday–Friday);
- runs of round amounts per counter (``round_run`` round receipts in a row);
- counters with collections but no closing, per counter.

Every table is keyed by person or counter, never by entry: memory is O(users + counters).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from audit.calendar import NO_HOLIDAYS, OfficeHours, day_text
from audit.findings import Finding, FindingSink
from audit.options import PatternThresholds
from audit.reconciliation import DayBook
from audit.registry import ReceiptRow, Registry

__all__ = [
    "OutsideHoursRow",
    "PatternTables",
    "Patterns",
    "RefusalRow",
    "UnclosedRow",
    "VoidRateRow",
]


@dataclass(frozen=True, slots=True)
class RefusalRow:
    petugas: str
    office: str
    counter: str
    attempts: int
    free_service_attempts: int
    first_seq: int
    last_seq: int


@dataclass(frozen=True, slots=True)
class VoidRateRow:
    petugas: str
    receipts: int
    voids: int
    rate_bp: int  # basis points: 10_000 = every receipt voided


@dataclass(frozen=True, slots=True)
class OutsideHoursRow:
    office: str
    counter: str
    receipts: int
    first_seq: int
    last_seq: int


@dataclass(frozen=True, slots=True)
class UnclosedRow:
    office: str
    counter: str
    days: int
    first_date: str
    last_date: str
    collected: int


@dataclass(frozen=True, slots=True)
class PatternTables:
    refusals: tuple[RefusalRow, ...]
    void_rates: tuple[VoidRateRow, ...]
    outside_hours: tuple[OutsideHoursRow, ...]
    unclosed: tuple[UnclosedRow, ...]


class _Run:
    __slots__ = ("first", "last", "length", "total")

    def __init__(self) -> None:
        self.length = 0
        self.first = self.last = -1
        self.total = 0


class Patterns:
    """Accumulates the pattern tables while the log is replayed."""

    def __init__(
        self,
        registry: Registry,
        sink: FindingSink,
        thresholds: PatternThresholds,
        hours: OfficeHours,
        holidays: frozenset[int] = NO_HOLIDAYS,
    ) -> None:
        self._registry = registry
        self._sink = sink
        self._t = thresholds
        self._hours = hours
        self._holidays = holidays
        self._refusals: dict[tuple[str, int], list[int]] = {}
        self._issued: dict[int, list[int]] = {}  # user index -> [receipts, voids]
        self._outside: dict[int, list[int]] = {}  # loket -> [count, first, last]
        self._runs: dict[int, _Run] = {}
        self._round_unit = thresholds.round_unit
        #: :meth:`OfficeHours.day_window` of the day of the last receipt.
        self._window = (0, 0, 0, 0)

    def receipt(self, seq: int, loket: int, issuer: int, at: int, charged: int) -> None:
        """One receipt: :meth:`receipts` of a run of one (patterns do not read its number)."""
        self.receipts(((seq, loket, issuer, at, charged, 0),))

    def receipts(self, rows: Iterable[ReceiptRow]) -> None:
        """:meth:`receipt` of each row, in order."""
        issued, outside_of, runs = self._issued, self._outside, self._runs
        unit = self._round_unit
        window = self._window
        for seq, loket, issuer, at, charged, _ in rows:
            counts = issued.get(issuer)
            if counts is None:
                counts = issued[issuer] = [0, 0]
            counts[0] += 1
            if not window[0] <= at < window[1]:
                window = self._window = self._hours.day_window(at, self._holidays)
            if not window[2] <= at < window[3]:  # outside the office hours
                outside = outside_of.get(loket)
                if outside is None:
                    outside_of[loket] = [1, seq, seq]
                else:
                    outside[0] += 1
                    outside[2] = seq
            run = runs.get(loket)
            if run is None:
                run = runs[loket] = _Run()
            if charged > 0 and charged % unit == 0:
                if not run.length:
                    run.first, run.total = seq, 0
                run.length += 1
                run.last = seq
                run.total += charged
            elif run.length:
                self._close_run(loket, run)

    def void(self, issuer: int) -> None:
        counts = self._issued.get(issuer)
        if counts is not None:
            counts[1] += 1

    def refusal(self, seq: int, actor: str, loket: int, free_service: bool) -> None:
        row = self._refusals.get((actor, loket))
        if row is None:
            row = self._refusals[(actor, loket)] = [0, 0, seq, seq]
        row[0] += 1
        row[1] += free_service
        row[3] = seq

    def _close_run(self, loket: int, run: _Run) -> None:
        if run.length >= self._t.round_run:
            office, counter = self._registry.lokets[loket]
            self._sink.add(
                Finding(
                    "pattern.round_amounts",
                    f"{run.length} receipts in a row at {office}/{counter} charge round amounts "
                    f"(multiples of {self._t.round_unit} rupiah), {run.total} rupiah in all",
                    seq=run.first,
                    office=office,
                    counter=counter,
                    evidence={
                        "receipts": run.length,
                        "first_seq": run.first,
                        "last_seq": run.last,
                        "total": run.total,
                        "round_unit": self._t.round_unit,
                    },
                )
            )
        run.length = 0

    def finish(self, days: DayBook, as_of: int | None) -> PatternTables:
        for loket, run in self._runs.items():
            self._close_run(loket, run)
        lokets, users = self._registry.lokets, self._registry.user_names
        refusals = []
        for (actor, loket), (attempts, free, first, last) in sorted(
            self._refusals.items(), key=lambda item: (-item[1][0], item[0][0], item[0][1])
        ):
            office, counter = lokets[loket]
            refusals.append(RefusalRow(actor, office, counter, attempts, free, first, last))
            if attempts >= self._t.refusals:
                self._sink.add(
                    Finding(
                        "pattern.refusals",
                        f"petugas {actor} at {office}/{counter} tried {attempts} charges the "
                        f"schedule refused ({free} on free services)",
                        seq=first,
                        office=office,
                        counter=counter,
                        evidence={
                            "petugas": actor,
                            "attempts": attempts,
                            "free_service_attempts": free,
                            "first_seq": first,
                            "last_seq": last,
                        },
                    )
                )
        void_rates = []
        for issuer, (receipts, voids) in sorted(self._issued.items()):
            rate = voids * 10_000 // receipts if receipts else 0
            void_rates.append(VoidRateRow(users[issuer], receipts, voids, rate))
            if receipts >= self._t.void_min_receipts and rate > self._t.void_rate_bp:
                self._sink.add(
                    Finding(
                        "pattern.void_rate",
                        f"{voids} of the {receipts} receipts issued by petugas {users[issuer]} "
                        f"were voided ({rate / 100:.1f}%)",
                        evidence={
                            "petugas": users[issuer],
                            "receipts": receipts,
                            "voids": voids,
                            "rate_bp": rate,
                        },
                    )
                )
        outside = []
        for loket, (count, first, last) in sorted(self._outside.items()):
            office, counter = lokets[loket]
            outside.append(OutsideHoursRow(office, counter, count, first, last))
            if count >= self._t.outside_hours:
                self._sink.add(
                    Finding(
                        "pattern.outside_hours",
                        f"{count} receipt(s) at {office}/{counter} were issued outside office "
                        f"hours ({self._hours} WIB, Monday–Friday)",
                        seq=first,
                        office=office,
                        counter=counter,
                        evidence={"receipts": count, "first_seq": first, "last_seq": last},
                    )
                )
        unclosed: dict[int, list[int]] = {}
        for loket, day, tally in days.unclosed(as_of):
            row = unclosed.get(loket)
            if row is None:
                unclosed[loket] = [1, day, day, tally.gross, tally.last_seq]
            else:
                row[0] += 1
                row[1], row[2] = min(row[1], day), max(row[2], day)
                row[3] += tally.gross
                row[4] = max(row[4], tally.last_seq)
        unclosed_rows = []
        for loket, (count, first_day, last_day, collected, last_seq) in sorted(unclosed.items()):
            office, counter = lokets[loket]
            unclosed_rows.append(
                UnclosedRow(
                    office, counter, count, day_text(first_day), day_text(last_day), collected
                )
            )
            self._sink.add(
                Finding(
                    "pattern.unclosed_counter",
                    f"counter {office}/{counter} collected {collected} rupiah on {count} day(s) "
                    f"({day_text(first_day)}..{day_text(last_day)}) without a day closing",
                    seq=last_seq,
                    office=office,
                    counter=counter,
                    date=day_text(first_day),
                    evidence={
                        "days": count,
                        "first_date": day_text(first_day),
                        "last_date": day_text(last_day),
                        "collected": collected,
                    },
                )
            )
        return PatternTables(
            tuple(refusals), tuple(void_rates), tuple(outside), tuple(unclosed_rows)
        )
