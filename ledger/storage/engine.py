"""Engines for the two supported databases, with the durability settings the ledger needs.

- **SQLite** (a file): WAL journal, ``synchronous=FULL`` (a commit is on disk before it is
  acknowledged), foreign keys on, a busy timeout. pysqlite's own transaction handling is
  switched off (``isolation_level = None``) and SQLAlchemy emits ``BEGIN`` itself, so reads
  run in real transactions and the append path can ask for ``BEGIN IMMEDIATE``
  (SQLAlchemy 2 SQLite dialect docs, "Enabling Non-Legacy SQLite Transactional Modes").
- **PostgreSQL** through psycopg 3 at READ COMMITTED with ``pool_pre_ping`` and
  ``synchronous_commit=on`` (set per connection, whatever the server default); appends
  serialize on ``SELECT … FOR UPDATE`` of the head row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url

from ledger.storage.errors import (
    StorageError,
    StorageUnavailableError,
    UnsupportedDatabaseError,
)

__all__ = [
    "BUSY_TIMEOUT_MS",
    "create_engine_for",
    "is_sqlite",
    "storage_error",
    "write_transaction",
]

#: How long a SQLite writer waits for another process's write lock before giving up
#: (sqlite3's ``timeout``, i.e. ``sqlite3_busy_timeout``; override with ``connect_args``).
BUSY_TIMEOUT_MS = 30_000

#: Execution option read by the ``begin`` hook: open the SQLite transaction IMMEDIATE.
_BEGIN_IMMEDIATE = "bukti_begin_immediate"


def _normalize(url: str | URL) -> URL:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.drivername != "sqlite":
            raise UnsupportedDatabaseError(
                "expected the standard sqlite3 driver ('sqlite:///FILE'), "
                f"found {parsed.drivername!r}"
            )
        if parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory":
            raise UnsupportedDatabaseError(
                "expected a SQLite file ('sqlite:///path/to/bukti.sqlite3'), found an in-memory "
                "database, which cannot be shared between connections or survive a restart"
            )
        return parsed
    if backend in ("postgresql", "postgres"):
        if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
            # A commit is acknowledged only once flushed, whatever the server's default.
            options = str(parsed.query.get("options", ""))
            if "synchronous_commit" not in options:
                options = f"{options} -c synchronous_commit=on".strip()
            return parsed.set(drivername="postgresql+psycopg").update_query_dict(
                {"options": options}
            )
        raise UnsupportedDatabaseError(
            f"expected the psycopg 3 driver ('postgresql+psycopg://'), found {parsed.drivername!r}"
        )
    raise UnsupportedDatabaseError(
        f"expected a 'sqlite:///FILE' or 'postgresql+psycopg://' URL, found {backend!r}"
    )


def is_sqlite(engine: Engine | Connection) -> bool:
    """True when ``engine`` talks to SQLite (the append lock differs per backend)."""
    return engine.dialect.name == "sqlite"


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy: pysqlite must not emit BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        mode = cursor.fetchone()[0]
        if str(mode).lower() != "wal":
            raise StorageUnavailableError(f"expected SQLite journal_mode 'wal', found {mode!r}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so two appenders never both read the
    # same head and then collide at commit (SQLite "Transaction" docs, §2.1).
    immediate = conn.get_execution_options().get(_BEGIN_IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engine_for(url: str | URL, **kwargs: Any) -> Engine:
    """An :class:`~sqlalchemy.Engine` for a SQLite file or a PostgreSQL server.

    Extra keyword arguments go to :func:`sqlalchemy.create_engine` (pool sizes, echo).
    Raises :class:`UnsupportedDatabaseError` for any other kind of URL.
    """
    parsed = _normalize(url)
    kwargs.setdefault("hide_parameters", True)  # no bound value (token digest, text) in a log
    if parsed.get_backend_name() == "sqlite":
        connect_args = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        connect_args.update(kwargs.pop("connect_args", {}))
        engine = create_engine(parsed, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("isolation_level", "READ COMMITTED")
    return create_engine(parsed, **kwargs)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction: ``BEGIN IMMEDIATE`` on SQLite, plain on PostgreSQL.

    Commits on normal exit, rolls back on an exception.
    """
    with engine.connect() as plain:
        conn = plain.execution_options(**{_BEGIN_IMMEDIATE: True}) if is_sqlite(plain) else plain
        with conn.begin():
            yield conn


def storage_error(
    error: exc.SQLAlchemyError, doing: str, refused: type[StorageError] = StorageError
) -> StorageError:
    """Map a SQLAlchemy/DB-API failure to the ledger's storage errors.

    Operational failures (connection lost, server shut down, disk full, lock timeout) are
    :class:`StorageUnavailableError`: the request may be retried once the database is back.
    Anything else (a constraint or trigger refusing the statement) becomes ``refused``
    (:class:`AppendError` on the append path).
    """
    detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    if isinstance(error, exc.OperationalError | exc.InterfaceError | exc.DisconnectionError):
        return StorageUnavailableError(f"{doing}: database unavailable: {detail}")
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return StorageUnavailableError(f"{doing}: connection lost: {detail}")
    return refused(f"{doing}: database refused the statement: {detail}")
