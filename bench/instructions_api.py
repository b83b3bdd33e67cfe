"""Instructions per request of issuance and of the bare baseline, counted by callgrind.

Throughput on a shared two-core machine moves with whatever else runs on it; the number of
instructions a server executes per request does not. This tool runs each server of
``bench_api`` (``bukti serve`` and the bare FastAPI baseline) under ``valgrind
--tool=callgrind`` with instrumentation off, drives it with the same load generator
(32 connections), switches counting on for the measured requests only
(``callgrind_control -i on``/``off``), and prints instructions per request of every thread
of the server process — the event loop, the group-commit thread, the log writer — and the
ratio of the two. Work done without the interpreter lock (Ed25519 signing, SQLite's own
code) counts here but runs beside the event loop, so the throughput ratio is at least this
ratio when the server is bound by the interpreter lock. Instructions in the kernel and in
the PostgreSQL server process are not counted.

Slow (each server starts in ~1 minute under valgrind) and not part of ``make bench``. Needs
``valgrind`` on the PATH. Usage::

    python -m bench.instructions_api [--postgres] [--requests-per-client N]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import httpx

from bench import bench_api

_COLLECTED = re.compile(r"Collected : (\d+)")


def _deployment(database_url: str | None, workdir: Path) -> dict[str, str]:
    """``bukti init`` once in ``workdir``; the environment both servers run with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUKTI_")}
    env["BUKTI_DATA_DIR"] = str(workdir / "var")
    env["BUKTI_RATE_LIMIT_PER_MINUTE"] = "1000000"
    if database_url:
        env["BUKTI_DATABASE_URL"] = database_url
    init = [sys.executable, "-m", "api.cli", "init"]
    subprocess.run(init, env=env, cwd=bench_api.REPO, check=True, capture_output=True)  # noqa: S603
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(bench_api.REPO), env.get("PYTHONPATH")]))
    env[bench_api._PAD_ENV] = "1000"
    return env


def _count(which: str, env: dict[str, str], per_client: int, workdir: Path) -> tuple[int, int]:
    """Instructions and requests of ``which`` (``issue`` or ``bare``) under callgrind."""
    port = bench_api._free_port()
    if which == "issue":
        server = bench_api._bukti_serve(port)
    else:
        server = partial(bench_api._uvicorn, "bench.bench_api:baseline_app")(port)
    log_path = workdir / f"{which}.log"
    valgrind = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={workdir / f'{which}.callgrind'}",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own argv
            [*valgrind, *server], env=env, cwd=bench_api.REPO, stdout=log, stderr=log
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                httpx.get(f"{base}/openapi.json", timeout=10)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log_path.read_text(errors="replace")[-2000:]) from None
                time.sleep(1)
        token = ""
        if which == "issue":
            login = {"username": "loket.dlh", "password": "demo-loket-2024"}
            token = httpx.post(f"{base}/api/v1/auth/login", json=login, timeout=120).json()["token"]
        bench_api._load(base, token, 2, process.pid)  # warm-up, not counted
        control = ["callgrind_control", "-i"]
        subprocess.run([*control, "on", str(process.pid)], check=True, capture_output=True)  # noqa: S603
        bench_api._load(base, token, per_client, process.pid)
        subprocess.run([*control, "off", str(process.pid)], check=True, capture_output=True)  # noqa: S603
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=300)
    found = _COLLECTED.findall(log_path.read_text(errors="replace"))
    if not found:
        raise RuntimeError(f"callgrind reported no total: {log_path}")
    return int(found[-1]), per_client * bench_api.CLIENTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions_api", description=__doc__)
    parser.add_argument("--postgres", action="store_true", help="issue on PostgreSQL")
    parser.add_argument("--requests-per-client", type=int, default=5, metavar="N")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed", file=sys.stderr)
        return 2
    database = bench_api._pg_database() if args.postgres else None
    if args.postgres and database is None:
        print("no PostgreSQL server answers (BUKTI_TEST_PG_URL)", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="bukti-instructions-") as tmp:
            env = _deployment(database[0] if database else None, Path(tmp))
            counts = {
                which: _count(which, env, args.requests_per_client, Path(tmp))
                for which in ("bare", "issue")
            }
    finally:
        if database:
            bench_api._drop_pg(database[1])
    per_request = {which: total / n for which, (total, n) in counts.items()}
    label = "PostgreSQL" if args.postgres else "SQLite"
    for which, value in per_request.items():
        print(f"{which:5s} {value:12,.0f} instructions/request ({counts[which][1]} requests)")
    print(f"ratio bare/issue on {label}: {per_request['bare'] / per_request['issue']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
