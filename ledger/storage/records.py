"""What goes into the one append path and what comes out of it.

- :class:`AppendRequest` — what a caller wants written: kind, time, body (or a factory that
  builds the body inside the append transaction), an optional idempotency key and named
  attachments to store in the same transaction.
- :class:`AppendContext` — handed to body factories: the entry's ``seq`` and ``prev``, and
  gapless per-series numbers drawn in the same transaction.
- :class:`AppendedEntry` — the durable result; :class:`StoredEntry` — a row read back.
- :class:`BatchObserver` — told of each append batch as it is written, inside its
  transaction (e.g. to keep derived state exactly as of the log head).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ledger.encoding import Entry, decode_entry

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = [
    "AppendContext",
    "AppendRequest",
    "AppendedEntry",
    "AttachmentReader",
    "BatchObserver",
    "BodyFactory",
    "EntryReader",
    "NumberSource",
    "StoredEntry",
    "replayed_entry",
]

MAX_IDEMPOTENCY_KEY = 255
MAX_SERIES_NAME = 128
MAX_ATTACHMENT_NAME = 64


@dataclass(frozen=True, slots=True)
class AppendedEntry:
    """An entry that is durable: committed together with a signed checkpoint covering it."""

    seq: int
    kind: str
    at: int
    data: bytes
    leaf_hash: bytes
    body: Mapping[str, Any]
    #: True when this is the original entry returned again for a retried idempotency key.
    replayed: bool = False
    attachments: Mapping[str, bytes] = field(default_factory=dict)


class NumberSource(Protocol):
    """Hands out the next number of a named series inside the append transaction."""

    def next_number(self, series: str) -> int: ...


class AttachmentReader(Protocol):
    def __call__(self, seq: int, name: str) -> bytes | None: ...


class EntryReader(Protocol):
    def __call__(self, start: int, end: int) -> list[StoredEntry]: ...


class BatchObserver(Protocol):
    """Follows the append batches of a :class:`~ledger.storage.LogStore`, in its
    committing thread, one batch at a time.

    ``batch_started`` runs inside the batch's write transaction with the log locked,
    before any body factory, with the committed log ``size``: what it reads on ``conn``
    cannot change until the batch ends, and what it decides (e.g. the signer, through
    :meth:`~ledger.storage.LogStore.set_signer`) holds for the whole batch.
    ``entry_appended`` runs after each request of the batch that produced an entry, in
    order; ``batch_ended`` after the transaction committed (``committed=True``) or was
    abandoned — then the entries it was told of do not exist. An exception from
    ``batch_started`` or ``entry_appended`` fails the whole batch; ``batch_ended`` must not
    raise (the store logs such a failure and keeps the batch's outcomes).
    """

    def batch_started(self, conn: Connection, size: int) -> None: ...

    def entry_appended(self, entry: AppendedEntry) -> None: ...

    def batch_ended(self, committed: bool) -> None: ...


class AppendContext:
    """What a body factory may know and draw while its entry is being built.

    ``seq`` and ``prev`` are those the entry will get. :meth:`next_number` draws from a
    gapless series (first number 1): a number drawn for a request that then fails — its
    factory raises, its entry is too large — is given to the next request instead, so
    committed numbers never skip. :meth:`entries_since` shows what came into the log
    after a point the caller decided on (the log is locked: nothing else can come in
    before this entry).
    """

    __slots__ = ("_numbers", "_read_attachment", "_read_entries", "prev", "seq")

    def __init__(
        self,
        seq: int,
        prev: bytes,
        numbers: NumberSource,
        read_attachment: AttachmentReader,
        read_entries: EntryReader,
    ) -> None:
        self.seq = seq
        self.prev = prev
        self._numbers = numbers
        self._read_attachment = read_attachment
        self._read_entries = read_entries

    def next_number(self, series: str) -> int:
        """The next number of ``series`` (e.g. ``"receipt:32.16.01/L1"``), starting at 1."""
        if not isinstance(series, str) or not 0 < len(series) <= MAX_SERIES_NAME:
            raise ValueError(f"series name must be 1..{MAX_SERIES_NAME} characters: {series!r}")
        return self._numbers.next_number(series)

    def read_attachment(self, seq: int, name: str) -> bytes | None:
        """An attachment already committed beside entry ``seq`` (``None`` if absent)."""
        return self._read_attachment(seq, name)

    def entries_since(self, start: int) -> list[StoredEntry]:
        """The entries ``start <= seq <`` :attr:`seq`, in order: those committed before
        this batch and those appended earlier in it."""
        if not 0 <= start <= self.seq:
            raise ValueError(f"expected 0 <= start <= {self.seq}, found {start}")
        return self._read_entries(start, self.seq)


#: Builds an entry body inside the append transaction.
BodyFactory = Callable[[AppendContext], Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class AppendRequest:
    """One entry to append.

    ``at`` is UTC milliseconds from the caller's clock (the store never reads a clock).
    ``body`` is the entry body or a :data:`BodyFactory`; a factory's exception fails this
    request only and is raised to its caller unchanged. With ``idempotency_key``, a
    ``request_digest`` (e.g. SHA-256 of the request) is required: a retry with the same
    digest returns the original entry (``replayed=True``); a different digest raises
    :class:`~ledger.errors.IdempotencyConflictError`. ``attach`` receives the new entry
    and returns named blobs stored in the same transaction (e.g. the signed receipt).
    """

    kind: str
    at: int
    body: Mapping[str, Any] | BodyFactory
    idempotency_key: str | None = None
    request_digest: bytes | None = None
    attach: Callable[[AppendedEntry], Mapping[str, bytes]] | None = None

    def __post_init__(self) -> None:
        if self.idempotency_key is not None:
            key = self.idempotency_key
            if not isinstance(key, str) or not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
                raise ValueError(
                    f"idempotency key must be 1..{MAX_IDEMPOTENCY_KEY} characters, "
                    f"found {len(key) if isinstance(key, str) else type(key).__name__}"
                )
            if not isinstance(self.request_digest, bytes) or not self.request_digest:
                raise ValueError("an idempotency key needs a request_digest (non-empty bytes)")
        elif self.request_digest is not None:
            raise ValueError("request_digest given without an idempotency key")


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An entry as stored: its canonical bytes and leaf hash."""

    seq: int
    data: bytes
    leaf_hash: bytes

    def decode(self) -> Entry:
        """The entry's fields, parsed from the stored canonical bytes."""
        return decode_entry(self.data)


def replayed_entry(stored: StoredEntry, attachments: Mapping[str, bytes]) -> AppendedEntry:
    """The :class:`AppendedEntry` of a stored entry, returned again for a retried request."""
    entry = decode_entry(stored.data)
    return AppendedEntry(
        seq=stored.seq,
        kind=entry.kind,
        at=entry.at,
        data=stored.data,
        leaf_hash=stored.leaf_hash,
        body=entry.body,
        replayed=True,
        attachments=dict(attachments),
    )
