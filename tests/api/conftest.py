"""Fixtures of the service suite: an initialized deployment on ``db_url`` and a client.

Every test gets a fresh database (SQLite and PostgreSQL via ``db_url``), a data directory
in ``tmp_path``, the fixed clock, seeded randomness and fast Argon2 parameters for the demo
staff (their hashes carry the parameters, so logins verify just as in production).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.services.bootstrap import InitReport, initialize
from api.settings import Settings
from tests.conftest import FixedClock

TEST_PUBLIC_URL = "https://bukti.test"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
DEMO_PASSWORDS = {
    "admin": "demo-admin-2024",
    "inspektur": "demo-inspektur-2024",
    "loket.dukcapil": "demo-loket-2024",
    "spv.dukcapil": "demo-penyelia-2024",
    "loket.dpmptsp": "demo-loket-2024",
    "spv.dpmptsp": "demo-penyelia-2024",
    "bendahara.dpmptsp": "demo-bendahara-2024",
    "loket.dlh": "demo-loket-2024",
    "spv.dlh": "demo-penyelia-2024",
    "bendahara.dlh": "demo-bendahara-2024",
}


def seeded_random(seed: int = 7) -> Callable[[int], bytes]:
    rng = random.Random(seed)
    return rng.randbytes


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database_url=db_url,
        public_url=TEST_PUBLIC_URL,
        rate_limit_per_minute=100_000,
        session_timeout_minutes=24 * 60,
    )


@pytest.fixture
def clock(fixed_clock: FixedClock) -> FixedClock:
    return fixed_clock


@pytest.fixture
def init_report(settings: Settings, clock: FixedClock) -> InitReport:
    return initialize(
        settings, clock=clock, random_bytes=seeded_random(), password_hasher=FAST_HASHER
    )


@pytest.fixture
def app(settings: Settings, clock: FixedClock, init_report: InitReport) -> FastAPI:
    return create_app(settings, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def login(client: TestClient, username: str) -> dict[str, str]:
    """Bearer headers of a fresh session of a demo user."""
    response = client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": DEMO_PASSWORDS[username]},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
def staff_headers(client: TestClient) -> Callable[[str], dict[str, str]]:
    """Logs a demo user in once per test and caches the headers."""
    cache: dict[str, dict[str, str]] = {}

    def get(username: str) -> dict[str, str]:
        if username not in cache:
            cache[username] = login(client, username)
        return cache[username]

    return get
