"""Read models derived from the log: receipts, closings, deposits, complaints, offices.

:class:`Projector` folds entries into the ``rm_*`` tables, from the cursor it stored up
to the log's size, in short write transactions. The tables are a cache of the log: they
can be dropped and rebuilt at any time, and nothing in them is signed or trusted by an
audit. Lookups (a receipt by number or short code, a day's sums for a closing, a
complaint's status) run on them after :meth:`Projector.catch_up`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, exc, insert, select, update

from api.store.tables import (
    rm_closings,
    rm_complaints,
    rm_counters,
    rm_cursor,
    rm_deposits,
    rm_offices,
    rm_receipts,
)
from audit.calendar import wib_date
from ledger.encoding import Entry
from ledger.storage import LogStore
from ledger.storage.engine import is_sqlite, storage_error, write_transaction
from receipts import short_code

__all__ = ["RECEIPT_ATTACHMENT", "Projector"]

#: The attachment holding an entry's signed COSE receipt (docs/entries.md §Beside the log).
RECEIPT_ATTACHMENT = "receipt.cose"
_CURSOR = "main"
_BATCH = 500


class Projector:
    """Brings the read models up to the log's size; safe across threads and processes."""

    def __init__(self, engine: Engine, store: LogStore) -> None:
        self._engine = engine
        self._store = store
        self._lock = threading.Lock()
        self._known = -1  # cursor value this process last saw committed

    def catch_up(self) -> int:
        """Fold every entry not yet projected; return the projected size."""
        size = self._store.size()
        if size == self._known:
            return size
        with self._lock:
            while True:
                done = self._step(size)
                self._known = done
                if done >= size:
                    return done

    def _step(self, size: int) -> int:
        try:
            with write_transaction(self._engine) as conn:
                cursor = _read_cursor(conn)
                end = min(size, cursor + _BATCH)
                if end <= cursor:
                    return cursor
                for stored in self._store.entries(cursor, end):
                    self._apply(conn, stored.decode())
                conn.execute(
                    update(rm_cursor).where(rm_cursor.c.name == _CURSOR).values(next_seq=end)
                )
                return end
        except exc.SQLAlchemyError as error:
            raise storage_error(error, "updating the read models") from error

    def _apply(self, conn: Connection, entry: Entry) -> None:
        handler = _HANDLERS.get(entry.kind)
        if handler is not None:
            handler(self, conn, entry.seq, entry.at, entry.body)

    def _receipt_issued(self, conn: Connection, seq: int, at: int, body: Mapping[str, Any]) -> None:
        cose = self._store.attachment(seq, RECEIPT_ATTACHMENT) or b""
        conn.execute(
            insert(rm_receipts).values(
                seq=seq,
                receipt_no=body["receipt_no"],
                short_code=short_code(cose) if cose else f"-{seq}",
                office=body["office"],
                counter=body["counter"],
                by_user=body["by"],
                service=body["service"],
                charged=body["charged"],
                official_fee=body["official_fee"],
                at=at,
                day=wib_date(at),
            )
        )

    def _receipt_voided(self, conn: Connection, seq: int, at: int, body: Mapping[str, Any]) -> None:
        conn.execute(
            update(rm_receipts)
            .where(rm_receipts.c.seq == body["receipt_seq"], rm_receipts.c.void_seq.is_(None))
            .values(void_seq=seq, void_at=at, void_day=wib_date(at))
        )

    def _day_closed(self, conn: Connection, seq: int, at: int, body: Mapping[str, Any]) -> None:
        conn.execute(
            insert(rm_closings).values(
                seq=seq,
                office=body["office"],
                counter=body["counter"],
                day=body["date"],
                count=body["count"],
                total=body["total"],
                voids=body["voids"],
                void_total=body["void_total"],
                net=body["net"],
                last_seq=body["last_seq"],
            )
        )

    def _deposit(self, conn: Connection, seq: int, at: int, body: Mapping[str, Any]) -> None:
        conn.execute(
            insert(rm_deposits).values(
                seq=seq,
                office=body["office"],
                sts_no=body["sts_no"],
                bank_ref=body["bank_ref"],
                amount=body["amount"],
                period_from=body["period_from"],
                period_to=body["period_to"],
                counters=json.dumps(list(body["counters"])),
                deposited_at=body["deposited_at"],
            )
        )

    def _complaint_filed(
        self, conn: Connection, seq: int, at: int, body: Mapping[str, Any]
    ) -> None:
        conn.execute(
            insert(rm_complaints).values(
                tracking_no=body["tracking_no"],
                seq=seq,
                receipt_seq=body.get("receipt_seq"),
                status="received",
                filed_at=at,
                updated_at=at,
            )
        )

    def _complaint_updated(
        self, conn: Connection, seq: int, at: int, body: Mapping[str, Any]
    ) -> None:
        conn.execute(
            update(rm_complaints)
            .where(rm_complaints.c.tracking_no == body["tracking_no"])
            .values(status=body["status"], updated_at=at)
        )

    def _office(self, conn: Connection, seq: int, at: int, body: Mapping[str, Any]) -> None:
        conn.execute(
            insert(rm_offices).values(
                code=body["office"], name=body["name"], area=body["address_area"], seq=seq
            )
        )

    def _counter(self, conn: Connection, seq: int, at: int, body: Mapping[str, Any]) -> None:
        conn.execute(
            insert(rm_counters).values(
                office=body["office"], code=body["counter"], name=body["name"], seq=seq
            )
        )


_HANDLERS = {
    "receipt.issued": Projector._receipt_issued,
    "receipt.voided": Projector._receipt_voided,
    "day.closed": Projector._day_closed,
    "deposit.recorded": Projector._deposit,
    "complaint.filed": Projector._complaint_filed,
    "complaint.updated": Projector._complaint_updated,
    "office.added": Projector._office,
    "counter.added": Projector._counter,
}


def _read_cursor(conn: Connection) -> int:
    """The projected size, locking the cursor row (PostgreSQL) for this transaction."""
    query = select(rm_cursor.c.next_seq).where(rm_cursor.c.name == _CURSOR)
    if not is_sqlite(conn):
        query = query.with_for_update()
    return int(conn.execute(query).scalar_one())
