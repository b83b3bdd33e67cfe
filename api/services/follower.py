"""Keeps this process's view of the configuration up to date with the log.

Other processes (a second server, ``bukti schedule publish``, ``bukti keys rotate``) append
to the same log, so before each use :meth:`ConfigFollower.current` asks the database for
configuration entries past the ones already folded — one range query, which also brings
their bytes — and folds them into the :class:`~api.services.config_state.ConfigState`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import Engine, exc

from api.services.config_state import CONFIG_KINDS, ConfigState
from api.store.log_index import entries_of_kinds
from ledger.encoding import decode_entry
from ledger.schedule.history import ScheduleHistory
from ledger.storage import LogStore
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
    """Folds configuration entries as they appear; thread-safe."""

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
        entries = [decode_entry(data) for data in found]
        with self._lock:
            snapshot = self._snapshot
            if size <= self._scanned:
                # Another thread already folded at least this far.
                if self._on_keyring is not None:
                    self._on_keyring(snapshot.state.keyring)
                return snapshot
            fresh = [entry for entry in entries if entry.seq >= self._scanned]
            if fresh:
                state = snapshot.state
                for entry in fresh:
                    state = state.apply(entry)
                changed_schedule = len(state.schedule_entries) != len(
                    snapshot.state.schedule_entries
                )
                history = state.schedule_history() if changed_schedule else snapshot.history
                snapshot = ConfigSnapshot(state, history, size)
            else:
                snapshot = ConfigSnapshot(snapshot.state, snapshot.history, size)
            self._snapshot = snapshot
            self._scanned = size
            if self._on_keyring is not None:
                self._on_keyring(snapshot.state.keyring)
            return snapshot
