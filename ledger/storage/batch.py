"""One group-commit batch, written in one transaction on a connection holding the log lock.

For each request, in order: idempotency lookup (replay or conflict), body factory, seq and
prev, canonical encoding, leaf hash, attachments; then the new perfect-subtree nodes from
the resumed :class:`~ledger.merkle.TreeBuilder`. A request that fails consumes no seq and
no series number. Finally the rows go in with one ``executemany`` per table, ONE checkpoint
for the new size is signed and stored, and the head row moves. The caller commits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from sqlalchemy import Connection, exc

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.encoding import Entry, encode_entry
from ledger.merkle import TreeBuilder, leaf_hash
from ledger.note import NoteSigner
from ledger.storage import queries
from ledger.storage.errors import AppendError, IdempotencyConflictError
from ledger.storage.records import (
    MAX_ATTACHMENT_NAME,
    AppendContext,
    AppendedEntry,
    AppendRequest,
    BatchObserver,
    StoredEntry,
    replayed_entry,
)

__all__ = ["write_batch"]

Outcome = AppendedEntry | Exception


class _Series:
    """Gapless series numbers for one batch: committed values plus one request's draft."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._stored: dict[str, int | None] = {}
        self._draft: dict[str, int] = {}
        #: Last value of each series advanced by a successful request of this batch.
        self.values: dict[str, int] = {}

    @property
    def existing(self) -> set[str]:
        """Series that already have a row in the database."""
        return {name for name, value in self._stored.items() if value is not None}

    def next_number(self, series: str) -> int:
        if series in self._draft:
            last = self._draft[series]
        elif series in self.values:
            last = self.values[series]
        else:
            if series not in self._stored:
                self._stored[series] = queries.read_series(self._conn, series)
            last = self._stored[series] or 0
        self._draft[series] = last + 1
        return last + 1

    def keep_draft(self) -> None:
        self.values.update(self._draft)
        self._draft.clear()

    def drop_draft(self) -> None:
        self._draft.clear()


