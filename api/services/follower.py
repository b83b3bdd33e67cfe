"""Keeps this process's view of the configuration up to date with the log.

Other processes (a second server, ``bukti schedule publish``, ``bukti keys rotate``) append
to the same log, so :meth:`ConfigFollower.current` asks the database for configuration
entries past the ones already folded — one range query, which also brings their bytes —
and folds them into the :class:`~api.services.config_state.ConfigState`.

The follower is also the log store's :class:`~ledger.storage.BatchObserver`. At the start
of every append batch, inside its transaction and with the log locked, it folds whatever
configuration other processes committed; then it folds each configuration entry the batch
itself appends. :meth:`ConfigFollower.in_batch` is therefore the configuration exactly as
of the entry being built: a body factory that checks against it (a closed counter-day,
the schedule in force, the current receipts key) decides under the same lock that orders
the log, so no closing, publication or key change can slip in between the check and the
entry. The batch's log key is settled there too, before its checkpoint is signed.
:meth:`ConfigFollower.cached` is the last configuration folded, without a database read:
good for a first, optimistic decision that the batch then confirms.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import Connection, Engine, exc

from api.services.config_state import CONFIG_KINDS, ConfigState
from api.store.log_index import entries_of_kinds, entries_of_kinds_below
from ledger.encoding import Entry, decode_entry
from ledger.schedule.history import ScheduleHistory
from ledger.storage import AppendedEntry, LogStore
from ledger.storage.engine import storage_error
from receipts.keys import Keyring

__all__ = ["ConfigFollower", "ConfigSnapshot"]


class ConfigSnapshot:
    """A consistent configuration plus its schedule history (built once per change)."""

    __slots__ = ("history", "log_size", "state")

    def __init__(self, state: ConfigState, history: ScheduleHistory, log_size: int) -> None:
        self.state = state
        self.history = history
        self.log_size = log_size


class ConfigFollower:
    """Folds configuration entries as they appear; thread-safe.

    The batch hooks (``batch_started``, ``entry_appended``, ``batch_ended``) and
    :meth:`in_batch` run only in the thread committing a batch, one batch at a time.
    """

    def __init__(
        self,
        engine: Engine,
        store: LogStore,
        *,
        on_keyring: Callable[[Keyring], None] | None = None,
    ) -> None:
        self._engine = engine
        self._store = store
        #: Called with the keyring after every refresh (the log key follower).
        self._on_keyring = on_keyring
        self._lock = threading.Lock()
        self._snapshot = ConfigSnapshot(ConfigState(), ScheduleHistory(), 0)
        self._scanned = 0  # entries below this seq were looked at
        #: The configuration as of the entry being appended, while a batch is written.
        self._batch: ConfigSnapshot | None = None

    def cached(self) -> ConfigSnapshot:
        """The configuration folded so far, without reading the database."""
        with self._lock:
            return self._snapshot

    def current(self) -> ConfigSnapshot:
        """The configuration as of the log's current size.

        The database is read outside the lock, so concurrent requests do not queue
        behind one another's query; only folding new entries is serialised. Entries
        another thread folded meanwhile are skipped by their ``seq``.
        """
        start = self._scanned
        try:
            with self._engine.connect() as conn:
                found, size = entries_of_kinds(conn, start, CONFIG_KINDS)
        except exc.SQLAlchemyError as error:
            raise storage_error(error, "reading configuration entries") from error
        return self._publish([decode_entry(data) for data in found], size)

    def _publish(self, entries: list[Entry], size: int) -> ConfigSnapshot:
        """Fold ``entries`` (the configuration entries below ``size`` that were read) into
        the shared snapshot, unless another thread already folded that far; then settle the
        log key (under the lock, so an older keyring never follows a newer one)."""
        with self._lock:
            snapshot = self._snapshot
            if size > self._scanned:
                fresh = [entry for entry in entries if entry.seq >= self._scanned]
                snapshot = _folded(snapshot, fresh, size)
                self._snapshot = snapshot
                self._scanned = size
            if self._on_keyring is not None:
                self._on_keyring(snapshot.state.keyring)
            return snapshot

    # -- following the append batches (ledger.storage.BatchObserver) ------------------

    def batch_started(self, conn: Connection, size: int) -> None:
        """Fold what other processes committed below ``size``, then settle the log key."""
        start = self._scanned
        found = entries_of_kinds_below(conn, start, size, CONFIG_KINDS) if start < size else []
        self._batch = self._publish([decode_entry(data) for data in found], size)

    def entry_appended(self, entry: AppendedEntry) -> None:
        batch = self.in_batch()
        if entry.kind in CONFIG_KINDS:
            self._batch = _folded(batch, [decode_entry(entry.data)], entry.seq + 1)
        else:
            self._batch = ConfigSnapshot(batch.state, batch.history, entry.seq + 1)

    def batch_ended(self, committed: bool) -> None:
        batch, self._batch = self._batch, None
        if committed and batch is not None:
            with self._lock:
                if batch.log_size > self._scanned:
                    self._snapshot = batch
                    self._scanned = batch.log_size

    def in_batch(self) -> ConfigSnapshot:
        """The configuration as of the entry now being appended (in a body factory)."""
        batch = self._batch
        if batch is None:
            raise RuntimeError("in_batch() is only known while an append batch is written")
        return batch


def _folded(snapshot: ConfigSnapshot, entries: list[Entry], size: int) -> ConfigSnapshot:
    """``snapshot`` with ``entries`` (in log order) folded in, as of log ``size``."""
    if not entries:
        return ConfigSnapshot(snapshot.state, snapshot.history, size)
    state = snapshot.state
    for entry in entries:
        state = state.apply(entry)
    changed_schedule = len(state.schedule_entries) != len(snapshot.state.schedule_entries)
    history = state.schedule_history() if changed_schedule else snapshot.history
    return ConfigSnapshot(state, history, size)
