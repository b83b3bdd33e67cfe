"""Bring a database to the newest schema with Alembic, from code (no ``alembic.ini`` needed).

The revisions ship inside the package (``ledger/storage/migrations``), so an installed
``bukti`` can migrate its own database. Migrations run in ONE write transaction holding a
lock (``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped advisory lock on PostgreSQL), so
several workers starting at once migrate exactly once and never see half a schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, exc, text
from sqlalchemy.engine import URL

from ledger.storage.engine import create_engine_for, is_sqlite, storage_error, write_transaction

__all__ = ["current_revision", "head_revision", "locked_migration_connection", "migrate"]

#: Key of the PostgreSQL advisory lock held while migrating (any fixed 64-bit value).
_MIGRATION_LOCK_KEY = 0x62756B7469  # "bukti"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", "ledger.storage:migrations")
    config.set_main_option("path_separator", "os")
    return config


@contextmanager
def locked_migration_connection(url: str | URL) -> Iterator[Connection]:
    """A connection in a write transaction that holds the migration lock; commits on exit."""
    engine = create_engine_for(url)
    try:
        with write_transaction(engine) as conn:
            if not is_sqlite(conn):
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
            yield conn
    finally:
        engine.dispose()


def migrate(url: str | URL, revision: str = "head") -> None:
    """Upgrade the database at ``url`` to ``revision`` (default: the newest).

    Safe to run twice and from several processes at once. Raises
    :class:`~ledger.errors.StorageUnavailableError` when the database cannot be reached.
    """
    config = _config()
    try:
        with locked_migration_connection(url) as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    except exc.SQLAlchemyError as error:
        raise storage_error(error, f"migrating to {revision}") from error


def current_revision(url: str | URL) -> str | None:
    """The revision the database at ``url`` is at (``None`` for an empty database)."""
    engine = create_engine_for(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except exc.SQLAlchemyError as error:
        raise storage_error(error, "reading the schema revision") from error
    finally:
        engine.dispose()


def head_revision() -> str | None:
    """The newest revision shipped with this code."""
    return ScriptDirectory.from_config(_config()).get_current_head()
