"""HTTP issuance throughput and latency, next to a bare FastAPI baseline measured in the same run.

For each database (SQLite file; PostgreSQL when reachable) the benchmark initializes a
fresh deployment, starts ``bukti serve`` (one uvicorn worker, its JSON access log on) on a
free loopback port and drives ``POST /api/v1/receipts`` from a separate load-generator
process with 32 concurrent clients, a new ``Idempotency-Key`` per request. The baseline is
a bare FastAPI endpoint served by the same uvicorn setup, driven by the same generator: it
parses the same request body into the same Pydantic model and returns a JSON body of the
same size as a real receipt.

The generator is one asyncio loop holding 32 keep-alive HTTP/1.1 connections that send
pre-encoded requests and read responses by ``Content-Length``: about 0.1 ms of CPU per
request, so on a two-core machine it leaves the server a core of its own (a thread-per-
client ``httpx`` generator spent ~1 ms per request and capped the baseline near 400 req/s).
Beside throughput and latency, each figure reports the server process's CPU time per
request, read from ``/proc``: the figure that says where a slow server spends its time.

Both servers run side by side and the load alternates between them, three rounds of
issuance then baseline (one with ``quick``): on a shared machine whose speed drifts, each
pair meets the same conditions. Every round is logged; the figures are those of the round
with the median issuance/baseline ratio.

Targets: issuance at least 50% of the baseline's requests per second, p99 under 100 ms.
``run(quick)`` returns rows ``{"name", "value", "unit", "baseline_name",
"baseline_value", "target"}``."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import queue
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psycopg
from fastapi import FastAPI, Header
from sqlalchemy.engine import make_url

from api.commands.serve import freeze_start_up_heap
from api.schemas import IssueRequest

REPO = Path(__file__).resolve().parents[1]
CLIENTS = 32
ISSUE_BODY = {"counter": "L01", "service": "RJU-SMP-01", "inputs": {"bulan": 3}}
PG_URL_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
#: Filled in by the first real issuance, so the baseline answers a body of the same size.
_PAD_ENV = "BUKTI_BENCH_RESPONSE_BYTES"


def baseline_app() -> FastAPI:
    """The baseline: parse the issuance body, answer JSON of a receipt's size (uvicorn factory).

    Its start-up heap is frozen like ``bukti serve`` freezes the service's, so both processes
    run under the same garbage-collector regime.
    """
    size = int(os.environ.get(_PAD_ENV, "1200"))
    app = FastAPI()

    @app.post("/api/v1/receipts", status_code=201)
    def issue(body: IssueRequest, idempotency_key: str = Header()) -> dict[str, Any]:
        shell = {"seq": 0, "service": body.service, "key": idempotency_key, "pad": ""}
        overhead = len(str(shell).encode()) + 2
        shell["pad"] = "x" * max(0, size - overhead)
        return shell

    freeze_start_up_heap()
    return app


def _log(message: str) -> None:
    print(f"   {message}", file=sys.stderr, flush=True)


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


def _bukti_serve(port: int) -> list[str]:
    """The product's own server command (``bukti serve``), as operators run it."""
    return [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]


def _uvicorn(app: str, port: int) -> list[str]:
    """The same uvicorn setup (one worker, no access log) serving a factory ``app``."""
    command = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1"]
    return [*command, "--port", str(port), "--log-level", "warning", "--no-access-log"]


@contextmanager
def _serve(
    command: Callable[[int], list[str]], env: dict[str, str], log: Path
) -> Iterator[tuple[str, int]]:
    """Run a server on a free port; yields its base URL and process id. Its output (the
    access log of ``bukti serve``) goes to ``log``, read back only if it fails to start."""
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own argv
            command(port), env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            _wait_ready(base, process)
        except RuntimeError as error:
            raise RuntimeError(f"{error}: {log.read_text(errors='replace')[-2000:]}") from None
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _Connection:
    """One keep-alive HTTP/1.1 connection speaking just enough of the protocol for the bench.

    The requests are pre-encoded bytes and the responses are read by ``Content-Length``, so
    the generator spends a few microseconds per request where a full client spends a
    millisecond: on a small machine the generator must not be what is measured.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def post(self, request: bytes) -> int:
        """Send one request; return the status once the whole response body has arrived."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        match = _CONTENT_LENGTH.search(head)
        if match is None:
            raise RuntimeError(f"response without Content-Length: {head[:200]!r}")
        await self.reader.readexactly(int(match.group(1)))
        return status


_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)


