"""Money per counter and day: collections, voids, closings and deposits, reconciled.

One :class:`Tally` per (loket, WIB day) — O(counters × days), never per entry. The
rules (``docs/audit-report.md`` §Reconciliation) follow the service's own definitions:

- a day's *collections* are the receipts issued at the counter that day; its *voids* are
  the receipts of that counter voided that day (their amounts); ``net = total - voids``;
- a ``day.closed`` entry must carry exactly those figures for the receipts up to its
  ``last_seq``;
- a ``deposit.recorded`` entry covers the listed counters over ``period_from..period_to``
  and must equal their net collections; it is *late* when made after the end of the
  ``deadline``-th working day after a day it covers;
- a day with net collections that no deposit covers is *undeposited* once its deadline
  has passed (judged at the time of the last entry audited; before that it is *pending*).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from audit.calendar import (
    DAY_MS,
    NO_HOLIDAYS,
    WIB_OFFSET_MS,
    day_number,
    day_of_text,
    day_text,
    deadline_ms,
)
from audit.findings import Finding, FindingSink, Where
from audit.registry import ReceiptRow, Registry

__all__ = ["DayBook", "DepositRow", "ReconciliationRow", "Tally"]

#: Contributions remembered per tally (at least; up to twice as many) to take back those
#: after a closing's ``last_seq``.
_RECENT: Final = 16
#: Two array items per contribution: ``seq * 2 + is_void`` and the amount.
_KEEP: Final = 2 * _RECENT


class Tally:
    """Figures of one counter on one WIB day."""

    __slots__ = (
        "closed",
        "closings",
        "deposit_seq",
        "deposited_net",
        "gross",
        "last_seq",
        "receipts",
        "recent",
        "refusals",
        "voided",
        "voids",
    )

    def __init__(self) -> None:
        self.receipts = 0
        self.gross = 0
        self.voids = 0
        self.voided = 0
        self.refusals = 0
        self.closings = 0
        self.closed: tuple[int, int, int, int] | None = None  # count, total, voids, void_total
        self.deposit_seq: int | None = None
        self.deposited_net = 0
        self.last_seq = -1
        #: The latest contributions, two signed 64-bit items each: ``seq * 2 + is_void``
        #: and the amount. A tally lives for the whole audit (one per counter and day), so
        #: these are packed: a deque of tuples cost ~2 KB per tally, ~30 MB at 1M entries.
        self.recent = array("q")

    @property
    def net(self) -> int:
        return self.gross - self.voided

    def figures_upto(self, last_seq: int) -> tuple[int, int, int, int]:
        """(count, total, voids, void_total) counting only entries up to ``last_seq``."""
        count, total, voids, voided = self.receipts, self.gross, self.voids, self.voided
        recent = self.recent
        for i in range(0, len(recent), 2):
            key, amount = recent[i], recent[i + 1]
            if key >> 1 > last_seq:
                if key & 1:
                    voids, voided = voids - 1, voided - amount
                else:
                    count, total = count - 1, total - amount
        return count, total, voids, voided

    def remember(self, seq: int, is_void: bool, amount: int) -> None:
        """Keep a contribution among the latest (at least :data:`_RECENT` of them)."""
        recent = self.recent
        recent.append(seq * 2 + is_void)
        recent.append(amount)
        if len(recent) > 2 * _KEEP:
            del recent[: len(recent) - _KEEP]


@dataclass(frozen=True, slots=True)
class ReconciliationRow:
    """One office on one day (all its counters together)."""

    office: str
    date: str
    receipts: int
    collected: int
    voids: int
    voided: int
    net: int
    refusals: int
    closed_counters: int
    counters: int
    closed_net: int
    deposited: int
    deposits: tuple[int, ...]  # seqs of the deposit.recorded entries covering the day
    deadline: int  # UTC ms
    status: str  # ok | pending | undeposited | late | mismatch | no_collections


@dataclass(frozen=True, slots=True)
class DepositRow:
    seq: int
    office: str
    sts_no: str
    amount: int
    expected: int
    period_from: str
    period_to: str
    counters: tuple[str, ...]
    deposited_at: int
    late_days: tuple[str, ...]
    status: str  # ok | mismatch | late | mismatch+late


class DayBook:
    """Per-counter, per-day tallies and the deposits recorded against them."""

    def __init__(
        self,
        registry: Registry,
        sink: FindingSink,
        deadline_days: int,
        holidays: frozenset[int] = NO_HOLIDAYS,
    ) -> None:
        self._registry = registry
        self._sink = sink
        self._deadline_days = deadline_days
        self._holidays = holidays
        self._tallies: dict[tuple[int, int], Tally] = {}
        self._today: dict[int, tuple[int, Tally]] = {}  # loket -> its latest (day, tally)
        self._late_deposits: dict[int, tuple[str, ...]] = {}
        self.deposits: list[DepositRow] = []

    def tally(self, loket: int, day: int) -> Tally:
        key = (loket, day)
        found = self._tallies.get(key)
        if found is None:
            found = self._tallies[key] = Tally()
        return found

    # -- contributions -------------------------------------------------------------------

    def receipt(self, seq: int, loket: int, at: int, charged: int) -> None:
        day = (at + WIB_OFFSET_MS) // DAY_MS  # day_number(at), inline: once per receipt
        today = self._today.get(loket)
        if today is not None and today[0] == day:
            tally = today[1]
        else:
            tally = self.tally(loket, day)
            self._today[loket] = (day, tally)
        tally.receipts += 1
        tally.gross += charged
        tally.last_seq = seq
        tally.remember(seq, False, charged)

    def receipts(self, rows: Iterable[ReceiptRow]) -> None:
        """:meth:`receipt` of each row, in order."""
        today_of = self._today
        for seq, loket, _, at, charged, _ in rows:
            day = (at + WIB_OFFSET_MS) // DAY_MS
            today = today_of.get(loket)
            if today is not None and today[0] == day:
                tally = today[1]
            else:
                tally = self.tally(loket, day)
                today_of[loket] = (day, tally)
            tally.receipts += 1
            tally.gross += charged
            tally.last_seq = seq
            recent = tally.recent  # Tally.remember, inline: once per receipt
            recent.append(seq * 2)
            recent.append(charged)
            if len(recent) > 2 * _KEEP:
                del recent[: len(recent) - _KEEP]

    def void(self, seq: int, loket: int, at: int, amount: int) -> None:
        tally = self.tally(loket, day_number(at))
        tally.voids += 1
        tally.voided += amount
        tally.remember(seq, True, amount)

    def refusal(self, loket: int, at: int) -> None:
        self.tally(loket, day_number(at)).refusals += 1

    # -- day.closed ----------------------------------------------------------------------

    def closing(self, seq: int, body: Mapping[str, Any]) -> None:
        office, counter = str(body["office"]), str(body["counter"])
        date, last_seq = str(body["date"]), int(body["last_seq"])
        day = day_of_text(date)
        loket = self._registry.loket(office, counter)
        tally = self.tally(loket, day)
        tally.closings += 1
        claimed = tuple(int(body[k]) for k in ("count", "total", "voids", "void_total"))
        tally.closed = (claimed[0], claimed[1], claimed[2], claimed[3])
        where: Where = {"office": office, "counter": counter, "date": date}
        if tally.closings > 1:
            self._sink.add(
                Finding(
                    "compliance.closing_repeated",
                    f"counter {counter} of {office} was closed again for {date} "
                    f"(closing number {tally.closings})",
                    seq=seq,
                    **where,
                )
            )
        expected = tally.figures_upto(last_seq)
        net = int(body["net"])
        problems = [
            f"{name} {found} (the receipts say {want})"
            for name, found, want in zip(
                ("count", "total", "voids", "void_total"), claimed, expected, strict=True
            )
            if found != want
        ]
        if net != claimed[1] - claimed[3]:
            problems.append(f"net {net} (total - void_total is {claimed[1] - claimed[3]})")
        if last_seq >= seq:
            problems.append(f"last_seq {last_seq} is not before the closing itself ({seq})")
        if problems:
            self._sink.add(
                Finding(
                    "compliance.closing_mismatch",
                    f"closing of {office}/{counter} for {date} records " + "; ".join(problems),
                    seq=seq,
                    evidence={
                        "claimed": dict(
                            zip(("count", "total", "voids", "void_total"), claimed, strict=True)
                        ),
                        "from_receipts": dict(
                            zip(("count", "total", "voids", "void_total"), expected, strict=True)
                        ),
                        "last_seq": last_seq,
                    },
                    **where,
                )
            )

    # -- deposit.recorded ----------------------------------------------------------------

    def deposit(self, seq: int, body: Mapping[str, Any]) -> None:
        office, listed = str(body["office"]), body["counters"]
        if not isinstance(listed, list):
            raise TypeError(f"'counters' must be a list of counter codes, found {listed!r}")
        counters = tuple(str(c) for c in listed)
        first, last = day_of_text(str(body["period_from"])), day_of_text(str(body["period_to"]))
        amount, deposited_at = int(body["amount"]), int(body["deposited_at"])
        expected = 0
        late: list[str] = []
        for counter in counters:
            loket = self._registry.loket(office, counter)
            for day in range(first, last + 1):
                tally = self._tallies.get((loket, day))
                if tally is None:
                    continue
                expected += tally.net
                tally.deposit_seq = seq
                tally.deposited_net = tally.net
                if tally.net and deposited_at > deadline_ms(
                    day, self._deadline_days, self._holidays
                ):
                    late.append(day_text(day))
        late_days = tuple(sorted(set(late)))
        status = "ok"
        sts_no = str(body["sts_no"])
        where: Where = {"office": office, "date": str(body["period_to"])}
        if amount != expected:
            status = "mismatch"
            self._sink.add(
                Finding(
                    "compliance.deposit_mismatch",
                    f"STS {sts_no} deposits {amount} rupiah for {office} "
                    f"{body['period_from']}..{body['period_to']} (counters "
                    f"{', '.join(counters)}); their net collections are {expected} rupiah",
                    seq=seq,
                    evidence={"amount": amount, "expected": expected, "sts_no": sts_no},
                    **where,
                )
            )
        if late_days:
            status = "late" if status == "ok" else "mismatch+late"
            self._sink.add(
                Finding(
                    "compliance.deposit_late",
                    f"STS {sts_no} of {office} was deposited after the deadline "
                    f"({self._deadline_days} working day(s)) for {', '.join(late_days)}",
                    seq=seq,
                    evidence={
                        "sts_no": sts_no,
                        "deposited_at": deposited_at,
                        "late_days": list(late_days),
                        "deadline_working_days": self._deadline_days,
                    },
                    **where,
                )
            )
        self.deposits.append(
            DepositRow(
                seq,
                office,
                sts_no,
                amount,
                expected,
                str(body["period_from"]),
                str(body["period_to"]),
                counters,
                deposited_at,
                late_days,
                status,
            )
        )

    # -- the end -------------------------------------------------------------------------

    def by_office_day(self) -> Iterator[tuple[str, int, list[tuple[str, Tally]]]]:
        """``(office, day, [(counter, tally), …])`` in office then day order."""
        grouped: dict[tuple[str, int], list[tuple[str, Tally]]] = {}
        for (loket, day), tally in self._tallies.items():
            office, counter = self._registry.lokets[loket]
            grouped.setdefault((office, day), []).append((counter, tally))
        for (office, day), items in sorted(grouped.items()):
            yield office, day, sorted(items, key=lambda item: item[0])

    def finish(self, as_of: int | None) -> list[ReconciliationRow]:
        """Reconciliation rows, and a finding for each undeposited office-day."""
        rows: list[ReconciliationRow] = []
        deposit_status = {d.seq: d.status for d in self.deposits}
        for office, day, items in self.by_office_day():
            due = deadline_ms(day, self._deadline_days, self._holidays)
            tallies = [t for _, t in items]
            net = sum(t.net for t in tallies)
            undeposited = [c for c, t in items if t.net and t.deposit_seq is None]
            deposits = tuple(sorted({t.deposit_seq for t in tallies if t.deposit_seq is not None}))
            if not any(t.receipts or t.voids for t in tallies):
                status = "no_collections"
            elif undeposited:
                status = "undeposited" if as_of is not None and as_of > due else "pending"
            elif any(t.deposited_net != t.net for t in tallies if t.deposit_seq is not None):
                status = "mismatch"
            elif any(deposit_status.get(s, "ok") != "ok" for s in deposits):
                status = (
                    "late" if all("late" in deposit_status[s] for s in deposits) else "mismatch"
                )
            else:
                status = "ok"
            if status == "undeposited":
                amount = sum(t.net for c, t in items if c in undeposited)
                last_seq = max(t.last_seq for t in tallies)
                self._sink.add(
                    Finding(
                        "compliance.undeposited_day",
                        f"{office} collected {amount} rupiah on {day_text(day)} at counter(s) "
                        f"{', '.join(undeposited)} and no deposit covers it; it was due by "
                        f"the end of {day_text(day_number(due))}",
                        seq=last_seq if last_seq >= 0 else None,
                        office=office,
                        date=day_text(day),
                        evidence={"amount": amount, "counters": undeposited, "due_ms": due},
                    )
                )
            rows.append(
                ReconciliationRow(
                    office=office,
                    date=day_text(day),
                    receipts=sum(t.receipts for t in tallies),
                    collected=sum(t.gross for t in tallies),
                    voids=sum(t.voids for t in tallies),
                    voided=sum(t.voided for t in tallies),
                    net=net,
                    refusals=sum(t.refusals for t in tallies),
                    closed_counters=sum(1 for t in tallies if t.closings),
                    counters=len(tallies),
                    closed_net=sum(t.closed[1] - t.closed[3] for t in tallies if t.closed),
                    deposited=sum(t.deposited_net for t in tallies if t.deposit_seq is not None),
                    deposits=deposits,
                    deadline=due,
                    status=status,
                )
            )
        return rows

    def unclosed(self, as_of: int | None) -> Iterator[tuple[int, int, Tally]]:
        """``(loket, day, tally)`` of past days with receipts and no closing."""
        today = day_number(as_of) if as_of is not None else None
        for (loket, day), tally in self._tallies.items():
            if tally.receipts and not tally.closings and (today is None or day < today):
                yield loket, day, tally
