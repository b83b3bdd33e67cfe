"""The statements the store runs, each on a caller's connection and transaction.

Every read here touches O(1) rows per requested item: proofs read O(log n) Merkle nodes by
primary key, tiles and entry bundles read one primary-key range, entries stream in
primary-key chunks. Nothing ever scans the log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Connection, Select, TextClause, bindparam, exc, select, text

from ledger.merkle import HASH_SIZE
from ledger.storage.errors import AppendError, TreeSizeError
from ledger.storage.models import (
    AttachmentRow,
    CheckpointRow,
    EntryRow,
    MerkleNodeRow,
)
from ledger.storage.records import StoredEntry

__all__ = [
    "Head",
    "insert_checkpoint",
    "insert_rows",
    "nodes_statement",
    "read_attachment",
    "read_attachments",
    "read_checkpoint_rows",
    "read_entries",
    "read_entry_rows",
    "read_head",
    "read_idempotency",
    "read_node_range",
    "read_nodes",
    "read_series",
    "write_head",
    "write_series",
]

_HEAD_ID = 1


@dataclass(frozen=True, slots=True)
class Head:
    """The head row: the log's size, root, chain tip and tree frontier."""

    origin: str | None
    size: int
    root: bytes
    last_leaf: bytes
    frontier: tuple[bytes, ...]

    def require_origin(self, origin: str) -> None:
        """Refuse to write a log that was started under another origin."""
        if self.origin is not None and self.origin != origin:
            raise AppendError(
                f"this database holds the log of origin {self.origin!r}; "
                f"expected {origin!r} (the store's origin)"
            )


# Hot-path statements are built once: SQLAlchemy then reuses their cache keys and compiled
# forms instead of rebuilding expression trees on every batch.
_READ_ENTRY_ROWS = select(EntryRow.seq, EntryRow.data, EntryRow.leaf_hash).where(
    EntryRow.seq.in_(bindparam("seqs", expanding=True))
)
_READ_ENTRY_RANGE = (
    select(EntryRow.seq, EntryRow.data, EntryRow.leaf_hash)
    .where(EntryRow.seq >= bindparam("start"), EntryRow.seq < bindparam("end"))
    .order_by(EntryRow.seq)
)
_READ_ENTRY_RANGE_LIMITED = _READ_ENTRY_RANGE.limit(bindparam("limit"))
_READ_ATTACHMENT = select(AttachmentRow.data).where(
    AttachmentRow.seq == bindparam("seq"), AttachmentRow.name == bindparam("name")
)
_READ_ATTACHMENTS = select(AttachmentRow.seq, AttachmentRow.name, AttachmentRow.data).where(
    AttachmentRow.seq.in_(bindparam("seqs", expanding=True))
)
_READ_NODE_RANGE = (
    select(MerkleNodeRow.hash)
    .where(
        MerkleNodeRow.level == bindparam("level"),
        MerkleNodeRow.idx >= bindparam("start"),
        MerkleNodeRow.idx < bindparam("end"),
    )
    .order_by(MerkleNodeRow.idx)
)
#: Driver-level inserts of the rows batches write ("?" placeholders, see _driver_run).
_INSERT_ENTRIES = (
    "INSERT INTO entries (seq, kind, at, data, leaf_hash, prev) VALUES (?, ?, ?, ?, ?, ?)"
)
_INSERT_NODES = "INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)"
_INSERT_IDEMPOTENCY = "INSERT INTO idempotency (key, request_digest, seq) VALUES (?, ?, ?)"
_INSERT_ATTACHMENTS = "INSERT INTO attachments (seq, name, data) VALUES (?, ?, ?)"
_SERIES_INSERT = "INSERT INTO number_series (name, last_value) VALUES (?, ?)"


# -- driver-level statements ------------------------------------------------------------
#
# Every batch runs the statements below, a dozen per transaction, on the committer thread
# that also holds the interpreter lock the request handlers need. They are plain SQL over
# integers, text and bytes, so they go straight to the connection's DB-API cursor: a
# SQLAlchemy ``execute`` costs ~35-50 µs of Python per statement, the cursor ~5 µs.
# Errors are raised as SQLAlchemy's own ``DBAPIError`` subclasses, a lost connection
# invalidated, exactly as ``Connection.execute`` would, so callers see no difference.


