"""The log store: the ONE append path and the reads that serve proofs, tiles and audits.

Appends go through :class:`~ledger.storage.group_commit.GroupCommit`: concurrent callers
share one transaction, one fsync and one signed checkpoint per batch. Each batch locks the
head row (``BEGIN IMMEDIATE`` on SQLite, ``SELECT … FOR UPDATE`` on PostgreSQL) and re-reads
the head inside the transaction, so several processes may append to the same database.
``append`` returns only after the commit: an acknowledged entry is durable and covered by
a stored signed checkpoint. The store never reads a clock; callers pass ``at``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from functools import partial
from typing import TypeVar

from sqlalchemy import Connection, Engine, exc

from ledger.checkpoint import Checkpoint, SignedCheckpoint, sign_checkpoint
from ledger.merkle import EMPTY_ROOT, NodeReader, consistency_proof, inclusion_proof
from ledger.note import NoteSigner
from ledger.storage import queries
from ledger.storage.batch import write_batch
from ledger.storage.engine import is_sqlite, storage_error, write_transaction
from ledger.storage.errors import (
    AppendError,
    CheckpointNotFoundError,
    EntryNotFoundError,
    StorageError,
    TreeSizeError,
)
from ledger.storage.group_commit import GroupCommit
from ledger.storage.records import (
    AppendedEntry,
    AppendRequest,
    BatchObserver,
    StoredEntry,
    replayed_entry,
)
from ledger.tiles import TILE_WIDTH, EntriesCoord, TileCoord, encode_entry_bundle, tile_node_range

__all__ = ["LogStore"]

_log = logging.getLogger("bukti.ledger.storage")

T = TypeVar("T")

#: Rows fetched per round trip when streaming entries or checkpoints.
CHUNK = 1000


class LogStore:
    """The append-only log on a SQLite file or a PostgreSQL database.

    The database must be migrated (:func:`ledger.storage.migrate`). The log starts empty
    without a checkpoint; :meth:`initialize` stores a signed checkpoint of size 0 so that
    ``/checkpoint`` can be served before the first entry. Every append batch stores the
    checkpoint of its new size. The first write fixes the log's origin: a store opened
    with another origin is refused.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        signer: NoteSigner,
        origin: str,
        batch_max: int = 512,
        batch_wait_ms: float = 0,
    ) -> None:
        Checkpoint(origin, 0, EMPTY_ROOT)  # validates the origin line (CheckpointError)
        self._engine = engine
        # Reads of append-only rows need no transaction: on PostgreSQL, AUTOCOMMIT saves the
        # BEGIN and ROLLBACK round trips. SQLite reads stay in a (local, cheap) transaction.
        self._reader = (
            engine if is_sqlite(engine) else engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._signer = signer
        self._origin = origin
        self._observer: BatchObserver | None = None
        self._group: GroupCommit[AppendRequest, AppendedEntry] = GroupCommit(
            self._commit, batch_max=batch_max, batch_wait_s=batch_wait_ms / 1000
        )

    @property
    def origin(self) -> str:
        return self._origin

    @property
    def signer(self) -> NoteSigner:
        """The log key that signs the checkpoint of the next append batch."""
        return self._signer

    def set_signer(self, signer: NoteSigner) -> None:
        """Sign the checkpoints of every later batch with ``signer`` (a log key rotation).

        A batch reads the signer once, when it starts, so each checkpoint carries exactly
        one key's signature.
        """
        self._signer = signer

    def observe(self, observer: BatchObserver | None) -> None:
        """Tell ``observer`` of every later append batch (``None``: stop telling)."""
        self._observer = observer

    # -- writing ------------------------------------------------------------------------

    def initialize(self) -> SignedCheckpoint:
        """Store a signed checkpoint of the empty log unless one exists; return the latest.

        Idempotent and safe against concurrent callers (it takes the append lock).
        """
        try:
            with write_transaction(self._engine) as conn:
                head = queries.read_head(conn, lock=True)
                head.require_origin(self._origin)
                if not queries.read_checkpoint_rows(conn, limit=1) and head.size == 0:
                    signed = sign_checkpoint(Checkpoint(self._origin, 0, EMPTY_ROOT), self._signer)
                    queries.insert_checkpoint(conn, 0, EMPTY_ROOT, signed.note)
                    queries.write_head(conn, 0, replace(head, origin=self._origin))
        except exc.SQLAlchemyError as error:
            raise storage_error(error, "initializing the log", AppendError) from error
        return self.latest_checkpoint()

    def append(self, req: AppendRequest) -> AppendedEntry:
        """Append one entry and return it once durable; raises that request's error."""
        outcome = self._group.submit([req])[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def append_async(self, req: AppendRequest) -> AppendedEntry:
        """:meth:`append` for a coroutine: awaits the commit without blocking the event loop
        (the batch is committed by the store's committer thread)."""
        outcome = (await self._group.submit_async([req]))[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def append_many(self, reqs: Sequence[AppendRequest]) -> list[AppendedEntry | Exception]:
        """Append several entries, in order; each outcome is its entry or its own error."""
        return self._group.submit(list(reqs))

    def _commit(self, batch: list[AppendRequest]) -> list[AppendedEntry | Exception]:
        observer = self._observer
        committed = False
        try:
            with write_transaction(self._engine) as conn:
                outcomes = write_batch(
                    conn,
                    batch,
                    origin=self._origin,
                    signer=lambda: self._signer,
                    observer=observer,
                )
            committed = True
            return outcomes
        except StorageError as error:
            return [_copy(error) for _ in batch]
        except exc.SQLAlchemyError as error:
            failure = storage_error(error, f"appending {len(batch)} entries", AppendError)
            return [_copy(failure, cause=error) for _ in batch]
        except Exception as error:  # a signing or programming failure: fail the batch
            failure = AppendError(f"appending {len(batch)} entries failed: {error!r}")
            return [_copy(failure, cause=error) for _ in batch]
        finally:
            if observer is not None:
                _tell_ended(observer, committed)

    def close(self) -> None:
        """Refuse new appends and wait for queued ones. The engine stays the caller's."""
        self._group.close()

    # -- reading ------------------------------------------------------------------------

    def _read(self, doing: str, fn: Callable[[Connection], T]) -> T:
        try:
            with self._reader.connect() as conn:
                return fn(conn)
        except exc.SQLAlchemyError as error:
            raise storage_error(error, doing) from error

    def size(self) -> int:
        """Number of committed entries."""
        return self._read("reading the log size", lambda c: queries.read_head(c).size)

    def _signed(self, row: tuple[int, bytes, bytes]) -> SignedCheckpoint:
        size, root, note = row
        return SignedCheckpoint(Checkpoint(self._origin, size, root), note)

    def latest_checkpoint(self) -> SignedCheckpoint:
        """The checkpoint of the largest size stored."""
        rows = self._read(
            "reading the latest checkpoint",
            lambda c: queries.read_checkpoint_rows(c, limit=1, descending=True),
        )
        if not rows:
            raise CheckpointNotFoundError(
                "the log has no checkpoint yet: expected one after initialize() or an append"
            )
        return self._signed(rows[0])

    def checkpoint_at_least(self, size: int) -> SignedCheckpoint:
        """The smallest stored checkpoint whose size is ``size`` or more."""
        rows = self._read(
            f"reading a checkpoint of size >= {size}",
            lambda c: queries.read_checkpoint_rows(c, min_size=size, limit=1),
        )
        if not rows:
            raise CheckpointNotFoundError(
                f"no stored checkpoint covers size {size}: the log has {self.size()} entries"
            )
        return self._signed(rows[0])

    def checkpoints(self) -> Iterator[SignedCheckpoint]:
        """Every stored checkpoint, ascending by size, read in chunks."""
        next_size = 0
        while True:
            rows = self._read(
                "reading checkpoints",
                partial(queries.read_checkpoint_rows, min_size=next_size, limit=CHUNK),
            )
            for row in rows:
                yield self._signed(row)
            if len(rows) < CHUNK:
                return
            next_size = rows[-1][0] + 1

    def entry(self, seq: int) -> StoredEntry:
        """Entry ``seq``; :class:`EntryNotFoundError` if the log is shorter."""
        rows = self._read(f"reading entry {seq}", lambda c: queries.read_entries(c, seq, seq + 1))
        if not rows:
            size = self.size()
            held = f"entries 0..{size - 1}" if size else "no entries"
            raise EntryNotFoundError(f"no entry {seq}: the log holds {held}")
        return rows[0]

    def entries(self, start: int, end: int) -> Iterator[StoredEntry]:
        """Stored entries with ``start <= seq < end``, in order, streamed in chunks.

        Yields the rows as they are stored: an audit sees a missing row as a gap in ``seq``
        rather than the end of the log.
        """
        if not 0 <= start <= end:
            raise ValueError(f"expected 0 <= start <= end, found start={start}, end={end}")
        pos = start
        while pos < end:
            rows = self._read(
                f"reading entries from {pos}",
                partial(queries.read_entries, start=pos, end=end, limit=CHUNK),
            )
            yield from rows
            if len(rows) < CHUNK:
                return
            pos = rows[-1].seq + 1

    def attachment(self, seq: int, name: str) -> bytes | None:
        """The blob ``name`` stored beside entry ``seq`` (``None`` if there is none)."""
        return self._read(
            f"reading attachment {name!r} of entry {seq}",
            lambda c: queries.read_attachment(c, seq, name),
        )

    def find_by_idempotency_key(self, key: str) -> AppendedEntry | None:
        """The entry first appended with ``key`` (``replayed=True``), or ``None``."""

        def find(conn: Connection) -> AppendedEntry | None:
            used = queries.read_idempotency(conn, [key])
            if key not in used:
                return None
            seq = used[key][1]
            row = queries.read_entry_rows(conn, [seq])[seq]
            blobs = queries.read_attachments(conn, [seq]).get(seq, {})
            return replayed_entry(row, blobs)

        return self._read(f"looking up idempotency key {key!r}", find)

    # -- proofs and tiles ---------------------------------------------------------------

    def _prove(
        self, doing: str, size: int, prove: Callable[[NodeReader], list[bytes]]
    ) -> list[bytes]:
        """Run ``prove`` on stored nodes, refusing a tree ``size`` beyond the log.

        Leaves are stored from 0 without gaps, so leaf ``size - 1`` exists exactly when the
        log holds ``size`` entries: it is fetched in the proof's own query (no extra read).
        """
        last = (0, size - 1)

        def run(conn: Connection) -> list[bytes]:
            asked = False

            def read(coords: Sequence[tuple[int, int]]) -> list[bytes]:
                nonlocal asked
                asked = True
                return queries.read_nodes(conn, [*coords, last])[:-1]

            try:
                proof = prove(read)
                if not asked and size > 0:
                    queries.read_nodes(conn, [last])
            except TreeSizeError as error:
                raise TreeSizeError(f"tree size {size} is beyond the log: {error}") from error
            return proof

        return self._read(doing, run)

    def inclusion_proof(self, seq: int, size: int) -> list[bytes]:
        """RFC 9162 §2.1.3.1 inclusion proof of entry ``seq`` in the tree of ``size``."""
        return self._prove(
            f"proving entry {seq} in size {size}", size, partial(inclusion_proof, seq, size)
        )

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        """RFC 9162 §2.1.4.1 consistency proof from tree ``size1`` to tree ``size2``."""
        return self._prove(
            f"proving size {size1} consistent with {size2}",
            size2,
            partial(consistency_proof, size1, size2),
        )

    def hash_tile(self, level: int, index: int, width: int) -> bytes:
        """C2SP tlog-tiles hash tile ``level``/``index`` holding ``width`` hashes."""
        tree_level, start, end = tile_node_range(TileCoord(level, index, width))

        def read(conn: Connection) -> list[bytes]:
            return queries.read_node_range(conn, tree_level, start, end)

        hashes = self._read(f"reading tile {level}/{index}.p/{width}", read)
        if len(hashes) != end - start:
            raise TreeSizeError(
                f"tile {level}/{index} of width {width} needs {end - start} hashes at tree "
                f"level {tree_level}; the log has {len(hashes)} of them"
            )
        return b"".join(hashes)

    def entry_bundle(self, index: int, width: int) -> bytes:
        """C2SP tlog-tiles entry bundle ``index`` holding ``width`` entries."""
        coord = EntriesCoord(index, width)  # validates index and width (TileError)
        start = coord.index * TILE_WIDTH
        rows = self._read(
            f"reading entry bundle {index}.p/{width}",
            lambda c: queries.read_entries(c, start, start + width),
        )
        if len(rows) != width:
            raise TreeSizeError(
                f"entry bundle {index} of width {width} needs entries "
                f"{start}..{start + width - 1}; the log has {len(rows)} of them"
            )
        return encode_entry_bundle([r.data for r in rows])


def _tell_ended(observer: BatchObserver, committed: bool) -> None:
    """``batch_ended`` must not turn a committed batch into failed appends: its own failure
    is logged, never raised to the appenders."""
    try:
        observer.batch_ended(committed)
    except Exception:
        _log.exception("the batch observer failed after a batch (committed=%s)", committed)


def _copy(error: StorageError, cause: BaseException | None = None) -> StorageError:
    """A fresh exception per waiting caller: one object must not be raised in many threads."""
    fresh = type(error)(*error.args)
    fresh.__cause__ = cause if cause is not None else error.__cause__
    return fresh
