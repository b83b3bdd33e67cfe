"""Database failures: the whole batch fails, nothing partial is written, the store recovers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.engine import make_url

from ledger.encoding import ZERO_HASH
from ledger.note import NoteSigner
from ledger.storage import (
    AppendContext,
    AppendedEntry,
    AppendError,
    AppendRequest,
    LogStore,
    StorageUnavailableError,
    create_engine_for,
)
from ledger.storage.models import CheckpointRow, EntryRow, MerkleNodeRow
from tests.conftest import FixedClock


def _counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(EntryRow)).scalar_one(),
            conn.execute(select(func.count()).select_from(MerkleNodeRow)).scalar_one(),
            conn.execute(select(func.count()).select_from(CheckpointRow)).scalar_one(),
        )


def _chain_holds(store: LogStore) -> None:
    prev = ZERO_HASH
    for e in store.entries(0, store.size()):
        assert e.decode().prev == prev
        prev = e.leaf_hash


def _receipts(at: int, count: int, pad: int = 0) -> list[AppendRequest]:
    return [AppendRequest("receipt.issued", at, {"n": i, "pad": "x" * pad}) for i in range(count)]


def test_a_refused_batch_writes_nothing_and_the_store_recovers(
    log_store: LogStore, db_engine: Engine, fixed_clock: FixedClock
) -> None:
    log_store.append_many(_receipts(fixed_clock(), 4))
    # A stray row at size 7 makes the checkpoint insert — the batch's last write — fail.
    with db_engine.begin() as conn:
        conn.execute(
            text("INSERT INTO checkpoints (size, root, note) VALUES (7, :r, :n)"),
            {"r": bytes(32), "n": b"stray"},
        )
    before = _counts(db_engine)

    outcomes = log_store.append_many(_receipts(fixed_clock(), 3))

    assert all(isinstance(o, AppendError) for o in outcomes)
    assert "database refused" in str(outcomes[0])
    assert _counts(db_engine) == before  # entries and nodes written before it rolled back
    assert log_store.size() == 4
    recovered = log_store.append_many(_receipts(fixed_clock(), 2))
    assert [o.seq for o in recovered if isinstance(o, AppendedEntry)] == [4, 5]
    _chain_holds(log_store)


def _kill_other_connections(url: str) -> None:
    server = make_url(url).set(drivername="postgresql")
    with psycopg.connect(server.render_as_string(hide_password=False), autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def test_database_lost_mid_batch_fails_the_batch_then_the_store_recovers(
    log_store: LogStore,
    db_engine: Engine,
    migrated_url: str,
    log_signer: NoteSigner,
    fixed_clock: FixedClock,
) -> None:
    """PostgreSQL: the connection is killed inside the batch. SQLite: the disk fills up."""
    log_store.append_many(_receipts(fixed_clock(), 4))
    before = _counts(db_engine)
    at = fixed_clock()

    if db_engine.dialect.name == "postgresql":

        def cut(ctx: AppendContext) -> Mapping[str, Any]:
            _kill_other_connections(migrated_url)
            return {"n": ctx.seq}

        failing = log_store.append_many(
            [*_receipts(at, 2), AppendRequest("receipt.issued", at, cut)]
        )
    else:
        full = create_engine_for(migrated_url)
        with full.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()

        def cap(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 2}")

        event.listen(full, "connect", cap)
        full.dispose()  # reconnect with the cap
        capped = LogStore(full, signer=log_signer, origin=log_store.origin)
        try:
            failing = capped.append_many(_receipts(at, 50, pad=2000))
        finally:
            capped.close()
            full.dispose()

    assert all(isinstance(o, StorageUnavailableError) for o in failing), failing
    assert "unavailable" in str(failing[0])
    assert _counts(db_engine) == before
    assert log_store.size() == 4
    recovered = log_store.append_many(_receipts(fixed_clock(), 3))
    assert [o.seq for o in recovered if isinstance(o, AppendedEntry)] == [4, 5, 6]
    _chain_holds(log_store)


def test_unreachable_database_is_reported_as_unavailable(
    log_signer: NoteSigner, fixed_clock: FixedClock, tmp_path: Any
) -> None:
    engine = create_engine_for("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")
    store = LogStore(engine, signer=log_signer, origin="test.bukti.example/log")
    try:
        with pytest.raises(StorageUnavailableError, match="unavailable"):
            store.append(_receipts(fixed_clock(), 1)[0])
        with pytest.raises(StorageUnavailableError):
            store.size()
    finally:
        store.close()
        engine.dispose()
    missing = create_engine_for(f"sqlite:///{tmp_path}/no-such-dir/ledger.sqlite3")
    try:
        with pytest.raises(StorageUnavailableError):
            LogStore(missing, signer=log_signer, origin="test.bukti.example/log").size()
    finally:
        missing.dispose()