@lru_cache(maxsize=512)
def _numbered(statement: str) -> str:
    """``statement`` with its ``?`` placeholders numbered ``$1, $2, …`` (PostgreSQL's own)."""
    parts = statement.split("?")
    return "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], 1)) + parts[-1]


def _cursor(conn: Connection, raw: Any) -> tuple[Any, Callable[[str], str]]:
    """A cursor of ``raw`` and how to spell ``?`` statements for it.

    sqlite3 takes ``?`` as written. On PostgreSQL a psycopg ``RawCursor`` takes ``$n``
    placeholders as they are, where the default cursor would parse every statement for
    ``%s`` (uncached for long ones: a batch's multi-row inserts).
    """
    if conn.dialect.paramstyle == "qmark":
        return raw.cursor(), _as_written
    if conn.dialect.driver == "psycopg":
        import psycopg  # noqa: PLC0415 - only on PostgreSQL

        return psycopg.RawCursor(raw), _numbered
    return raw.cursor(), _percent_s


def _as_written(statement: str) -> str:
    return statement


def _percent_s(statement: str) -> str:
    return statement.replace("?", "%s")


def _driver_run(
    conn: Connection, statement: str, params: Sequence[Any], *, many: bool = False
) -> tuple[Sequence[Any], int]:
    """Run ``statement`` (``?`` placeholders) on ``conn``'s DB-API connection, inside its
    transaction; return the rows it produced and its row count."""
    raw = conn.connection.dbapi_connection
    if raw is None:  # pragma: no cover - a checked-out connection always has one
        raise exc.ResourceClosedError("the connection is closed")
    dbapi_error = conn.dialect.loaded_dbapi.Error
    cursor, spell = _cursor(conn, raw)
    sql = spell(statement)
    try:
        if many:
            cursor.executemany(sql, params)
        else:
            cursor.execute(sql, params)
        rows = cursor.fetchall() if cursor.description is not None else []
        return rows, cursor.rowcount
    except dbapi_error as error:
        lost = conn.dialect.is_disconnect(error, raw, cursor)
        if lost:
            conn.invalidate(error)
        raise exc.DBAPIError.instance(
            sql, params, error, dbapi_error, connection_invalidated=lost, dialect=conn.dialect
        ) from error
    finally:
        cursor.close()


_HEAD_SELECT = "SELECT origin, size, root, last_leaf, frontier FROM log_head WHERE id = 1"
_HEAD_UPDATE = (
    "UPDATE log_head SET origin = ?, size = ?, root = ?, last_leaf = ?, frontier = ? "
    "WHERE id = 1 AND size = ?"
)
_CHECKPOINT_INSERT = "INSERT INTO checkpoints (size, root, note) VALUES (?, ?, ?)"
_SERIES_SELECT = "SELECT last_value FROM number_series WHERE name = ?"
_SERIES_UPDATE = "UPDATE number_series SET last_value = ? WHERE name = ?"


@cache
def _idempotency_select(count: int) -> str:
    marks = ", ".join("?" * count)
    return f"SELECT key, request_digest, seq FROM idempotency WHERE key IN ({marks})"  # noqa: S608


def read_head(conn: Connection, *, lock: bool = False) -> Head:
    """The head row; with ``lock`` it is taken ``FOR UPDATE`` (ignored by SQLite, which
    holds the database write lock from ``BEGIN IMMEDIATE`` instead)."""
    # FOR UPDATE on PostgreSQL only: SQLite has no row locks (nor the syntax).
    locking = lock and conn.dialect.paramstyle != "qmark"
    rows, _ = _driver_run(conn, _HEAD_SELECT + (" FOR UPDATE" if locking else ""), ())
    row = rows[0] if rows else None
    if row is None:
        raise AppendError("the log head row is missing: has the database been migrated?")
    origin, size, root, last_leaf, frontier = row
    blob = bytes(frontier)
    if len(blob) % HASH_SIZE:
        raise AppendError(f"the stored frontier is {len(blob)} bytes, not a multiple of 32")
    hashes = tuple(blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE))
    return Head(origin, size, bytes(root), bytes(last_leaf), hashes)


