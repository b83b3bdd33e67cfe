"""An :class:`~audit.source.AuditSource` over a live database, read through the storage layer.

Every read goes through :mod:`ledger.storage.queries` (the ledger's own statements) on a
read-only connection; the audit never writes, and never trusts a column it can check:

- **Pinning.** The newest stored checkpoint is read *first*, and its size is taken from the
  signed note, not from the ``size`` column; the audit (or export) then covers exactly the
  entries below it. Every append batch commits its entries together with the checkpoint
  that covers them, so a log that keeps growing while it is read still yields one
  consistent snapshot.
- **Entries** are read in fixed seq ranges, so a row removed from the middle shows as a gap
  instead of ending the stream; only the stored bytes are used (the ``leaf_hash`` and
  ``prev`` columns are ignored — the audit recomputes them).
- **After the pass**, :meth:`DatabaseSource.unsigned_tail` looks for rows stored beyond the
  newest checkpoint that no checkpoint covers: entries slipped in behind the log's back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import Final, TypeVar

from sqlalchemy import Connection, Engine, exc
from sqlalchemy.engine import make_url

from audit.errors import DatabaseSourceError
from audit.findings import Finding
from audit.integrity import peek_checkpoint
from ledger.errors import LedgerError
from ledger.merkle import consistency_proof
from ledger.storage import StorageError, create_engine_for, queries

__all__ = ["DatabaseSource"]

T = TypeVar("T")

#: Rows per read.
_PAGE: Final = 1000

#: Looks up a schedule document committed only by SHA-256 (hex) in the service's store.
DocumentLookup = Callable[[str], bytes | None]


class DatabaseSource:
    """The log in a SQLite or PostgreSQL database, pinned to its newest checkpoint.

    ``engine`` is the caller's (a service passes its own); :meth:`open` makes one from a URL
    and disposes of it on :meth:`close`. Raises :class:`DatabaseSourceError` when the
    database cannot be read or holds no checkpoint.
    """

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
        self._owns_engine = False
        self._origin = origin
        self._trust_list = trust_list
        self._documents = documents
        self._url = engine.url.render_as_string(hide_password=True)
        self._description = description or f"database {self._url}"
        rows = self._read(lambda c: queries.read_checkpoint_rows(c, limit=1, descending=True))
        if not rows:
            raise DatabaseSourceError(
                f"expected a log with a signed checkpoint, found none in {self._url}: "
                "run `bukti init`"
            )
        size, _root, note = rows[0]
        # The signed size, not the column; for an unreadable note (which the audit reports)
        # the column is all there is.
        with contextlib.suppress(LedgerError):
            size = peek_checkpoint(note).size
        self._size = size
        self._note = note

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
        except StorageError as error:
            raise DatabaseSourceError(str(error)) from error
        try:
            source = cls(
                engine,
                origin=origin,
                trust_list=trust_list,
                documents=documents,
                description=f"database {make_url(url).render_as_string(hide_password=True)}",
            )
        except BaseException:
            engine.dispose()
            raise
        source._owns_engine = True
        return source

    def close(self) -> None:
        if self._owns_engine:
            self._engine.dispose()

    def __enter__(self) -> DatabaseSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _read(self, fn: Callable[[Connection], T]) -> T:
        try:
            with self._engine.connect() as conn:
                return fn(conn)
        except exc.SQLAlchemyError as error:
            raise DatabaseSourceError(f"cannot read the log in {self._url}: {error}") from error

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
        next_size = 0
        while True:
            rows = self._read(
                partial(queries.read_checkpoint_rows, min_size=next_size, limit=_PAGE)
            )
            for size, _root, note in rows:
                if size > self._size:
                    return
                yield note
            if len(rows) < _PAGE:
                return
            next_size = rows[-1][0] + 1

    def entries(self, start: int = 0) -> Iterator[tuple[int, bytes]]:
        for first in range(start, self._size, _PAGE):
            last = min(self._size, first + _PAGE)
            for stored in self._read(partial(queries.read_entries, start=first, end=last)):
                yield stored.seq, stored.data

    def attachments(self, name: str, seqs: Sequence[int]) -> Mapping[int, bytes]:
        if not seqs:
            return {}
        found = self._read(lambda c: queries.read_attachments(c, seqs))
        return {seq: blobs[name] for seq, blobs in found.items() if name in blobs}

    def schedule_document(self, sha256_hex: str) -> bytes | None:
        return self._documents(sha256_hex) if self._documents is not None else None

    def consistency_proof(self, old_size: int, new_size: int) -> Sequence[bytes]:
        # RFC 9162 §2.1.4.1, from the stored Merkle nodes (verified by the caller).
        return self._read(
            lambda c: consistency_proof(old_size, new_size, lambda xs: queries.read_nodes(c, xs))
        )

    def unsigned_tail(self) -> int:
        """Rows stored beyond the newest checkpoint *now* (at most one page is counted)."""
        rows = self._read(lambda c: queries.read_checkpoint_rows(c, limit=1, descending=True))
        newest = max(self._size, rows[0][0] if rows else 0)
        return len(self._read(lambda c: queries.read_entries(c, newest, newest + _PAGE)))

    def source_findings(self) -> Iterator[Finding]:
        return iter(())
