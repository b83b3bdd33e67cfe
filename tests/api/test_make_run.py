"""What `make run` does, end to end: `bukti init` then `bukti serve` in subprocesses.

A temporary data directory on SQLite, a free port on the loopback address; the test
checks what init prints (URLs, demo credentials), that a second init changes nothing,
then fetches /healthz, the schedule, issues a receipt through the API and verifies it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.xdist_group("make-run")

BUKTI = [sys.executable, "-m", "api.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BUKTI_")}
    environment.update(
        {
            "BUKTI_DATA_DIR": str(tmp_path / "var"),
            "BUKTI_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "BUKTI_PORT_FOR_TEST": str(port),
        }
    )
    return environment


def _run_init(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BUKTI, "init"], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def server(env: dict[str, str]) -> Iterator[str]:
    init = _run_init(env)
    assert init.returncode == 0, init.stderr
    assert "Demo staff" in init.stdout
    assert "loket.dlh" in init.stdout
    assert "demo-loket-2024" in init.stdout
    assert env["BUKTI_PUBLIC_URL"] + "/v" in init.stdout
    again = _run_init(env)
    assert again.returncode == 0, again.stderr
    assert "Keys created" not in again.stdout  # nothing created the second time
    port = env["BUKTI_PORT_FOR_TEST"]
    process = subprocess.Popen(
        [*BUKTI, "serve", "--host", "127.0.0.1", "--port", port],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                _, errors = process.communicate(timeout=5)
                raise AssertionError(f"server did not start: {errors!r}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_make_run_serves_the_demo(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        assert http.get("/healthz").json()["status"] == "ok"
        schedule = http.get("/api/v1/schedules/current")
        assert schedule.status_code == 200
        assert schedule.json()["version"] == "bekasi-2024.1"
        token = http.post(
            "/api/v1/auth/login", json={"username": "loket.dlh", "password": "demo-loket-2024"}
        ).json()["token"]
        issued = http.post(
            "/api/v1/receipts",
            json={"counter": "L01", "service": "RJU-SMP-02", "inputs": {"bulan": 1}},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "make-run-1"},
        )
        assert issued.status_code == 201, issued.text
        assert issued.json()["qr_url"].startswith(server + "/v#")
        verified = http.post("/api/v1/verify", json={"input": issued.json()["qr_url"]})
        assert verified.json()["valid"] is True, verified.text
        checkpoint = http.get("/checkpoint")
        assert checkpoint.headers["content-type"] == "text/plain; charset=utf-8"
