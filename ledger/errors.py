"""The one error hierarchy of :mod:`ledger`.

::

    LedgerError
     ├── EncodingError            entry bytes are not a canonical, well-formed entry
     │    └── EntryTooLargeError  an entry over the 65,535-byte tile limit
     ├── ProofError               a Merkle proof does not verify
     │    ├── InclusionProofError
     │    └── ConsistencyProofError
     ├── NoteError                a signed note is malformed or does not verify
     │    ├── NoteFormatError
     │    ├── NoteSignatureError
     │    └── UnknownKeyError
     ├── CheckpointError          a checkpoint body is malformed
     ├── TileError                a tile path or tile content is invalid
     ├── ChainError               the log's hash chain or tree is broken (names ``seq``)
     └── StorageError             the database refused or failed
          ├── AppendError
          ├── IdempotencyConflictError
          └── StorageUnavailableError

Messages say what was expected and what was found.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error raised by :mod:`ledger`."""


class EncodingError(LedgerError):
    """Bytes are not a canonical, well-formed ledger entry (or canonical JSON value)."""


class EntryTooLargeError(EncodingError):
    """An encoded entry exceeds the 65,535-byte limit of C2SP entry bundles."""


class ProofError(LedgerError):
    """A Merkle proof failed to verify."""


class InclusionProofError(ProofError):
    """An inclusion proof failed to verify (RFC 9162 §2.1.3.2)."""


class ConsistencyProofError(ProofError):
    """A consistency proof failed to verify (RFC 9162 §2.1.4.2)."""


class NoteError(LedgerError):
    """A signed note (C2SP signed-note) is malformed or does not verify."""


class NoteFormatError(NoteError):
    """A signed note or verifier key is not well formed."""


class NoteSignatureError(NoteError):
    """A signature line is present for a known key but does not verify."""


class UnknownKeyError(NoteError):
    """No signature on the note is by a key the verifier knows."""


class CheckpointError(LedgerError):
    """A checkpoint body (C2SP tlog-checkpoint) is malformed or unexpected."""


class TileError(LedgerError):
    """A tile path or tile contents are invalid (C2SP tlog-tiles)."""


class ChainError(LedgerError):
    """The log is broken at a given sequence number.

    ``seq`` is the first entry found bad; ``kind`` classifies the break, one of
    :class:`ledger.verify.BreakKind`: ``non_canonical``, ``changed``, ``missing``,
    ``inserted``, ``reordered``, ``misnumbered``, ``truncated``, ``root_mismatch``,
    ``bad_signature``, ``unknown_key``, ``bad_checkpoint``; ``detail`` says what was
    expected and what was found.
    """

    def __init__(self, seq: int, kind: str, message: str) -> None:
        super().__init__(f"seq {seq}: {kind}: {message}")
        self.seq = seq
        self.kind = kind
        self.detail = message


class StorageError(LedgerError):
    """The storage backend refused or failed an operation."""


class AppendError(StorageError):
    """An append could not be committed; nothing of it was written."""


class IdempotencyConflictError(StorageError):
    """An idempotency key was reused with a different request."""


class StorageUnavailableError(StorageError):
    """The database is unreachable or out of space; retry later."""
