"""Fixtures of the audit suite.

- ``honest_template``: one populated SQLite log per session (``populate.py``), checkpointed
  into a single file so that copying the file copies the log;
- ``honest_log``: a private copy of it for one test, which the test may tamper with;
- ``populated``: a freshly populated log on each backend of ``db_url`` (SQLite and
  PostgreSQL), for the suites that must run on both.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine

from audit import AuditOptions, AuditResult, DatabaseSource, run_audit
from ledger.note import NoteSigner
from ledger.storage import LogStore, create_engine_for, migrate
from tests.audit.populate import populate
from tests.audit.tamper import attacker_engine, drop_triggers
from tests.conftest import FIXED_START_MS, TEST_ORIGIN

#: Audits in tests run in this process: deterministic and fast to start.
INLINE = AuditOptions(workers=0)


@dataclass(frozen=True)
class Metadata:
    """What the tests need to know about a populated log."""

    trust_list: bytes
    seqs: dict[str, int]
    receipts: list[int]
    users: dict[str, str]
    clock_ms: int


@dataclass
class LogUnderTest:
    """A populated log on some database, and how to audit it."""

    url: str
    meta: Metadata
    signer: NoteSigner
    _engines: list[Engine] = field(default_factory=list)

    @property
    def seqs(self) -> dict[str, int]:
        return self.meta.seqs

    def source(self) -> DatabaseSource:
        return DatabaseSource.open(self.url, origin=TEST_ORIGIN, trust_list=self.meta.trust_list)

    def audit(
        self, options: AuditOptions = INLINE, *, since_note: bytes | None = None
    ) -> AuditResult:
        with self.source() as src:
            return run_audit(src, options, since_note=since_note)

    def attacker(self) -> Engine:
        """An engine with the append-only triggers dropped."""
        engine = attacker_engine(self.url)
        self._engines.append(engine)
        drop_triggers(engine)
        return engine

    def store(self) -> LogStore:
        """The ledger store, with the real log key (for entries 'written directly')."""
        engine = create_engine_for(self.url)
        self._engines.append(engine)
        return LogStore(engine, signer=self.signer, origin=TEST_ORIGIN)

    def close(self) -> None:
        for engine in self._engines:
            engine.dispose()


@dataclass(frozen=True)
class Template:
    path: Path
    meta: Metadata


def build(
    url: str, signer: NoteSigner, *, days: int = 3, skip_deposit: tuple[str, int] | None = None
) -> Metadata:
    """Migrate and populate the database at ``url``."""
    migrate(url)
    engine = create_engine_for(url)
    store = LogStore(engine, signer=signer, origin=TEST_ORIGIN)
    try:
        population = populate(
            store,
            log_public_key=signer.public_key,
            log_key_name=TEST_ORIGIN,
            start_ms=FIXED_START_MS,
            days=days,
            skip_deposit=skip_deposit,
        )
    finally:
        store.close()
        engine.dispose()
    return Metadata(
        population.trust_list,
        dict(population.seqs),
        list(population.receipts),
        dict(population.users),
        population.clock_ms,
    )


@pytest.fixture(scope="session")
def honest_template(tmp_path_factory: pytest.TempPathFactory, log_signer: NoteSigner) -> Template:
    path = tmp_path_factory.mktemp("template") / "honest.sqlite3"
    meta = build(f"sqlite:///{path}", log_signer)
    with sqlite3.connect(path) as conn:  # fold the WAL into the file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return Template(path, meta)


@pytest.fixture
def honest_log(
    honest_template: Template, tmp_path: Path, log_signer: NoteSigner
) -> Iterator[LogUnderTest]:
    path = tmp_path / "log.sqlite3"
    shutil.copyfile(honest_template.path, path)
    log = LogUnderTest(f"sqlite:///{path}", honest_template.meta, log_signer)
    yield log
    log.close()


@pytest.fixture
def populated(db_url: str, log_signer: NoteSigner) -> Iterator[LogUnderTest]:
    log = LogUnderTest(db_url, build(db_url, log_signer, days=2), log_signer)
    yield log
    log.close()
