"""Login, sessions, tokens and their attacks (brute force, revoked and expired secrets)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.services.credentials import LoginPolicy
from api.settings import Settings
from api.store.tables import staff_credentials, staff_users
from ledger.storage import create_engine_for
from tests.api.conftest import DEMO_PASSWORDS, login
from tests.conftest import FixedClock

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _login(client: TestClient, username: str, password: str) -> int:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    status: int = response.status_code
    return status


def test_login_sets_a_hardened_session_cookie(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login", json={"username": "loket.dlh", "password": "demo-loket-2024"}
    )
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" in cookie  # the test deployment's public URL is https
    token = response.json()["token"]
    me = client.get("/api/v1/auth/me", headers={"Cookie": f"bukti_session={token}"})
    assert me.json()["username"] == "loket.dlh"


def test_tokens_are_stored_only_as_digests(client: TestClient, settings: Settings) -> None:
    token = login(client, "admin")["Authorization"].removeprefix("Bearer ")
    engine = create_engine_for(settings.resolved_database_url)
    try:
        with engine.connect() as conn:
            digests = conn.execute(select(staff_credentials.c.token_hash)).scalars().all()
            hashes = conn.execute(select(staff_users.c.password_hash)).scalars().all()
    finally:
        engine.dispose()
    assert token not in digests
    assert all(len(d) == 64 for d in digests)
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert DEMO_PASSWORDS["admin"] not in hashes


def test_attack_password_guessing_slows_down_then_locks(
    client: TestClient, clock: FixedClock
) -> None:
    policy = LoginPolicy()
    assert _login(client, "loket.dlh", "guess-1") == 401
    # Retrying at once is refused before the password is even checked.
    throttled = client.post(
        "/api/v1/auth/login", json={"username": "loket.dlh", "password": "guess-2"}
    )
    assert throttled.status_code == 429
    assert throttled.headers["retry-after"] == "1"
    for attempt in range(2, policy.max_failures + 1):
        clock.advance(policy.backoff_ms(attempt - 1))
        assert _login(client, "loket.dlh", f"guess-{attempt}") == 401
    clock.advance(policy.max_backoff_ms)
    locked = client.post(
        "/api/v1/auth/login", json={"username": "loket.dlh", "password": "demo-loket-2024"}
    )
    assert locked.status_code == 429
    assert locked.json()["type"].endswith("/account-locked")
    clock.advance(policy.lock_ms)
    assert _login(client, "loket.dlh", "demo-loket-2024") == 200


def test_attack_unknown_user_names_are_throttled_like_real_ones(
    client: TestClient, clock: FixedClock
) -> None:
    assert _login(client, "nobody.here", "x") == 401
    assert _login(client, "nobody.here", "x") == 429


def test_attack_revoked_user_loses_every_credential(
    client: TestClient, staff_headers: object
) -> None:
    counter = login(client, "loket.dlh")
    admin = login(client, "admin")
    token = client.post(
        "/api/v1/users/loket.dlh/tokens", json={"label": "kasir"}, headers=admin
    ).json()["token"]
    api_token = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/auth/me", headers=api_token).status_code == 200
    revoked = client.post(
        "/api/v1/users/loket.dlh/revoke", json={"reason": "pindah tugas"}, headers=admin
    )
    assert revoked.status_code == 200
    assert revoked.json()["revoked"] is True
    assert client.get("/api/v1/auth/me", headers=counter).status_code == 401
    assert client.get("/api/v1/auth/me", headers=api_token).status_code == 401
    assert _login(client, "loket.dlh", "demo-loket-2024") == 401


def test_attack_expired_session_is_refused(
    client: TestClient, clock: FixedClock, settings: Settings
) -> None:
    headers = login(client, "loket.dlh")
    clock.advance(settings.session_timeout_minutes * 60_000 + 1)
    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail_en"].endswith("expired")


def test_logout_revokes_the_session(client: TestClient) -> None:
    headers = login(client, "loket.dlh")
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_admin_creates_an_account_recorded_without_its_name(client: TestClient) -> None:
    admin = login(client, "admin")
    created = client.post(
        "/api/v1/users",
        json={
            "username": "siti.loket",
            "name": "Siti Rahmawati",
            "role": "counter",
            "office": "32.16.20-DLH",
            "password": "rahasia-panjang-sekali",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    duplicate = client.post(
        "/api/v1/users",
        json={
            "username": "siti.loket",
            "name": "Siti",
            "role": "counter",
            "office": "32.16.20-DLH",
            "password": "rahasia-panjang-sekali",
        },
        headers=admin,
    )
    assert duplicate.status_code == 409
    bundle = client.get("/tile/entries/000.p/" + str(_size(client))).content
    assert b"Siti" not in bundle
    assert created.json()["id"].encode() in bundle


def _size(client: TestClient) -> int:
    return int(client.get("/checkpoint").text.splitlines()[1])