def _request_bytes(host: str, token: str, key: str) -> bytes:
    body = json.dumps(ISSUE_BODY, separators=(",", ":")).encode()
    lines = [
        "POST /api/v1/receipts HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        f"Idempotency-Key: {key}",
    ]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _client(
    host: str,
    port: int,
    token: str,
    prefix: str,
    *,
    count: int,
    out: list[float],
    errors: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    connection = _Connection(reader, writer)
    try:
        for i in range(count):
            request = _request_bytes(f"{host}:{port}", token, f"{prefix}-{i}")
            start = time.perf_counter()
            status = await connection.post(request)
            out.append(time.perf_counter() - start)
            if status != 201:
                errors.append(status)
    finally:
        writer.close()


async def _drive(host: str, port: int, token: str, per_client: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors: list[int] = []
    run_id = secrets.token_hex(4)
    await asyncio.gather(
        *(
            _client(
                host, port, token, f"{run_id}-{n}", count=per_client, out=latencies, errors=errors
            )
            for n in range(CLIENTS)
        )
    )
    return latencies, len(errors) and errors[0]


def _generate(base: str, token: str, per_client: int, result: Any) -> None:
    """The load generator (its own process): CLIENTS connections on one asyncio loop."""
    url = httpx.URL(base)
    cpu = time.process_time()
    start = time.perf_counter()
    latencies, failed = asyncio.run(_drive(url.host, url.port or 80, token, per_client))
    elapsed = time.perf_counter() - start
    result.put((latencies, elapsed, failed, time.process_time() - cpu))


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load(base: str, token: str, per_client: int, server_pid: int) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    result = context.Queue()
    process = context.Process(target=_generate, args=(base, token, per_client, result))
    process.start()
    server_cpu = _cpu_seconds(server_pid)
    deadline = time.monotonic() + 900
    while True:
        try:
            latencies, elapsed, failed, generator_cpu = result.get(timeout=1)
            break
        except queue.Empty:
            if not process.is_alive() or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(
                    f"the load generator ended without results (exit code {process.exitcode})"
                ) from None
    server_cpu = _cpu_seconds(server_pid) - server_cpu
    process.join()
    if failed:
        raise RuntimeError(f"requests failed, e.g. with status {failed}")
    ordered = sorted(latencies)
    return {
        "rps": len(ordered) / elapsed,
        "p50": statistics.median(ordered) * 1000,
        "p90": ordered[min(len(ordered) - 1, int(len(ordered) * 0.90))] * 1000,
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "max": ordered[-1] * 1000,
        "server_cpu_ms": server_cpu / len(ordered) * 1000,
        "generator_cpu_ms": generator_cpu / len(ordered) * 1000,
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


def _measure_backend(
    label: str, database_url: str | None, per_client: int, rounds: int
) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix=f"bukti-bench-{label}-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BUKTI_")}
        env["BUKTI_DATA_DIR"] = str(Path(tmp) / "var")
        env["BUKTI_RATE_LIMIT_PER_MINUTE"] = "1000000"
        if database_url:
            env["BUKTI_DATABASE_URL"] = database_url
        init = [sys.executable, "-m", "api.cli", "init"]
        subprocess.run(init, env=env, cwd=REPO, check=True, capture_output=True)  # noqa: S603
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        with _serve(_bukti_serve, env, Path(tmp) / "bukti-serve.log") as (base, pid):
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
            baseline = partial(_uvicorn, "bench.bench_api:baseline_app")
            with _serve(baseline, env, Path(tmp) / "baseline.log") as (bare_base, bare_pid):
                _load(base, token, max(2, per_client // 10), pid)  # warm-up
                _load(bare_base, "", max(2, per_client // 10), bare_pid)
                # Rounds alternate between the two servers (the idle one waits on its
                # socket), so a change in the machine's speed meets both alike.
                pairs = [
                    (
                        _load(base, token, per_client, pid),
                        _load(bare_base, "", per_client, bare_pid),
                    )
                    for _ in range(rounds)
                ]
    for number, (one_issue, one_bare) in enumerate(pairs, 1):
        for name, got in (("issue", one_issue), ("bare", one_bare)):
            _log(
                f"{label} round {number} {name}: {got['rps']:,.0f} req/s, latency p50/p90/p99/max "
                f"{got['p50']:.0f}/{got['p90']:.0f}/{got['p99']:.0f}/{got['max']:.0f} ms, server "
                f"CPU {got['server_cpu_ms']:.2f} ms/req, generator CPU "
                f"{got['generator_cpu_ms']:.3f} ms/req"
            )
        _log(f"{label} round {number} ratio: {one_issue['rps'] / one_bare['rps']:.2f}x")
    # The round with the median ratio stands for the run (its own pair, not a mix).
    issue, bare = sorted(pairs, key=lambda pair: pair[0]["rps"] / pair[1]["rps"])[len(pairs) // 2]
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
        {
            "name": f"api_issue_server_cpu_{label}",
            "value": round(issue["server_cpu_ms"], 3),
            "unit": "ms CPU/req",
            "baseline_name": "bare_fastapi_same_body_server_cpu",
            "baseline_value": round(bare["server_cpu_ms"], 3),
            "target": "-",
        },
    ]


def run(quick: bool) -> list[dict[str, Any]]:
    """Measure on SQLite and, when a server answers, PostgreSQL; ``quick`` sends fewer requests."""
    per_client, rounds = (10, 1) if quick else (60, 3)
    rows = _measure_backend("sqlite", None, per_client, rounds)
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
        rows += _measure_backend("postgres", url, per_client, rounds)
    finally:
        _drop_pg(name)
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(json.dumps(row))