def _checked_attachments(seq: int, blobs: Mapping[str, bytes]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for name, data in blobs.items():
        if not isinstance(name, str) or not 0 < len(name) <= MAX_ATTACHMENT_NAME:
            raise AppendError(
                f"attachment of entry {seq}: name must be 1..{MAX_ATTACHMENT_NAME} "
                f"characters, found {name!r}"
            )
        if not isinstance(data, bytes):
            raise AppendError(
                f"attachment {name!r} of entry {seq}: expected bytes, found {type(data).__name__}"
            )
        out[name] = data
    return out


class _BatchWriter:
    def __init__(self, conn: Connection, head: queries.Head) -> None:
        self.conn = conn
        self.committed = head.size
        self.tree = TreeBuilder(head.size, head.frontier)
        self.prev = head.last_leaf
        self.series = _Series(conn)
        self.entries: list[tuple[int, str, int, bytes, bytes, bytes]] = []
        self.nodes: list[tuple[int, int, bytes]] = []
        self.keys: list[tuple[str, bytes, int]] = []
        self.attachments: list[tuple[int, str, bytes]] = []
        self.pending_blobs: dict[tuple[int, str], bytes] = {}

    def read_attachment(self, seq: int, name: str) -> bytes | None:
        if (seq, name) in self.pending_blobs:
            return self.pending_blobs[(seq, name)]
        return queries.read_attachment(self.conn, seq, name)

    def read_entries(self, start: int, end: int) -> list[StoredEntry]:
        """Entries ``start <= seq < end``: committed ones from the database, the rest from
        this batch."""
        found = queries.read_entries(self.conn, start, min(end, self.committed))
        found.extend(
            StoredEntry(seq, data, leaf)
            for seq, _, _, data, leaf, _ in self.entries
            if start <= seq < end
        )
        return found

    def append(self, req: AppendRequest) -> AppendedEntry:
        seq = self.tree.size
        context = AppendContext(
            seq, self.prev, self.series, self.read_attachment, self.read_entries
        )
        try:
            body = req.body(context) if callable(req.body) else req.body
            data = encode_entry(Entry(seq, req.kind, req.at, self.prev, body))
            leaf = leaf_hash(data)
            entry = AppendedEntry(seq, req.kind, req.at, data, leaf, body)
            blobs = _checked_attachments(seq, req.attach(entry)) if req.attach else {}
        except BaseException:
            self.series.drop_draft()
            raise
        self.series.keep_draft()
        if blobs:
            entry = replace(entry, attachments=blobs)
        self.entries.append((seq, req.kind, req.at, data, leaf, self.prev))
        self.nodes.extend(self.tree.append(leaf))
        for name, blob in blobs.items():
            self.attachments.append((seq, name, blob))
            self.pending_blobs[(seq, name)] = blob
        if req.idempotency_key is not None and req.request_digest is not None:
            self.keys.append((req.idempotency_key, req.request_digest, seq))
        self.prev = leaf
        return entry


def _replay(req: AppendRequest, digest: bytes, original: AppendedEntry) -> Outcome:
    """The outcome of a request whose idempotency key was already used."""
    if digest != req.request_digest:
        return IdempotencyConflictError(
            f"idempotency key {req.idempotency_key!r} was first used for a different request "
            f"(entry {original.seq}); expected the same request digest, found another"
        )
    return replace(original, replayed=True)


def write_batch(
    conn: Connection,
    requests: Sequence[AppendRequest],
    *,
    origin: str,
    signer: Callable[[], NoteSigner],
    observer: BatchObserver | None = None,
) -> list[Outcome]:
    """Append ``requests`` on ``conn`` (already in the locked write transaction).

    ``signer`` is asked once, after ``observer.batch_started``, for the key that signs the
    batch's checkpoint. Returns one outcome per request. Raises (failing the whole batch)
    only when the database or the observer fails, or the stored log does not belong to
    ``origin``.
    """
    head = queries.read_head(conn, lock=True)
    head.require_origin(origin)
    if observer is not None:
        observer.batch_started(conn, head.size)
    writer = _BatchWriter(conn, head)

    # Idempotency keys committed by earlier batches: key -> (request digest, original entry).
    used = queries.read_idempotency(
        conn, (r.idempotency_key for r in requests if r.idempotency_key)
    )
    originals = queries.read_entry_rows(conn, (seq for _, seq in used.values()))
    blobs = queries.read_attachments(conn, originals)
    known = {
        key: (digest, replayed_entry(originals[seq], blobs.get(seq, {})))
        for key, (digest, seq) in used.items()
    }

    outcomes: list[Outcome] = []
    for req in requests:
        key = req.idempotency_key
        if key is not None and key in known:
            outcomes.append(_replay(req, *known[key]))
            continue
        try:
            entry = writer.append(req)
        except exc.SQLAlchemyError:
            raise  # the transaction is unusable: the whole batch fails
        except Exception as error:  # a factory, encoding or attach failure: this request only
            outcomes.append(error)
            continue
        outcomes.append(entry)
        if observer is not None:
            observer.entry_appended(entry)
        if key is not None and req.request_digest is not None:
            known[key] = (req.request_digest, entry)  # a retry later in this same batch

    if not writer.entries:
        return outcomes
    size, root = writer.tree.size, writer.tree.root()
    signed = sign_checkpoint(Checkpoint(origin, size, root), signer())
    queries.write_series(conn, writer.series.values, writer.series.existing)
    queries.insert_rows(
        conn,
        entries=writer.entries,
        nodes=writer.nodes,
        idempotency=writer.keys,
        attachments=writer.attachments,
    )
    queries.insert_checkpoint(conn, size, root, signed.note)
    new_head = queries.Head(origin, size, root, writer.prev, tuple(writer.tree.frontier))
    queries.write_head(conn, head.size, new_head)
    return outcomes
