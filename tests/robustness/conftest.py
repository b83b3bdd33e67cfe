"""Fixtures of the robustness suites: a deployment (server harness) on each backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.robustness.harness import ServerHarness, fresh_pg_database, pg_server_or_skip

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]

DeploymentFactory = Callable[..., ServerHarness]


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[DeploymentFactory]:
    """Makes initialized-but-not-started deployments; stops servers and drops databases after.

    ``deployment("sqlite")`` keeps the SQLite file in the data directory;
    ``deployment("postgres")`` gets a fresh database on ``BUKTI_TEST_PG_URL``.
    """
    with ExitStack() as stack:

        def make(backend: str, *, env: dict[str, str] | None = None, name: str = "d") -> ServerHarness:
            database_url = None
            if backend == "postgres":
                database_url = stack.enter_context(fresh_pg_database(pg_server_or_skip()))
            harness = ServerHarness(tmp_path / name, database_url=database_url, env=env)
            stack.enter_context(harness)
            harness.init()
            return harness

        yield make
