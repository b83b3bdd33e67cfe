"""Read-only look-ups on the ledger's tables that the log store does not offer.

Only reads; every write to the log goes through :class:`ledger.storage.LogStore`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, bindparam, select

from ledger.storage.models import EntryRow, LogHeadRow

__all__ = ["entries_of_kinds", "entries_of_kinds_below", "seqs_of_kinds"]


def seqs_of_kinds(conn: Connection, start: int, kinds: Iterable[str]) -> tuple[list[int], int]:
    """Sequence numbers ``>= start`` of entries of ``kinds``, and the log size they cover."""
    size = conn.execute(select(LogHeadRow.size).where(LogHeadRow.id == 1)).scalar_one()
    seqs = (
        conn.execute(
            select(EntryRow.seq)
            .where(EntryRow.seq >= start, EntryRow.seq < size, EntryRow.kind.in_(list(kinds)))
            .order_by(EntryRow.seq)
        )
        .scalars()
        .all()
    )
    return list(seqs), int(size)


# Every request that reads the configuration runs these two: built once, so each call
# reuses their compiled form instead of rebuilding the expressions.
_LOG_SIZE = select(LogHeadRow.size).where(LogHeadRow.id == 1)
_ENTRIES_OF_KINDS = (
    select(EntryRow.data)
    .where(
        EntryRow.seq >= bindparam("start"),
        EntryRow.seq < bindparam("size"),
        EntryRow.kind.in_(bindparam("kinds", expanding=True)),
    )
    .order_by(EntryRow.seq)
)


def entries_of_kinds(conn: Connection, start: int, kinds: Iterable[str]) -> tuple[list[bytes], int]:
    """The canonical bytes of the entries ``>= start`` of ``kinds``, in log order, read in
    one query, and the log size they cover."""
    size = int(conn.execute(_LOG_SIZE).scalar_one())
    if start >= size:
        return [], size  # nothing appended since: no range to read
    return entries_of_kinds_below(conn, start, size, kinds), size


def entries_of_kinds_below(
    conn: Connection, start: int, size: int, kinds: Iterable[str]
) -> list[bytes]:
    """The canonical bytes of the entries ``start <= seq < size`` of ``kinds``, in order."""
    params = {"start": start, "size": size, "kinds": sorted(kinds)}
    rows = conn.execute(_ENTRIES_OF_KINDS, params).scalars().all()
    return [bytes(data) for data in rows]
