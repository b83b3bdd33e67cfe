"""Witness-style incremental audits: start from a checkpoint the inspector saved.

The inspector keeps the signed checkpoint of their last audit (``--since-checkpoint
FILE``). The next audit verifies that the log's newest checkpoint is consistent with it —
an RFC 9162 §2.1.4 consistency proof from the source, *and* the tree recomputed from the
stored entries reaching the saved root at the saved size — then checks in full only what
is new. A log whose history was rewritten, even under the real log key, fails both.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.errors import SavedCheckpointError
from ledger.checkpoint import Checkpoint
from ledger.errors import CheckpointError, NoteError
from ledger.note import NoteVerifier, open_note
from receipts.keys import KeyPurpose
from receipts.trustlist import TrustList

__all__ = ["SavedCheckpoint", "open_saved_checkpoint"]


@dataclass(frozen=True, slots=True)
class SavedCheckpoint:
    """A checkpoint the inspector verified before: its size, root and signed note."""

    size: int
    root: bytes
    note: bytes


def open_saved_checkpoint(note: bytes, anchor: TrustList, *, origin: str) -> SavedCheckpoint:
    """Verify a saved checkpoint with the trust list's log keys (C2SP signed-note).

    Raises :class:`SavedCheckpointError` saying what was expected and what was found.
    """
    verifiers = [
        NoteVerifier(r.name, r.public_key) for r in anchor.records if r.purpose is KeyPurpose.LOG
    ]
    try:
        opened = open_note(note, verifiers)
        checkpoint = Checkpoint.parse(opened.text)
    except (NoteError, CheckpointError) as exc:
        raise SavedCheckpointError(
            f"expected a checkpoint signed by a log key of the trust list, found: {exc}"
        ) from exc
    if checkpoint.origin != origin:
        raise SavedCheckpointError(
            f"expected a checkpoint of log {origin!r}, found one of {checkpoint.origin!r}"
        )
    return SavedCheckpoint(checkpoint.size, checkpoint.root, note)