def write_head(conn: Connection, old_size: int, head: Head) -> None:
    """Move the head from ``old_size`` to ``head``; refuses if someone else moved it."""
    frontier = b"".join(head.frontier)
    params = (head.origin, head.size, head.root, head.last_leaf, frontier, old_size)
    _, moved = _driver_run(conn, _HEAD_UPDATE, params)
    if moved != 1:
        raise AppendError(
            f"the log head moved during the append: expected size {old_size} to still hold"
        )


def insert_rows(
    conn: Connection,
    *,
    entries: Sequence[tuple[int, str, int, bytes, bytes, bytes]],
    nodes: Sequence[tuple[int, int, bytes]],
    idempotency: Sequence[tuple[str, bytes, int]],
    attachments: Sequence[tuple[int, str, bytes]],
) -> None:
    """Insert a batch's rows, one statement per table, entries first.

    ``idempotency`` rows are ``(key, request_digest, seq)``, ``attachments`` rows
    ``(seq, name, data)``. The rows go straight to the driver as positional tuples,
    skipping per-row SQLAlchemy processing (plain ``INSERT``s of bytes, text and integers:
    there is nothing to convert): :func:`_insert_many`.
    """
    if entries:
        _insert_many(conn, _INSERT_ENTRIES, entries)
    if nodes:
        _insert_many(conn, _INSERT_NODES, nodes)
    if idempotency:
        _insert_many(conn, _INSERT_IDEMPOTENCY, idempotency)
    if attachments:
        _insert_many(conn, _INSERT_ATTACHMENTS, attachments)


