"""What the pages read from the service layer, in one place.

Pages never query: they ask the service container (:class:`api.services.container.Services`)
through these functions. The public figures (:mod:`api.web.stats`) are folded from the log
incrementally — each call folds only the entries appended since the previous one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request

from api.services.config_state import Counter
from api.services.container import Services
from api.web.stats import LedgerStats, referenced_seq
from ledger.schedule import ScheduleVersion

T = TypeVar("T")

__all__ = [
    "OfficeInfo",
    "ledger_stats",
    "office_directory",
    "schedule_in_force",
    "services_of",
]


def services_of(request: Request) -> Services:
    """The app's service container (set by :func:`api.app.create_app`)."""
    services: Services = request.app.state.services
    return services


def schedule_in_force(services: Services) -> ScheduleVersion:
    """The schedule version in force now; raises ``NoScheduleInForce`` when there is none."""
    return services.follower.current().history.in_force(services.clock())


@dataclass(frozen=True, slots=True)
class OfficeInfo:
    code: str
    name: str
    area: str
    counters: tuple[Counter, ...]


def office_directory(services: Services) -> dict[str, OfficeInfo]:
    """Offices registered in the log, with their counters, by office code."""
    return {
        view.office.code: OfficeInfo(
            code=view.office.code,
            name=view.office.name,
            area=view.office.area,
            counters=view.counters,
        )
        for view in services.directory.offices()
    }


class _StatsFollower:
    """Folds new log entries into one :class:`LedgerStats` per app; thread-safe."""

    def __init__(self, deadline_days: int, holidays: frozenset[int]) -> None:
        self.lock = threading.Lock()
        self.stats = LedgerStats(deadline_days=deadline_days, holidays=holidays)

    def read(self, services: Services, reader: Callable[[LedgerStats], T]) -> T:
        store = services.store
        with self.lock:
            size = store.size()
            if size > self.stats.next_seq:
                for stored in store.entries(self.stats.next_seq, size):
                    entry = stored.decode()
                    ref = referenced_seq(entry)
                    receipt = store.entry(ref).decode() if ref is not None else None
                    self.stats.apply(entry, receipt)
            # Read under the lock: another request may be folding into the same figures.
            return reader(self.stats)


def ledger_stats(request: Request, reader: Callable[[LedgerStats], T]) -> T:
    """``reader`` applied to the figures of the whole log as of now.

    The figures are folded incrementally and held by the app; ``reader`` runs while no other
    request changes them and must copy out what it needs.
    """
    services = services_of(request)
    follower: _StatsFollower | None = getattr(request.app.state, "web_stats", None)
    if follower is None:
        settings = services.settings
        follower = _StatsFollower(settings.deposit_deadline_working_days, settings.holidays)
        request.app.state.web_stats = follower
    return follower.read(services, reader)
