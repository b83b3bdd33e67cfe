"""The inspectorate moves complaints on: ``complaint.updated``, note outside the log."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from api.errors import ComplaintClosedError
from api.store.tables import complaint_notes

Headers = Callable[[str], dict[str, str]]

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
NOTE = "Petugas loket 2 sudah dipanggil; uang Rp47.000 dikembalikan kepada pelapor."


def _file(client: TestClient) -> str:
    response = client.post(
        "/api/v1/complaints",
        json={"paid": 50_000, "text": "Diminta bayar Rp50.000 untuk KTP-el, padahal gratis."},
    )
    assert response.status_code == 201, response.text
    tracking: str = response.json()["tracking_no"]
    return tracking


def _update(client: TestClient, headers: dict[str, str], tracking: str, **body: Any) -> Any:
    return client.post(f"/api/v1/complaints/{tracking}/status", json=body, headers=headers)


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
def test_status_update_is_logged_and_shown_publicly(
    client: TestClient, app: FastAPI, staff_headers: Headers
) -> None:
    tracking = _file(client)
    inspector = staff_headers("inspektur")
    inspector_id = client.get("/api/v1/auth/me", headers=inspector).json()["id"]
    response = _update(client, inspector, tracking, status="investigating", note=NOTE)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "investigating"
    public = client.get(f"/api/v1/complaints/{tracking.lower()}")
    assert public.json()["status"] == "investigating"
    assert "note" not in public.json()

    stored = app.state.services.store.entry(response.json()["seq"])
    entry = stored.decode()
    assert entry.kind == "complaint.updated"
    assert set(entry.body) == {"tracking_no", "status", "by", "note_commitment"}
    assert entry.body["by"] == inspector_id
    assert b"Rp47.000" not in stored.data  # the note itself stays out of the log
    with app.state.services.engine.connect() as conn:
        row = conn.execute(select(complaint_notes)).one()._mapping
    assert row["note"] == NOTE
    expected = hashlib.sha256(
        b"bukti complaint note v1\n" + bytes.fromhex(row["note_salt"]) + NOTE.encode("utf-8")
    ).hexdigest()
    assert entry.body["note_commitment"] == row["commitment"] == expected

    done = _update(client, inspector, tracking, status="resolved")
    assert done.status_code == 200
    assert "note_commitment" not in app.state.services.store.entry(done.json()["seq"]).decode().body
    assert client.get(f"/api/v1/complaints/{tracking}").json()["status"] == "resolved"


@SQLITE
def test_resolved_and_rejected_are_final(
    client: TestClient, app: FastAPI, staff_headers: Headers
) -> None:
    inspector = staff_headers("inspektur")
    for final in ("resolved", "rejected"):
        tracking = _file(client)
        assert _update(client, inspector, tracking, status=final).status_code == 200
        size = app.state.services.store.size()
        again = _update(client, inspector, tracking, status="investigating")
        assert again.status_code == 409
        assert again.json()["type"].endswith("/complaint-closed")
        assert app.state.services.store.size() == size


@SQLITE
def test_attack_closing_twice_is_refused_inside_the_append(
    client: TestClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two inspectors closing at once: the second close passed the status check before the
    first was written, and is still refused when its entry is built."""
    tracking = _file(client)
    service = app.state.services.complaints
    inspector = app.state.services.auth.login("inspektur", "demo-inspektur-2024").principal
    stale = service.status(tracking)  # read by the second inspector: still "received"
    service.update_status(inspector, tracking, "resolved")
    size = app.state.services.store.size()
    monkeypatch.setattr(service, "status", lambda _number: replace(stale))
    with pytest.raises(ComplaintClosedError, match="still open"):
        service.update_status(inspector, tracking, "rejected", "tidak terbukti")
    assert app.state.services.store.size() == size
    with app.state.services.engine.connect() as conn:
        assert conn.execute(select(complaint_notes)).all() == []  # its note was removed


@SQLITE
@pytest.mark.parametrize(
    ("tracking", "body", "status", "slug"),
    [
        ("ADU-NOSUCHTHING", {"status": "investigating"}, 404, "not-found"),
        (None, {"status": "received"}, 422, "validation"),
        (None, {"status": "investigating", "note": "x" * 4001}, 422, "validation"),
        (None, {"status": "investigating", "extra": 1}, 422, "validation"),
    ],
)
def test_bad_updates_are_refused(
    client: TestClient,
    app: FastAPI,
    staff_headers: Headers,
    tracking: str | None,
    body: dict[str, Any],
    status: int,
    slug: str,
) -> None:
    number = tracking or _file(client)
    size = app.state.services.store.size()
    response = _update(client, staff_headers("inspektur"), number, **body)
    assert response.status_code == status, response.text
    assert response.json()["type"].endswith("/" + slug)
    assert app.state.services.store.size() == size


@SQLITE
def test_erasing_a_note_leaves_the_log_verifiable(
    client: TestClient, app: FastAPI, staff_headers: Headers
) -> None:
    tracking = _file(client)
    inspector = staff_headers("inspektur")
    assert (
        _update(client, inspector, tracking, status="investigating", note=NOTE).status_code == 200
    )
    with app.state.services.engine.begin() as conn:
        conn.execute(delete(complaint_notes).where(complaint_notes.c.tracking_no == tracking))
    audit = client.post("/api/v1/audits", json={}, headers=inspector)
    assert audit.status_code == 200, audit.text
    assert audit.json()["verdict"]["integrity"] == "holds"
    assert client.get(f"/api/v1/complaints/{tracking}").json()["status"] == "investigating"