def _insert_many(conn: Connection, statement: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """``statement`` (an ``INSERT … VALUES (?, …)``) for every row of ``rows``.

    sqlite3 loops over ``executemany`` rows in C. psycopg runs ``executemany`` as a
    pipeline with Python work for every row (four rows per receipt, on the thread the
    request handlers share the interpreter lock with), so PostgreSQL gets one multi-row
    ``VALUES`` list instead: one statement, its parameters dumped in one go.
    """
    if conn.dialect.paramstyle == "qmark":
        _driver_run(conn, statement, rows, many=True)
    elif len(rows) == 1:
        _driver_run(conn, statement, rows[0])
    else:
        _driver_run(conn, _multi_row(statement, len(rows)), [v for row in rows for v in row])


@lru_cache(maxsize=256)
def _multi_row(statement: str, count: int) -> str:
    """``statement`` with its one ``VALUES (…)`` group repeated ``count`` times."""
    head, _, group = statement.partition(" VALUES ")
    return f"{head} VALUES {', '.join([group] * count)}"


def insert_checkpoint(conn: Connection, size: int, root: bytes, note: bytes) -> None:
    _driver_run(conn, _CHECKPOINT_INSERT, (size, root, note))


@cache
def nodes_statement(count: int) -> TextClause:
    """SELECT of ``count`` nodes as primary-key point lookups, binding ``l0, i0, l1, i1, …``.

    Spelled ``(level = ? AND idx = ?) OR …`` on purpose: SQLite plans a row-value
    ``(level, idx) IN (VALUES …)`` as a scan of the whole table, but each OR term as one
    primary-key search ("MULTI-INDEX OR"); PostgreSQL turns it into a BitmapOr of index
    scans. Plain text, cached per ``count``, because building the expression tree each time
    cost more than the query.
    """
    terms = " OR ".join(f"(level = :l{i} AND idx = :i{i})" for i in range(count))
    return text(f"SELECT level, idx, hash FROM merkle_nodes WHERE {terms}")  # noqa: S608


def read_nodes(conn: Connection, coords: Sequence[tuple[int, int]]) -> list[bytes]:
    """Hashes of the perfect subtrees ``(level, index)``, in the order asked, in one query."""
    if not coords:
        return []
    wanted = list(dict.fromkeys(coords))
    params: dict[str, int] = {}
    for i, (level, idx) in enumerate(wanted):
        params[f"l{i}"] = level
        params[f"i{i}"] = idx
    rows = conn.execute(nodes_statement(len(wanted)), params).all()
    found = {(level, idx): bytes(h) for level, idx, h in rows}
    missing = [c for c in wanted if c not in found]
    if missing:
        level, idx = missing[0]
        raise TreeSizeError(
            f"Merkle node (level {level}, index {idx}) is not stored: it covers leaves up to "
            f"{(idx + 1) << level}, beyond the log"
        )
    return [found[c] for c in coords]


def read_node_range(conn: Connection, level: int, start: int, end: int) -> list[bytes]:
    """Hashes of the nodes ``[start, end)`` of one tree level, in order (one range query)."""
    rows = conn.execute(_READ_NODE_RANGE, {"level": level, "start": start, "end": end}).all()
    return [bytes(h) for (h,) in rows]


def read_entries(
    conn: Connection, start: int, end: int, limit: int | None = None
) -> list[StoredEntry]:
    """Stored entries with ``start <= seq < end`` in order, at most ``limit`` of them."""
    if limit is None:
        rows = conn.execute(_READ_ENTRY_RANGE, {"start": start, "end": end}).all()
    else:
        params = {"start": start, "end": end, "limit": limit}
        rows = conn.execute(_READ_ENTRY_RANGE_LIMITED, params).all()
    return [StoredEntry(seq, bytes(data), bytes(leaf)) for seq, data, leaf in rows]


def read_checkpoint_rows(
    conn: Connection, *, min_size: int = 0, limit: int | None = None, descending: bool = False
) -> list[tuple[int, bytes, bytes]]:
    """``(size, root, note)`` of stored checkpoints with ``size >= min_size``, ordered by size."""
    params = {"min_size": min_size} if limit is None else {"min_size": min_size, "limit": limit}
    rows = conn.execute(_checkpoints_statement(descending, limit is not None), params).all()
    return [(size, bytes(root), bytes(note)) for size, root, note in rows]


@cache
def _checkpoints_statement(descending: bool, limited: bool) -> Select[int, bytes, bytes]:
    order = CheckpointRow.size.desc() if descending else CheckpointRow.size.asc()
    stmt = (
        select(CheckpointRow.size, CheckpointRow.root, CheckpointRow.note)
        .where(CheckpointRow.size >= bindparam("min_size"))
        .order_by(order)
    )
    return stmt.limit(bindparam("limit")) if limited else stmt


def read_attachment(conn: Connection, seq: int, name: str) -> bytes | None:
    data = conn.execute(_READ_ATTACHMENT, {"seq": seq, "name": name}).scalar_one_or_none()
    return None if data is None else bytes(data)


def read_attachments(conn: Connection, seqs: Iterable[int]) -> dict[int, dict[str, bytes]]:
    """All attachments of the given entries, by ``seq`` then name."""
    out: dict[int, dict[str, bytes]] = {}
    wanted = list(set(seqs))
    if not wanted:
        return out
    rows = conn.execute(_READ_ATTACHMENTS, {"seqs": wanted}).all()
    for seq, name, data in rows:
        out.setdefault(seq, {})[name] = bytes(data)
    return out


def read_idempotency(conn: Connection, keys: Iterable[str]) -> dict[str, tuple[bytes, int]]:
    """``key -> (request digest, seq)`` for the keys already used."""
    wanted = list(set(keys))
    if not wanted:
        return {}
    rows, _ = _driver_run(conn, _idempotency_select(len(wanted)), wanted)
    return {key: (bytes(digest), int(seq)) for key, digest, seq in rows}


def read_entry_rows(conn: Connection, seqs: Iterable[int]) -> dict[int, StoredEntry]:
    """The entries with the given sequence numbers, by ``seq``."""
    wanted = list(set(seqs))
    if not wanted:
        return {}
    rows = conn.execute(_READ_ENTRY_ROWS, {"seqs": wanted}).all()
    return {seq: StoredEntry(seq, bytes(data), bytes(leaf)) for seq, data, leaf in rows}


def read_series(conn: Connection, name: str) -> int | None:
    """The last number handed out in series ``name`` (``None`` if never used)."""
    rows, _ = _driver_run(conn, _SERIES_SELECT, (name,))
    return int(rows[0][0]) if rows else None


def write_series(conn: Connection, values: dict[str, int], existing: set[str]) -> None:
    """Store the last number of each series touched by a batch."""
    new = [(n, v) for n, v in values.items() if n not in existing]
    if new:
        _insert_many(conn, _SERIES_INSERT, new)
    for name, value in values.items():  # usually one or two series per batch
        if name in existing:
            _driver_run(conn, _SERIES_UPDATE, (value, name))
