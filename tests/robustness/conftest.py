"""Fixtures of the robustness suites: deployments (server harnesses) on each backend.

``bukti init`` runs once per backend and test session (a *golden* deployment: the real
command, with the real Argon2 parameters); each test then gets a copy of it — the data
directory copied, and on PostgreSQL a new database made from the golden one with
``CREATE DATABASE … TEMPLATE`` — so a test starts from a freshly initialized deployment in
a fraction of a second instead of the command's several seconds.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.robustness.harness import (
    ServerHarness,
    fresh_pg_database,
    libpq,
    pg_server_or_skip,
)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]

DeploymentFactory = Callable[..., ServerHarness]


class Golden:
    """One initialized deployment per backend, made on first use and copied for each test."""

    def __init__(self, root: Path, stack: ExitStack) -> None:
        self._root = root
        self._stack = stack
        self._made: dict[str, ServerHarness] = {}

    def get(self, backend: str) -> ServerHarness:
        if backend not in self._made:
            database_url = None
            if backend == "postgres":
                database_url = self._stack.enter_context(fresh_pg_database(pg_server_or_skip()))
            harness = ServerHarness(self._root / backend, database_url=database_url)
            harness.init()
            self._made[backend] = harness
        return self._made[backend]


@pytest.fixture(scope="session")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Golden]:
    with ExitStack() as stack:
        yield Golden(tmp_path_factory.mktemp("golden"), stack)


def _copy_pg_database(golden_url: str) -> str:
    """A new database made from the golden one; its SQLAlchemy URL (dropped by the caller)."""
    source = make_url(golden_url)
    name = f"bukti_robust_{secrets.token_hex(6)}"
    with psycopg.connect(libpq(pg_server_or_skip()), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"')
    return source.set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(url: str) -> None:
    parsed = make_url(url)
    with psycopg.connect(libpq(pg_server_or_skip()), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')


@pytest.fixture
def deployment(tmp_path: Path, golden: Golden) -> Iterator[DeploymentFactory]:
    """Makes initialized, not yet started deployments; stops servers and drops databases after.

    ``deployment("sqlite")`` keeps the SQLite file in the data directory;
    ``deployment("postgres")`` gets its own database on ``BUKTI_TEST_PG_URL``. ``env`` adds
    ``BUKTI_`` settings of the server; ``data_dir`` puts the data directory elsewhere (on a
    small file system, say).
    """
    with ExitStack() as stack:

        def make(
            backend: str,
            *,
            env: dict[str, str] | None = None,
            name: str = "d",
            data_dir: Path | None = None,
        ) -> ServerHarness:
            source = golden.get(backend)
            database_url = None
            if source.database_url is not None:
                database_url = _copy_pg_database(source.database_url)
                stack.callback(_drop_pg_database, database_url)
            root = tmp_path / name
            target = data_dir or root / "var"
            shutil.copytree(source.data_dir, target, dirs_exist_ok=True)
            harness = ServerHarness(root, database_url=database_url, env=env, data_dir=target)
            stack.enter_context(harness)
            return harness

        yield make
