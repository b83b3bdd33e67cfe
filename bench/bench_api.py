"""HTTP issuance throughput and latency, next to a bare FastAPI baseline measured in the same run.

For each database (SQLite file; PostgreSQL when reachable) the benchmark initializes a
fresh deployment, starts ``bukti serve`` (one uvicorn worker) on a free loopback port and
drives ``POST /api/v1/receipts`` from a separate load-generator process with 32
concurrent clients (threads with one keep-alive ``httpx`` connection each, a new
``Idempotency-Key`` per request). The baseline is a bare FastAPI endpoint served by the
same uvicorn setup, driven by the same generator: it parses the same request body into
the same Pydantic model and returns a JSON body of the same size as a real receipt.

Targets: issuance at least 50% of the baseline's requests per second, p99 under 100 ms.
``run(quick)`` returns rows ``{"name", "value", "unit", "baseline_name",
"baseline_value", "target"}``.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
from fastapi import FastAPI, Header
from sqlalchemy.engine import make_url

from api.schemas import IssueRequest

REPO = Path(__file__).resolve().parents[1]
CLIENTS = 32
ISSUE_BODY = {"counter": "L01", "service": "RJU-SMP-01", "inputs": {"bulan": 3}}
PG_URL_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
#: Filled in by the first real issuance, so the baseline answers a body of the same size.
_PAD_ENV = "BUKTI_BENCH_RESPONSE_BYTES"


def baseline_app() -> FastAPI:
    """The baseline: parse the issuance body, answer JSON of a receipt's size (uvicorn factory)."""
    size = int(os.environ.get(_PAD_ENV, "1200"))
    app = FastAPI()

    @app.post("/api/v1/receipts", status_code=201)
    def issue(body: IssueRequest, idempotency_key: str = Header()) -> dict[str, Any]:
        shell = {"seq": 0, "service": body.service, "key": idempotency_key, "pad": ""}
        overhead = len(str(shell).encode()) + 2
        shell["pad"] = "x" * max(0, size - overhead)
        return shell

    return app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            httpx.get(f"{base}/openapi.json", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("server did not start within 60 s")


@contextmanager
def _serve(app: str, env: dict[str, str], factory: bool = True) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--log-level", "warning", "--no-access-log", "--app-dir", str(REPO)]
    if factory:
        command.append("--factory")
    process = subprocess.Popen(command, env=env, cwd=REPO)  # noqa: S603 - our own argv
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _client_loop(
    base: str, token: str, prefix: str, count: int, *, out: list[float], errors: list[int]
) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(base_url=base, timeout=30) as http:
        for i in range(count):
            start = time.perf_counter()
            response = http.post(
                "/api/v1/receipts",
                json=ISSUE_BODY,
                headers={**headers, "Idempotency-Key": f"{prefix}-{i}"},
            )
            out.append(time.perf_counter() - start)
            if response.status_code != 201:
                errors.append(response.status_code)


def _generate(base: str, token: str, per_client: int, result: Any) -> None:
    """The load generator (its own process): CLIENTS threads, each ``per_client`` requests."""
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    errors: list[int] = []
    run_id = secrets.token_hex(4)
    threads = [
        threading.Thread(
            target=_client_loop,
            args=(base, token, f"{run_id}-{n}", per_client),
            kwargs={"out": latencies[n], "errors": errors},
        )
        for n in range(CLIENTS)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    result.put(([x for lane in latencies for x in lane], elapsed, errors))


def _load(base: str, token: str, per_client: int) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    result = context.Queue()
    process = context.Process(target=_generate, args=(base, token, per_client, result))
    process.start()
    latencies, elapsed, errors = result.get(timeout=900)
    process.join()
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, e.g. status {errors[0]}")
    ordered = sorted(latencies)
    return {
        "rps": len(ordered) / elapsed,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


def _pg_database() -> tuple[str, str] | None:
    """A fresh PostgreSQL database (URL, name), or ``None`` when no server answers."""
    server = make_url(os.environ.get("BUKTI_TEST_PG_URL", PG_URL_DEFAULT))
    libpq = server.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"bukti_bench_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(libpq, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error:
        return None
    return server.set(database=name).render_as_string(hide_password=False), name


def _drop_pg(name: str) -> None:
    server = make_url(os.environ.get("BUKTI_TEST_PG_URL", PG_URL_DEFAULT))
    libpq = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _measure_backend(label: str, database_url: str | None, per_client: int) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix=f"bukti-bench-{label}-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BUKTI_")}
        env["BUKTI_DATA_DIR"] = str(Path(tmp) / "var")
        env["BUKTI_RATE_LIMIT_PER_MINUTE"] = "1000000"
        if database_url:
            env["BUKTI_DATABASE_URL"] = database_url
        init = [sys.executable, "-m", "api.cli", "init"]
        subprocess.run(init, env=env, cwd=REPO, check=True, capture_output=True)  # noqa: S603
        with _serve("api.app:app_from_env", env) as base:
            token = httpx.post(
                f"{base}/api/v1/auth/login",
                json={"username": "loket.dlh", "password": "demo-loket-2024"},
            ).json()["token"]
            first = httpx.post(
                f"{base}/api/v1/receipts",
                json=ISSUE_BODY,
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "warm-up"},
            )
            first.raise_for_status()
            env[_PAD_ENV] = str(len(first.content))
            _load(base, token, max(2, per_client // 10))  # warm-up
            issue = _load(base, token, per_client)
        with _serve("bench.bench_api:baseline_app", env) as base:
            _load(base, "", max(2, per_client // 10))  # warm-up
            bare = _load(base, "", per_client)
    ratio_target = ">= 0.5 x baseline req/s"
    return [
        {
            "name": f"api_issue_throughput_{label}",
            "value": round(issue["rps"], 1),
            "unit": "req/s",
            "baseline_name": "bare_fastapi_same_body",
            "baseline_value": round(bare["rps"], 1),
            "target": ratio_target,
        },
        {
            "name": f"api_issue_p50_{label}",
            "value": round(issue["p50"], 2),
            "unit": "ms",
            "baseline_name": "bare_fastapi_same_body_p50",
            "baseline_value": round(bare["p50"], 2),
            "target": "-",
        },
        {
            "name": f"api_issue_p99_{label}",
            "value": round(issue["p99"], 2),
            "unit": "ms",
            "baseline_name": "bare_fastapi_same_body_p99",
            "baseline_value": round(bare["p99"], 2),
            "target": "< 100 ms",
        },
    ]


def run(quick: bool) -> list[dict[str, Any]]:
    """Measure on SQLite and, when a server answers, PostgreSQL; ``quick`` sends fewer requests."""
    per_client = 10 if quick else 60
    rows = _measure_backend("sqlite", None, per_client)
    pg = _pg_database()
    if pg is None:
        rows.append(
            {
                "name": "api_issue_throughput_postgres",
                "value": None,
                "unit": "req/s",
                "baseline_name": "bare_fastapi_same_body",
                "baseline_value": None,
                "target": "skipped: no PostgreSQL server (BUKTI_TEST_PG_URL)",
            }
        )
        return rows
    url, name = pg
    try:
        rows += _measure_backend("postgres", url, per_client)
    finally:
        _drop_pg(name)
    return rows


if __name__ == "__main__":
    import json

    for row in run(quick="--quick" in sys.argv):
        print(json.dumps(row))
