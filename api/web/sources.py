"""What the pages read from the service layer, in one place.

Pages never query: they ask the service container (:class:`api.services.container.Services`)
through these functions. The public figures (:mod:`api.web.stats`) are folded from the log
incrementally — each call folds only the entries appended since the previous one.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar

from fastapi import FastAPI, Request

from api.services.config_state import Counter
from api.services.container import Services
from api.settings import Settings
from api.web import stats_snapshot
from api.web.errors import FiguresNotReadyError
from api.web.stats import LedgerStats, referenced_seq
from ledger.schedule import ScheduleVersion
from ledger.storage import LogStore

T = TypeVar("T")

__all__ = [
    "OfficeInfo",
    "StatsFollower",
    "ledger_stats",
    "office_directory",
    "schedule_in_force",
    "services_of",
    "stats_follower",
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


#: Entries folded per hold of the lock: a request that needs the figures never waits for
#: more than one chunk of another thread's catch-up (~0.15 s).
FOLD_CHUNK: Final = 5_000
#: A request folds what is missing itself up to this many entries (~0.3 s); a log further
#: ahead (the first request after a restart, on a log of a million entries: ~30 s) is left
#: to the catch-up thread …
INLINE_LIMIT: Final = 10_000
#: … and the request waits for it this long before the page says that its figures are
#: being prepared (503 with Retry-After), rather than holding a worker thread for minutes.
WAIT_S: Final = 2.0
#: The figures are saved (:mod:`api.web.stats_snapshot`) after a catch-up, at shutdown,
#: and whenever this many entries were folded since the last save.
SAVE_EVERY: Final = 100_000

#: The saved figures, in the data directory.
SNAPSHOT_FILE: Final = "web-figures.json"

_log = logging.getLogger("bukti.web")


class StatsFollower:
    """Folds new log entries into one :class:`LedgerStats` per app; thread-safe.

    Requests fold the few entries appended since the last one themselves. A long way
    behind — after a restart — a catch-up thread folds the log in chunks of
    :data:`FOLD_CHUNK`, and requests wait for it at most ``wait_s`` seconds
    (:class:`~api.web.errors.FiguresNotReadyError`). :func:`api.web.start` begins the
    catch-up when the app starts, so that the figures are ready when the first reader comes.
    """

    def __init__(
        self,
        deadline_days: int,
        holidays: frozenset[int],
        *,
        chunk: int = FOLD_CHUNK,
        inline_limit: int = INLINE_LIMIT,
        wait_s: float = WAIT_S,
        snapshot: Path | None = None,
    ) -> None:
        self.lock = threading.Lock()
        self.stats = LedgerStats(deadline_days=deadline_days, holidays=holidays)
        self._snapshot = snapshot
        self._saved_seq = 0  # next_seq of the figures last saved (or restored)
        self._chunk = chunk
        self._inline_limit = inline_limit
        self._wait_s = wait_s
        self._progress = threading.Condition()  # notified after each chunk the thread folds
        self._thread: threading.Thread | None = None
        self._stopped = False

    def fold(self, store: LogStore, limit: int) -> int:
        """Fold up to ``limit`` of the entries not yet folded; how many remain after them."""
        with self.lock:
            return self._fold_locked(store, limit)

    def _fold_locked(self, store: LogStore, limit: int) -> int:
        size = store.size()
        start = self.stats.next_seq
        end = min(size, start + limit)
        if end > start:
            for stored in store.entries(start, end):
                entry = stored.decode()
                ref = referenced_seq(entry)
                receipt = store.entry(ref).decode() if ref is not None else None
                self.stats.apply(entry, receipt)
            if self.stats.next_seq - self._saved_seq >= SAVE_EVERY:
                self._save_locked(store)
        return size - end

    # -- the snapshot ----------------------------------------------------------------------

    def restore(self, store: LogStore) -> bool:
        """Take the saved figures if nothing is folded yet and they were folded from a
        prefix of this log, with these settings; whether they were taken."""
        path = self._snapshot
        if path is None:
            return False
        with self.lock:
            if self.stats.next_seq:
                return False
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                return False
            except OSError as exc:
                _log.warning("cannot read the saved figures %s: %s", path, exc.strerror)
                return False
            try:
                stats, anchor = stats_snapshot.load(
                    data, deadline_days=self.stats.deadline_days, holidays=self.stats.holidays
                )
            except stats_snapshot.SnapshotError as exc:
                _log.warning("the saved figures %s are not used: %s", path, exc)
                return False
            seq = stats.next_seq
            if seq > store.size() or (seq and store.entry(seq - 1).leaf_hash != anchor):
                _log.warning(
                    "the saved figures %s were folded from another log, or from a history "
                    "since rewritten: folding the log again",
                    path,
                )
                return False
            self.stats = stats
            self._saved_seq = seq
            return True

    def save(self, store: LogStore) -> None:
        """Save the figures (atomically; a failure is logged, never raised)."""
        with self.lock:
            self._save_locked(store)

    def _save_locked(self, store: LogStore) -> None:
        path = self._snapshot
        seq = self.stats.next_seq
        if path is None or seq == self._saved_seq:
            return
        try:
            anchor = store.entry(seq - 1).leaf_hash if seq else b""
            data = stats_snapshot.dump(self.stats, anchor)
            partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
            partial.write_bytes(data)
            os.replace(partial, path)
        except Exception as exc:  # the figures stay right in memory; only a restart costs more
            _log.warning("cannot save the figures to %s: %s", path, exc)
            return
        self._saved_seq = seq

    def read(self, store: LogStore, reader: Callable[[LedgerStats], T]) -> T:
        """``reader`` applied to the figures of the whole log as of now.

        Raises :class:`~api.web.errors.FiguresNotReadyError` when they are further behind
        than a request folds itself and the catch-up does not bring them near within the
        wait.
        """
        deadline = time.monotonic() + self._wait_s
        while True:
            # A chunk being folded holds the lock: wait for it only as long as the wait lasts.
            if not self.lock.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
                raise FiguresNotReadyError(store.size() - self.stats.next_seq)
            try:
                behind = store.size() - self.stats.next_seq
                if behind <= self._inline_limit:
                    self._fold_locked(store, behind)
                    # Read under the lock: another thread may be folding into the figures.
                    return reader(self.stats)
            finally:
                self.lock.release()
            self.start_catch_up(store)
            left = deadline - time.monotonic()
            if left <= 0:
                raise FiguresNotReadyError(behind)
            with self._progress:
                self._progress.wait(min(left, 0.25))

    def start_catch_up(self, store: LogStore) -> None:
        """Fold the log up to its current size in a background thread (one at a time)."""
        with self._progress:
            if self._thread is not None or self._stopped:
                return
            self._thread = threading.Thread(
                target=self._catch_up, args=(store,), name="bukti-web-figures", daemon=True
            )
            self._thread.start()

    def _catch_up(self, store: LogStore) -> None:
        try:
            self.restore(store)
            while not self._stopped and self.fold(store, self._chunk) > 0:
                with self._progress:
                    self._progress.notify_all()
            self.save(store)
        except Exception:
            # The next reader starts another catch-up; until then pages say "not ready".
            _log.exception("folding the log's figures for the pages failed")
        finally:
            with self._progress:
                self._thread = None
                self._progress.notify_all()

    def stop(self, store: LogStore | None = None) -> None:
        """Stop the catch-up thread (between chunks) and wait for it; no new one starts.
        With the ``store``, save the figures for the next start."""
        with self._progress:
            self._stopped = True
            thread = self._thread
        if thread is not None:
            thread.join()
        if store is not None:
            self.save(store)


_MAKING = threading.Lock()


def stats_follower(app: FastAPI) -> StatsFollower:
    """The app's :class:`StatsFollower`, made on first use."""
    follower: StatsFollower | None = getattr(app.state, "web_stats", None)
    if follower is None:
        with _MAKING:
            follower = getattr(app.state, "web_stats", None)
            if follower is None:
                settings: Settings = app.state.services.settings
                follower = StatsFollower(
                    settings.deposit_deadline_working_days,
                    settings.holidays,
                    snapshot=settings.data_dir / SNAPSHOT_FILE,
                )
                app.state.web_stats = follower
    return follower


def ledger_stats(request: Request, reader: Callable[[LedgerStats], T]) -> T:
    """``reader`` applied to the figures of the whole log as of now.

    The figures are folded incrementally and held by the app; ``reader`` runs while no other
    request changes them and must copy out what it needs. Raises
    :class:`~api.web.errors.FiguresNotReadyError` while a restarted app is still catching
    up with a long log.
    """
    return stats_follower(request.app).read(services_of(request).store, reader)
