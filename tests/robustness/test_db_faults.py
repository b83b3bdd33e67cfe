"""Database faults under load: the service says "retry later", writes nothing partial, recovers.

- **PostgreSQL connections killed** (``pg_terminate_backend`` on every backend of the
  service's database, repeatedly, while counter clients issue receipts): each request either
  succeeds (possibly on retry with its ``Idempotency-Key``) or is answered ``503``
  ``application/problem+json`` with ``Retry-After``; no request gets another 5xx; the log
  verifies with exactly one receipt per key; the same server process serves again once the
  terminations stop. A full stop of the PostgreSQL server is too disruptive for a CI machine
  shared with other suites: that variant runs only in soak mode (``make soak``).
- **SQLite on a full file system**: the data directory sits on a ``tmpfs`` mounted with a
  small ``size=``; receipts are issued until the disk is full. Every failure is a clear
  ``503`` problem, the log still verifies (no torn write), and once the mount is enlarged
  the same server issues again. Where mounting is not permitted (not root), the server
  gets a ``RLIMIT_FSIZE`` instead (``prlimit`` on its pid), lifted the same way.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.robustness.checks import (
    Ack,
    check_acknowledged,
    check_log,
    cose_of,
    summary,
    verify_problem,
)
from tests.robustness.conftest import DeploymentFactory, Golden
from tests.robustness.harness import ServerHarness, libpq, pg_server_or_skip, soak_mode
from tests.robustness.load import IssueLoad, Outcome


def _terminate_backends(database: str) -> int:
    """``pg_terminate_backend`` every connection to ``database``; how many were ended."""
    with psycopg.connect(libpq(pg_server_or_skip()), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchall()
    return sum(1 for (ended,) in rows if ended)


def _check_outcomes(harness: ServerHarness, outcomes: list[Outcome], baseline_size: int) -> None:
    failures = [(o.key, o.failure) for o in outcomes if o.failure]
    assert not failures, failures[:5]
    for outcome in outcomes:
        for status, content_type, retry_after in outcome.server_errors:
            assert status == 503, (outcome.key, status)
            assert content_type.startswith("application/problem+json")
            assert retry_after is not None
            assert int(retry_after) >= 1
    acks = [o.ack for o in outcomes if o.ack is not None]
    assert len(acks) == len(outcomes)
    facts = check_log(harness)
    with harness.log_store() as store:
        check_acknowledged(store, harness.trust_list(), acks)
    # One receipt per key and nothing else appended: no partial or duplicated write.
    assert len({a.seq for a in acks}) == len(acks)
    assert facts.size == baseline_size + len(acks)


def _issue_once(client: httpx.Client, token: str) -> httpx.Response:
    return client.post(
        "/api/v1/receipts",
        json={"counter": "L01", "service": "RJU-PKR-01"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
    )


@pytest.mark.postgres
def test_attack_postgres_connections_terminated_under_load(deployment: DeploymentFactory) -> None:
    harness = deployment("postgres")
    assert harness.database_url is not None
    database = make_url(harness.database_url).database
    assert database is not None
    harness.start()
    baseline = check_log(harness).size
    token = harness.login("loket.dlh")
    load = IssueLoad(harness.base_url, token, threads=4, seed=11)
    load.start()
    terminated = 0
    try:
        for _ in range(8):
            load.wait_for_acks(len(load.acks()) + 5)
            terminated += _terminate_backends(database)
            time.sleep(0.2)
    finally:
        outcomes = load.stop()

    # Recovered by itself: the same process answers, and a new receipt is issued at once.
    assert harness.running
    assert harness.starts == 1
    with harness.client() as client:
        response = _issue_once(client, token)
    assert response.status_code == 201, response.text
    _check_outcomes(harness, outcomes, baseline + 1)
    figures = {"backend": "postgres", "backends_terminated": terminated}
    figures.update(IssueLoad.figures(outcomes))
    print(summary(figures))
    assert terminated >= 8


@pytest.mark.slow
@pytest.mark.postgres
def test_attack_postgres_server_stopped_under_load(deployment: DeploymentFactory) -> None:
    """Soak only: stops and restarts the whole PostgreSQL cluster (disrupts other users)."""
    if not soak_mode():
        pytest.skip("stops the PostgreSQL server: soak mode only (BUKTI_SOAK=1)")
    clusters = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not clusters or shutil.which("pg_ctlcluster") is None:
        pytest.skip("no local PostgreSQL cluster to stop (pg_ctlcluster)")
    harness = deployment("postgres")
    harness.start()
    baseline = check_log(harness).size
    token = harness.login("loket.dlh")
    load = IssueLoad(harness.base_url, token, threads=4, seed=12, drain_s=120)
    load.start()
    try:
        for _ in range(3):
            load.wait_for_acks(len(load.acks()) + 5)
            control = ["pg_ctlcluster", "--skip-systemctl-redirect", clusters[-1], "main"]
            subprocess.run([*control, "stop", "-m", "immediate"], check=True)
            time.sleep(2)
            subprocess.run([*control, "start"], check=True)
    finally:
        outcomes = load.stop()
    assert harness.running
    assert harness.starts == 1
    _check_outcomes(harness, outcomes, baseline)
    print(summary({"backend": "postgres", "server_stops": 3, **IssueLoad.figures(outcomes)}))


# -- SQLite on a full file system -----------------------------------------------------------


@contextmanager
def _small_filesystem(path: Path, size_kib: int) -> Iterator[str]:
    """A tmpfs of ``size_kib`` at ``path``; yields ``"tmpfs"``, or ``"rlimit"`` if not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    forced = os.environ.get("BUKTI_TEST_FULL_DISK") == "rlimit"  # exercise the fallback
    mounted = not forced and (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0700", "tmpfs", str(path)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    try:
        yield "tmpfs" if mounted else "rlimit"
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def _tree_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _fill_until_full(harness: ServerHarness, token: str) -> tuple[list[Ack], list[httpx.Response]]:
    """Issue receipts one by one until the database refuses three times in a row."""
    acks: list[Ack] = []
    refusals: list[httpx.Response] = []
    with harness.client() as client:
        for _ in range(2000):
            response = _issue_once(client, token)
            if response.status_code == 201:
                body = response.json()
                acks.append(Ack("", int(body["seq"]), str(body["receipt_no"]), cose_of(body)))
                refusals.clear()
                continue
            refusals.append(response)
            if len(refusals) >= 3:
                break
    return acks, refusals


def _limit_file_size(pid: int, limit: int) -> None:
    """The ``RLIMIT_FSIZE`` emulation of a full disk: no file of ``pid`` grows past ``limit``."""
    # Only the soft limit moves: raising a hard limit again needs CAP_SYS_RESOURCE.
    _, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, hard))


