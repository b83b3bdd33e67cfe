"""Voids record who asked and who approved: ``requested_by`` and ``approved_by``.

A supervisor voids at the request of a counter user of the same office (named by user id
or user name, an active ``counter`` account), or on their own initiative (then the
supervisor is the requester too). A requester that does not exist, is revoked, holds
another role or belongs to another office is refused and nothing is logged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

Headers = Callable[[str], dict[str, str]]

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _issue(client: TestClient, staff_headers: Headers, key: str) -> int:
    response = client.post(
        "/api/v1/receipts",
        json={"counter": "L01", "service": "RJU-PKR-02"},
        headers={**staff_headers("loket.dlh"), "Idempotency-Key": key},
    )
    assert response.status_code == 201, response.text
    seq: int = response.json()["seq"]
    return seq


def _user_id(client: TestClient, staff_headers: Headers, username: str) -> str:
    me = client.get("/api/v1/auth/me", headers=staff_headers(username))
    user_id: str = me.json()["id"]
    return user_id


def _void(client: TestClient, staff_headers: Headers, seq: int, **extra: str) -> Any:
    return client.post(
        f"/api/v1/receipts/{seq}/void",
        json={"reason": "Salah pilih layanan", **extra},
        headers=staff_headers("spv.dlh"),
    )


def _void_body(app: FastAPI, seq: int) -> dict[str, Any]:
    entry = app.state.services.store.entry(seq).decode()
    assert entry.kind == "receipt.voided"
    return dict(entry.body)


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
def test_void_at_a_counter_users_request_records_both(
    client: TestClient, app: FastAPI, staff_headers: Headers
) -> None:
    seq = _issue(client, staff_headers, "void-requested")
    counter_id = _user_id(client, staff_headers, "loket.dlh")
    supervisor_id = _user_id(client, staff_headers, "spv.dlh")
    response = _void(client, staff_headers, seq, requested_by="loket.dlh")
    assert response.status_code == 201, response.text
    assert response.json()["requested_by"] == counter_id
    assert response.json()["approved_by"] == supervisor_id
    body = _void_body(app, response.json()["seq"])
    assert body["requested_by"] == counter_id
    assert body["approved_by"] == supervisor_id
    assert body["approver_role"] == "supervisor"


@SQLITE
def test_requester_may_be_named_by_user_id(
    client: TestClient, app: FastAPI, staff_headers: Headers
) -> None:
    seq = _issue(client, staff_headers, "void-by-id")
    counter_id = _user_id(client, staff_headers, "loket.dlh")
    response = _void(client, staff_headers, seq, requested_by=counter_id)
    assert response.status_code == 201, response.text
    assert _void_body(app, response.json()["seq"])["requested_by"] == counter_id


@SQLITE
def test_void_on_the_supervisors_own_initiative_names_the_supervisor(
    client: TestClient, app: FastAPI, staff_headers: Headers
) -> None:
    seq = _issue(client, staff_headers, "void-own")
    supervisor_id = _user_id(client, staff_headers, "spv.dlh")
    response = _void(client, staff_headers, seq)
    assert response.status_code == 201, response.text
    body = _void_body(app, response.json()["seq"])
    assert body["requested_by"] == body["approved_by"] == supervisor_id


@SQLITE
@pytest.mark.parametrize(
    ("requester", "expected"),
    [
        ("nobody.here", "existing user"),
        ("bendahara.dlh", "counter user, found role treasurer"),
        ("spv.dlh", "counter user, found role supervisor"),
        ("loket.dpmptsp", "of office 32.16.20-DLH, found one of office"),
    ],
)
def test_attack_void_naming_a_wrong_requester_is_refused_and_not_logged(
    client: TestClient, app: FastAPI, staff_headers: Headers, requester: str, expected: str
) -> None:
    seq = _issue(client, staff_headers, f"void-wrong-{requester}")
    size = app.state.services.store.size()
    response = _void(client, staff_headers, seq, requested_by=requester)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("/invalid-request")
    assert problem["field"] == "requested_by"
    assert expected in problem["detail_en"]
    assert problem["detail"]  # Bahasa Indonesia too
    assert app.state.services.store.size() == size
    assert client.get(f"/api/v1/receipts/{seq}/status").json()["status"] == "issued"


@SQLITE
def test_attack_void_naming_a_revoked_counter_user_is_refused(
    client: TestClient, app: FastAPI, staff_headers: Headers
) -> None:
    seq = _issue(client, staff_headers, "void-revoked")
    revoke = client.post(
        "/api/v1/users/loket.dlh/revoke",
        json={"reason": "pindah tugas"},
        headers=staff_headers("admin"),
    )
    assert revoke.status_code == 200, revoke.text
    size = app.state.services.store.size()
    response = _void(client, staff_headers, seq, requested_by="loket.dlh")
    assert response.status_code == 422
    assert "revoked" in response.json()["detail_en"]
    assert app.state.services.store.size() == size
