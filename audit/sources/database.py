"""An :class:`~audit.source.AuditSource` over a live database, read through the ledger store.

Pinning: the newest stored checkpoint is read *first*; the audit (or export) then covers
exactly the entries below its size, so a log that keeps growing while it is read still
yields one consistent snapshot (every append batch commits its entries together with the
checkpoint that covers them). Entries are read in fixed seq ranges, so a row removed from
the middle is seen as a gap instead of ending the stream. After the pass,
:meth:`unsigned_tail` looks for rows stored beyond the newest checkpoint that no
checkpoint covers — entries slipped in behind the log's back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Final

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from audit.errors import DatabaseSourceError
from audit.findings import Finding
from ledger.errors import StorageError
from ledger.note import NoteSigner
from ledger.storage import CheckpointNotFoundError, LogStore, create_engine_for, queries

__all__ = ["DatabaseSource"]

#: Rows per read (LogStore reads at most this many per query).
_PAGE: Final = 1000
#: LogStore needs a signer; an audit never appends, so this key never signs anything.
_READ_ONLY_SIGNER: Final = NoteSigner("bukti-audit-read-only", hashlib.sha256(b"unused").digest())

#: Looks up a schedule document committed only by SHA-256 (hex) in the service's store.
DocumentLookup = Callable[[str], bytes | None]


class DatabaseSource:
    """The log in a SQLite or PostgreSQL database, pinned to its newest checkpoint."""

    def __init__(
        self,
        engine: Engine,
        *,
        origin: str,
        trust_list: bytes | None = None,
        documents: DocumentLookup | None = None,
        description: str | None = None,
    ) -> None:
        self._engine = engine
        self._store = LogStore(engine, signer=_READ_ONLY_SIGNER, origin=origin)
        self._origin = origin
        self._trust_list = trust_list
        self._documents = documents
        url = engine.url.render_as_string(hide_password=True)
        self._description = description or f"database {url}"
        try:
            latest = self._store.latest_checkpoint()
        except CheckpointNotFoundError as exc:
            raise DatabaseSourceError(
                f"expected a log with a signed checkpoint, found none in {url}: run `bukti init`"
            ) from exc
        except StorageError as exc:
            raise DatabaseSourceError(f"cannot read the log in {url}: {exc}") from exc
        self._size = latest.checkpoint.size
        self._note = latest.note

    @classmethod
    def open(
        cls,
        url: str,
        *,
        origin: str,
        trust_list: bytes | None = None,
        documents: DocumentLookup | None = None,
    ) -> DatabaseSource:
        """A source on the database at ``url`` (its engine is disposed by :meth:`close`)."""
        try:
            engine = create_engine_for(url)
        except StorageError as exc:
            raise DatabaseSourceError(str(exc)) from exc
        try:
            return cls(
                engine,
                origin=origin,
                trust_list=trust_list,
                documents=documents,
                description=f"database {make_url(url).render_as_string(hide_password=True)}",
            )
        except BaseException:
            engine.dispose()
            raise

    def close(self) -> None:
        self._store.close()
        self._engine.dispose()

    def __enter__(self) -> DatabaseSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- AuditSource -------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        return self._origin

    @property
    def description(self) -> str:
        return self._description

    @property
    def pinned_size(self) -> int:
        return self._size

    @property
    def pinned_note(self) -> bytes | None:
        return self._note

    def trust_list(self) -> bytes | None:
        return self._trust_list

    def checkpoints(self) -> Iterator[bytes]:
        for signed in self._store.checkpoints():
            if signed.checkpoint.size > self._size:
                return
            yield signed.note

    def entries(self, start: int = 0) -> Iterator[tuple[int, bytes]]:
        for first in range(start, self._size, _PAGE):
            for stored in self._store.entries(first, min(self._size, first + _PAGE)):
                yield stored.seq, stored.data

    def attachments(self, name: str, seqs: Sequence[int]) -> Mapping[int, bytes]:
        if not seqs:
            return {}
        with self._engine.connect() as conn:
            found = queries.read_attachments(conn, seqs)
        return {seq: blobs[name] for seq, blobs in found.items() if name in blobs}

    def schedule_document(self, sha256_hex: str) -> bytes | None:
        return self._documents(sha256_hex) if self._documents is not None else None

    def consistency_proof(self, old_size: int, new_size: int) -> Sequence[bytes]:
        return self._store.consistency_proof(old_size, new_size)

    def unsigned_tail(self) -> int:
        """Rows stored beyond the newest checkpoint *now* (at most one page is counted)."""
        newest = self._store.latest_checkpoint().checkpoint.size
        beyond = max(newest, self._size)
        return sum(1 for _ in self._store.entries(beyond, beyond + _PAGE))

    def source_findings(self) -> Iterator[Finding]:
        return iter(())
