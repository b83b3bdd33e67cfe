"""The inspectorate page's actions: moving complaints on, and audits through the service."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import ServiceUnavailableError
from api.services.complaints import ComplaintCommand
from api.settings import Settings
from audit import AuditResult
from tests.web.conftest import SteppingClock, csrf_of, sign_in
from tests.web.support import COUNTER_USER, INSPECTOR_USER

_COMPLAINT_FORM = re.compile(r'<form action="/inspektorat/pengaduan".*?</form>', re.S)


def _file(app: FastAPI, text: str = "Diminta bayar lebih mahal dari tarif.") -> str:
    view = app.state.services.complaints.file(ComplaintCommand(None, 20_000, text))
    tracking: str = view.tracking_no
    return tracking


def test_inspector_moves_a_complaint_on_from_the_dashboard(
    client: TestClient, app: FastAPI
) -> None:
    tracking = _file(app)
    sign_in(client, INSPECTOR_USER, next_page="/inspektorat")
    page = client.get("/inspektorat").text
    form = _COMPLAINT_FORM.search(page)
    assert form, "the dashboard offers no complaint form"
    assert f'<option value="{tracking}">' in form.group(0)
    assert 'name="csrf"' in form.group(0)
    response = client.post(
        "/inspektorat/pengaduan",
        data={
            "csrf": csrf_of(page),
            "tracking_no": tracking,
            "status": "investigating",
            "note": "Diperiksa bersama kepala UPTD.",
        },
    )
    assert response.status_code == 200, response.text
    assert f"Pengaduan {tracking}: status kini Sedang diperiksa." in response.text
    assert app.state.services.complaints.status(tracking).status == "investigating"
    entry = app.state.services.store.entry(app.state.services.store.size() - 1).decode()
    assert entry.kind == "complaint.updated"
    assert "note_commitment" in entry.body

    resolved = client.post(
        "/inspektorat/pengaduan",
        data={"csrf": csrf_of(page), "tracking_no": tracking, "status": "resolved"},
    )
    assert "status kini Selesai" in resolved.text
    # A resolved complaint is no longer offered for an update.
    form_after = _COMPLAINT_FORM.search(resolved.text)
    assert form_after is None or tracking not in form_after.group(0)


def test_a_final_complaint_cannot_be_reopened_from_a_stale_page(
    client: TestClient, app: FastAPI
) -> None:
    tracking = _file(app)
    sign_in(client, INSPECTOR_USER, next_page="/inspektorat")
    page = client.get("/inspektorat").text
    form = {"csrf": csrf_of(page), "tracking_no": tracking}
    assert client.post("/inspektorat/pengaduan", data={**form, "status": "rejected"}).is_success
    size = app.state.services.store.size()
    again = client.post("/inspektorat/pengaduan", data={**form, "status": "investigating"})
    assert again.status_code == 409
    assert "tidak dapat diubah lagi" in again.text
    assert app.state.services.store.size() == size


def test_attack_complaint_update_without_csrf_or_by_counter_staff_changes_nothing(
    client: TestClient, app: FastAPI
) -> None:
    tracking = _file(app)
    size = app.state.services.store.size()
    sign_in(client, INSPECTOR_USER, next_page="/inspektorat")
    forged = client.post(
        "/inspektorat/pengaduan", data={"tracking_no": tracking, "status": "rejected"}
    )
    assert forged.status_code == 403
    client.cookies.clear()
    sign_in(client, COUNTER_USER)
    page = client.get("/loket").text
    counter = client.post(
        "/inspektorat/pengaduan",
        data={"csrf": csrf_of(page), "tracking_no": tracking, "status": "rejected"},
    )
    assert counter.status_code == 403
    assert app.state.services.store.size() == size
    assert app.state.services.complaints.status(tracking).status == "received"


def test_dashboard_audit_goes_through_the_inspection_service(
    client: TestClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int | None] = []
    service = app.state.services.inspection
    real = service.run_audit

    def counted(days: int | None = None) -> AuditResult:
        calls.append(days)
        result: AuditResult = real(days)
        return result

    monkeypatch.setattr(service, "run_audit", counted)
    sign_in(client, INSPECTOR_USER, next_page="/inspektorat")
    page = client.get("/inspektorat").text
    response = client.post("/inspektorat/audit", data={"csrf": csrf_of(page)})
    assert "Integritas buku besar terjaga." in response.text
    assert client.get("/inspektorat/audit.pdf").content.startswith(b"%PDF")
    assert len(calls) == 2


def test_dashboard_says_when_the_audit_cannot_run(
    client: TestClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(days: int | None = None) -> AuditResult:
        raise ServiceUnavailableError("expected the log to be readable", "Log tidak terbaca.")

    monkeypatch.setattr(app.state.services.inspection, "run_audit", unavailable)
    sign_in(client, INSPECTOR_USER, next_page="/inspektorat")
    page = client.get("/inspektorat").text
    response = client.post("/inspektorat/audit", data={"csrf": csrf_of(page)})
    assert response.status_code == 200
    assert "Log tidak terbaca." in response.text
    pdf = client.get("/inspektorat/audit.pdf")
    assert pdf.status_code == 503
    assert "Log tidak terbaca." in pdf.text


def test_the_dashboard_says_which_days_count_as_working_days(
    client: TestClient, web_settings: Settings, clock: SteppingClock, tmp_path: Path
) -> None:
    sign_in(client, INSPECTOR_USER, next_page="/inspektorat")
    page = client.get("/inspektorat").text
    assert "Daftar hari libur belum diberikan (BUKTI_HOLIDAYS_FILE)" in page
    listed = tmp_path / "libur.txt"
    listed.write_text("2025-01-01 Tahun Baru\n2025-12-25 Natal\n")
    settings = web_settings.model_copy(update={"holidays_file": listed})
    settings = Settings.model_validate(settings.model_dump())
    with TestClient(create_app(settings, clock=clock)) as with_list:
        sign_in(with_list, INSPECTOR_USER, next_page="/inspektorat")
        page = with_list.get("/inspektorat").text
    assert "kecuali 2 hari libur dan cuti bersama" in page
