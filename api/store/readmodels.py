"""Queries on the read models (``rm_*``). Call :meth:`Projector.catch_up` first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from api.store.tables import rm_complaints, rm_receipts

__all__ = [
    "ComplaintRow",
    "DaySums",
    "complaint",
    "day_sums",
    "receipt_seq_by_number",
    "receipt_seq_by_short_code",
    "void_of",
]


@dataclass(frozen=True, slots=True)
class DaySums:
    count: int
    total: int
    voids: int
    void_total: int


@dataclass(frozen=True, slots=True)
class ComplaintRow:
    tracking_no: str
    status: str
    receipt_seq: int | None
    filed_at: int
    updated_at: int


def receipt_seq_by_number(conn: Connection, receipt_no: str) -> int | None:
    value = conn.execute(
        select(rm_receipts.c.seq).where(rm_receipts.c.receipt_no == receipt_no)
    ).scalar_one_or_none()
    return int(value) if value is not None else None


def receipt_seq_by_short_code(conn: Connection, code: str) -> int | None:
    value = conn.execute(
        select(rm_receipts.c.seq).where(rm_receipts.c.short_code == code)
    ).scalar_one_or_none()
    return int(value) if value is not None else None


def void_of(conn: Connection, receipt_seq: int) -> int | None:
    """The seq of the ``receipt.voided`` entry of a receipt, if it was voided."""
    value = conn.execute(
        select(rm_receipts.c.void_seq).where(rm_receipts.c.seq == receipt_seq)
    ).scalar_one_or_none()
    return int(value) if value is not None else None


def day_sums(conn: Connection, office: str, counter: str, day: str) -> DaySums:
    """Receipts issued at a counter on a WIB day, and receipts of that counter voided that day."""
    r = rm_receipts
    issued = conn.execute(
        select(func.count(), func.coalesce(func.sum(r.c.charged), 0)).where(
            r.c.office == office, r.c.counter == counter, r.c.day == day
        )
    ).one()
    voided = conn.execute(
        select(func.count(), func.coalesce(func.sum(r.c.charged), 0)).where(
            r.c.office == office, r.c.counter == counter, r.c.void_day == day
        )
    ).one()
    return DaySums(int(issued[0]), int(issued[1]), int(voided[0]), int(voided[1]))


def complaint(conn: Connection, tracking_no: str) -> ComplaintRow | None:
    row = conn.execute(
        select(rm_complaints).where(rm_complaints.c.tracking_no == tracking_no)
    ).first()
    if row is None:
        return None
    m = row._mapping
    return ComplaintRow(
        m["tracking_no"], m["status"], m["receipt_seq"], m["filed_at"], m["updated_at"]
    )
