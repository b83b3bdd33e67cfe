"""Engines, durability settings and migrations on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL

from ledger.storage import (
    UnsupportedDatabaseError,
    create_engine_for,
    current_revision,
    head_revision,
    migrate,
    migrations,
)

LEDGER_TABLES = {
    "log_head",
    "entries",
    "merkle_nodes",
    "checkpoints",
    "idempotency",
    "attachments",
    "number_series",
}


def test_sqlite_connections_are_durable(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path}/durable.sqlite3")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        engine.dispose()


def test_sqlite_reads_run_inside_a_transaction(tmp_path: Path) -> None:
    # pysqlite's legacy mode would not BEGIN before a SELECT; the engine must.
    engine = create_engine_for(f"sqlite:///{tmp_path}/tx.sqlite3")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
            raw = conn.connection.dbapi_connection
            assert raw is not None
            assert raw.in_transaction
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgresql_runs_at_read_committed(pg_server_url: URL | None) -> None:
    if pg_server_url is None:
        pytest.skip("PostgreSQL server unreachable (set BUKTI_TEST_PG_URL)")
    # A plain postgresql:// URL is given the psycopg 3 driver.
    engine = create_engine_for(pg_server_url.set(drivername="postgresql"))
    try:
        assert engine.dialect.driver == "psycopg"
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW transaction_isolation").scalar() == "read committed"
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///:memory:",
        "mysql://user@host/db",
        "postgresql+asyncpg://user@host/db",
        "sqlite+pysqlcipher:///x.db",
    ],
)
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsupportedDatabaseError, match="expected"):
        create_engine_for(url)


def test_migrate_creates_the_ledger_and_is_idempotent(db_url: str) -> None:
    assert current_revision(db_url) is None
    migrate(db_url)
    migrate(db_url)  # a second run changes nothing
    assert current_revision(db_url) == head_revision()
    engine = create_engine_for(db_url)
    try:
        assert set(inspect(engine).get_table_names()) >= LEDGER_TABLES
        with engine.connect() as conn:
            size, root = conn.execute(text("SELECT size, root FROM log_head")).one()
        assert size == 0
        assert bytes(root).hex() == (
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
    finally:
        engine.dispose()


def test_the_first_revision_is_0001_ledger() -> None:
    # Later migrations chain on this id; renaming it would orphan them.
    script = ScriptDirectory(str(Path(migrations.__file__).parent))
    assert script.get_bases() == ["0001_ledger"]
    assert script.get_revision("0001_ledger").down_revision is None


def test_the_ledger_cannot_be_downgraded(migrated_url: str) -> None:
    config = Config()
    config.set_main_option("script_location", "ledger.storage:migrations")
    config.set_main_option("path_separator", "os")
    config.set_main_option("sqlalchemy.url", migrated_url.replace("%", "%%"))
    with pytest.raises(RuntimeError, match="cannot be downgraded"):
        command.downgrade(config, "base")
    assert current_revision(migrated_url) == head_revision()


@pytest.mark.postgres
def test_postgresql_commits_are_flushed_before_acknowledged(pg_server_url: URL | None) -> None:
    if pg_server_url is None:
        pytest.skip("PostgreSQL server unreachable (set BUKTI_TEST_PG_URL)")
    relaxed = pg_server_url.update_query_dict({"options": "-c statement_timeout=0"})
    engine = create_engine_for(relaxed)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "0"
    finally:
        engine.dispose()
