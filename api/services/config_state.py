"""What the log says about the deployment's configuration, folded entry by entry.

Pure: :meth:`ConfigState.apply` takes one decoded entry and returns the new state. The
state holds the keyring (``key.added``/``key.retired``), the schedule publications
(``schedule.published``), offices and counters (``office.added``/``counter.added``), the
users registered in the log (``user.added``/``user.revoked``) and, per counter, the latest
WIB date whose books are closed (``day.closed``: no receipt may be issued at that counter
on that date any more). Every other kind of entry leaves it unchanged, so the state can be
rebuilt from these entries alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from ledger.encoding import Entry
from ledger.schedule.history import ScheduleHistory
from receipts.keys import Keyring

__all__ = ["CONFIG_KINDS", "ConfigState", "Counter", "Office"]

#: Entry kinds that change the configuration; all others are ignored by the fold.
CONFIG_KINDS: Final = frozenset(
    {
        "key.added",
        "key.retired",
        "schedule.published",
        "office.added",
        "counter.added",
        "user.added",
        "user.revoked",
        "day.closed",
    }
)


@dataclass(frozen=True, slots=True)
class Office:
    code: str
    name: str
    area: str
    seq: int


@dataclass(frozen=True, slots=True)
class Counter:
    office: str
    code: str
    name: str
    seq: int


@dataclass(frozen=True, slots=True)
class ConfigState:
    """The configuration as of the configuration entries before ``next_seq``."""

    next_seq: int = 0
    keyring: Keyring = field(default_factory=Keyring)
    schedule_entries: tuple[tuple[int, int, Mapping[str, Any]], ...] = ()  # (seq, at, body)
    offices: Mapping[str, Office] = field(default_factory=dict)
    counters: Mapping[tuple[str, str], Counter] = field(default_factory=dict)
    users: Mapping[str, int] = field(default_factory=dict)  # user id → user.added seq
    #: (office, counter) → the latest WIB date closed there (docs/entries.md, day.closed).
    closed_through: Mapping[tuple[str, str], str] = field(default_factory=dict)
    last_at: int = 0  # time of the latest entry folded

    def apply(self, entry: Entry) -> ConfigState:
        """The state after ``entry`` (entries come in log order; others may be skipped)."""
        if entry.seq < self.next_seq:
            raise ValueError(f"expected entry {self.next_seq} or later, found entry {entry.seq}")
        state = replace(self, next_seq=entry.seq + 1, last_at=max(self.last_at, entry.at))
        body = entry.body
        if entry.kind in ("key.added", "key.retired"):
            return replace(state, keyring=state.keyring.apply_entry(entry.kind, body))
        if entry.kind == "schedule.published":
            return replace(
                state, schedule_entries=(*state.schedule_entries, (entry.seq, entry.at, body))
            )
        if entry.kind == "office.added":
            office = Office(
                str(body["office"]), str(body["name"]), str(body["address_area"]), entry.seq
            )
            return replace(state, offices={**state.offices, office.code: office})
        if entry.kind == "counter.added":
            counter = Counter(
                str(body["office"]), str(body["counter"]), str(body["name"]), entry.seq
            )
            key = (counter.office, counter.code)
            return replace(state, counters={**state.counters, key: counter})
        if entry.kind == "user.added":
            return replace(state, users={**state.users, str(body["user"]): entry.seq})
        if entry.kind == "day.closed":
            key, day = (str(body["office"]), str(body["counter"])), str(body["date"])
            if day <= state.closed_through.get(key, ""):
                return state  # a late closing of an earlier day
            return replace(state, closed_through={**state.closed_through, key: day})
        return state

    def day_closed(self, office: str, counter: str, date: str) -> bool:
        """Whether the books of ``counter`` of ``office`` are closed for the WIB ``date``:
        that day, or a later one, was closed (ISO dates compare as text)."""
        closed = self.closed_through.get((office, counter))
        return closed is not None and date <= closed

    def schedule_history(self) -> ScheduleHistory:
        """The published versions in log order (rebuilt; callers cache it)."""
        return ScheduleHistory.from_entries((at, body) for _, at, body in self.schedule_entries)
