"""Fixtures shared by every suite.

- ``db_url``: a fresh, empty database per test, once on SQLite (a file in ``tmp_path``) and
  once on PostgreSQL. On PostgreSQL each session creates a database with a random name on
  the server named by ``BUKTI_TEST_PG_URL`` (dropped ``WITH (FORCE)`` at the end) and each
  test gets a fresh schema in it, alone on the URL's ``search_path`` and dropped after the
  test: creating and migrating a whole database per test costs 0.2-0.4 s, a schema half
  that. Without a reachable server the PostgreSQL runs are skipped — unless
  ``BUKTI_REQUIRE_PG=1`` or ``CI=true``, where they fail.
- ``migrated_url``: ``db_url`` at the newest schema; ``db_engine``: an engine on it.
- ``pg_server_url`` (session): the PostgreSQL server, or ``None`` when it is unreachable.
- ``log_signer`` / ``log_verifier``: the fixed test log key; ``TEST_ORIGIN`` its log.
- ``log_store``: a :class:`ledger.storage.LogStore` on ``migrated_url``.
- ``fixed_clock``: a :class:`FixedClock`, deterministic UTC milliseconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url

from ledger.note import NoteSigner, NoteVerifier
from ledger.storage import LogStore, create_engine_for, migrate

PG_URL_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TEST_ORIGIN = "test.bukti.example/log"
TEST_LOG_SEED = hashlib.sha256(b"bukti test log key").digest()
#: 2025-01-01 00:00 WIB (UTC+7), in UTC milliseconds.
FIXED_START_MS = 1_735_664_400_000


T = TypeVar("T")


def run_async(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(main())`` on a thread of its own, with an event loop of its own.

    The browser suite drives Chromium through Playwright's synchronous API, which keeps an
    event loop running in the test process's main thread; ``asyncio.run`` refuses to start
    a second one there. Exceptions of ``main`` are raised here.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(asyncio.run(main()))
        except BaseException as error:  # re-raised in the calling thread
            failure.append(error)

    thread = threading.Thread(target=run, name="test-event-loop")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]


class FixedClock:
    """A clock that only moves when told to: ``clock()`` is the time in UTC milliseconds."""

    def __init__(self, start_ms: int = FIXED_START_MS) -> None:
        self.now_ms = start_ms

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, ms: int) -> int:
        self.now_ms += ms
        return self.now_ms


def _pg_required() -> bool:
    return os.environ.get("BUKTI_REQUIRE_PG") == "1" or os.environ.get("CI", "").lower() == "true"


def _libpq(url: URL) -> str:
    """The SQLAlchemy URL as a libpq connection string for psycopg."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_server_url() -> URL | None:
    """The PostgreSQL server to create test databases on, or ``None`` when unreachable."""
    url = make_url(os.environ.get("BUKTI_TEST_PG_URL", PG_URL_DEFAULT))
    try:
        with psycopg.connect(_libpq(url), connect_timeout=3, autocommit=True):
            pass
    except psycopg.Error as error:
        if _pg_required():
            pytest.fail(f"PostgreSQL is required (BUKTI_REQUIRE_PG/CI) but unreachable: {error}")
        return None
    return url


@pytest.fixture(scope="session")
def pg_session_url(pg_server_url: URL | None) -> Iterator[URL | None]:
    """A database with a random name for this test session (one per xdist worker)."""
    if pg_server_url is None:
        yield None
        return
    name = f"bukti_test_{secrets.token_hex(6)}"
    with psycopg.connect(_libpq(pg_server_url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_server_url.set(database=name)
    finally:
        with psycopg.connect(_libpq(pg_server_url), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _pg_schema(session: URL) -> Iterator[str]:
    """A fresh schema in the session database, as the only one on the URL's search path.

    Connections made through the URL carry the schema as their ``application_name``, so
    that any left open (a killed writer, a leaked engine) can be ended before the drop.
    """
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(_libpq(session), autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = session.update_query_dict(
            {"options": f"-csearch_path={schema}", "application_name": schema}
        )
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(session), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s AND pid <> pg_backend_pid()",
                (schema,),
            )
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh, empty database for one test, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'ledger.sqlite3'}"
        return
    session: URL | None = request.getfixturevalue("pg_session_url")
    if session is None:
        pytest.skip("PostgreSQL server unreachable (set BUKTI_TEST_PG_URL)")
    with _pg_schema(session) as url:
        yield url


@pytest.fixture
def migrated_url(db_url: str) -> str:
    """``db_url`` migrated to the newest schema."""
    migrate(db_url)
    return db_url


@pytest.fixture
def db_engine(migrated_url: str) -> Iterator[Engine]:
    engine = create_engine_for(migrated_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def log_signer() -> NoteSigner:
    return NoteSigner(TEST_ORIGIN, TEST_LOG_SEED)


@pytest.fixture(scope="session")
def log_verifier(log_signer: NoteSigner) -> NoteVerifier:
    return log_signer.verifier()


@pytest.fixture
def log_store(db_engine: Engine, log_signer: NoteSigner) -> Iterator[LogStore]:
    store = LogStore(db_engine, signer=log_signer, origin=TEST_ORIGIN)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def fixed_clock() -> FixedClock:
    return FixedClock()
