"""Helpers shared by the storage suites."""

from __future__ import annotations

from ledger.note import NoteVerifier
from ledger.storage import LogStore
from ledger.verify import LogReport, LogVerifier


def verify_store(store: LogStore, verifier: NoteVerifier) -> LogReport:
    """Verify every stored entry against every stored checkpoint; raises ChainError."""
    checker = LogVerifier(store.origin, [verifier])
    checker.expect_checkpoints(c.note for c in store.checkpoints())
    for entry in store.entries(0, 2**62):
        checker.add_entry(entry.seq, entry.data)
    return checker.finish()