def test_attack_sqlite_disk_full(
    deployment: DeploymentFactory, golden: Golden, tmp_path: Path
) -> None:
    needed = _tree_bytes(golden.get("sqlite").data_dir)
    small = tmp_path / "small"
    headroom = 1024 * 1024  # room for the server's -wal/-shm files and a few receipts
    with _small_filesystem(small, (needed + headroom) // 1024) as mode:
        harness = deployment("sqlite", data_dir=small / "var")
        harness.start()
        assert harness.pid is not None
        baseline = check_log(harness).size
        token = harness.login("loket.dlh")
        if mode == "rlimit":
            largest = max(f.stat().st_size for f in harness.data_dir.rglob("*") if f.is_file())
            _limit_file_size(harness.pid, largest + headroom)

        acks, refusals = _fill_until_full(harness, token)
        assert acks, "expected some receipts before the disk filled up"
        assert len(refusals) == 3, "the disk never filled up"
        for response in refusals:
            problem = verify_problem(response)
            assert response.status_code == 503, (response.status_code, problem)
            assert int(response.headers["retry-after"]) >= 1
        full_facts = check_log(harness)  # readable and intact while the disk is full
        assert full_facts.size == baseline + len(acks)

        # Space returns: the same server process issues again, nothing was lost or torn.
        if mode == "tmpfs":
            subprocess.run(["mount", "-o", "remount,size=64m", str(small)], check=True)
        else:
            _limit_file_size(harness.pid, resource.RLIM_INFINITY)
        with harness.client() as client:
            response = _issue_once(client, token)
        assert response.status_code == 201, response.text
        body = response.json()
        acks.append(Ack("", int(body["seq"]), str(body["receipt_no"]), cose_of(body)))
        assert harness.running
        assert harness.starts == 1
        facts = check_log(harness)
        with harness.log_store() as store:
            check_acknowledged(store, harness.trust_list(), acks)
        assert facts.size == baseline + len(acks)
        harness.stop()
    print(
        summary(
            {
                "backend": "sqlite",
                "full_disk_emulation": mode,
                "receipts_before_full": len(acks) - 1,
                "refusals_503": len(refusals),
            }
        )
    )
