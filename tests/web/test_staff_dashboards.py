"""The inspectorate dashboard, the transparency figures after a day's work, code look-up."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.errors import ChargeRefusedError
from api.services.complaints import ComplaintCommand
from api.services.issuance import IssueCommand
from tests.web.conftest import csrf_of, sign_in
from tests.web.support import COUNTER_USER, DLH, INSPECTOR_USER, SUPERVISOR_USER


def _work_a_day(app: FastAPI) -> dict[str, int]:
    """Two receipts, one refused overcharge, one void, one complaint — through the services."""
    services = app.state.services
    counter = services.auth.login(*COUNTER_USER).principal
    supervisor = services.auth.login(*SUPERVISOR_USER).principal
    first, _ = services.receipts.issue(
        counter, IssueCommand(counter="L01", service="RJU-SMP-02", inputs={"bulan": 2}), "k1"
    )
    second, _ = services.receipts.issue(
        counter, IssueCommand(counter="L02", service="RJU-PKR-02", inputs={}), "k2"
    )
    with pytest.raises(ChargeRefusedError):
        services.receipts.issue(
            counter,
            IssueCommand(counter="L01", service="RJU-PKR-01", inputs={}, charged=10_000),
            "k3",
        )
    services.receipts.void(supervisor, second.seq, "Salah pilih layanan")
    services.complaints.file(
        ComplaintCommand(receipt=first.receipt_no, paid=50_000, text="Diminta bayar lebih mahal.")
    )
    return {"first": first.seq, "second": second.seq}


def test_counter_staff_may_not_open_the_dashboard(client: TestClient) -> None:
    sign_in(client, COUNTER_USER)
    response = client.get("/inspektorat")
    assert response.status_code == 403
    assert "hanya untuk inspektur" in response.text


def test_dashboard_shows_log_collections_refusals_voids_complaints(
    client: TestClient, app: FastAPI
) -> None:
    _work_a_day(app)
    sign_in(client, INSPECTOR_USER, next_page="/inspektorat")
    page = client.get("/inspektorat").text
    size = app.state.services.store.size()
    assert f"Ukuran buku besar: {size} entri" in page
    assert "Dinas Lingkungan Hidup" in page
    # Today: two receipts, Rp30.000 + Rp3.000, one voided → net Rp30.000.
    assert "2 · Rp30.000" in page
    assert "overcharge" in page
    assert "Salah pilih layanan" in page
    assert re.search(r'<td class="code">[^<]+</td>', page)  # the complaint's tracking number
    assert "received" in page


def test_transparency_figures_after_a_day(client: TestClient, app: FastAPI) -> None:
    _work_a_day(app)
    rows = list(csv.DictReader(io.StringIO(client.get("/transparansi.csv").text)))
    dlh = [r for r in rows if r["office"] == DLH]
    assert len(dlh) == 1
    row = dlh[0]
    assert row["month"] == "2025-01"
    assert (row["receipts"], row["total"], row["voids"], row["void_total"]) == (
        "2",
        "33000",
        "1",
        "3000",
    )
    assert (row["refused"], row["complaints"]) == ("1", "1")
    page = client.get("/transparansi").text
    # Nothing on the public page names a member of staff or a resident.
    counter_id = app.state.services.auth.login(*COUNTER_USER).principal.user_id
    assert counter_id not in page
    assert "loket.dlh" not in page


def test_typed_code_opens_the_verify_page_with_the_receipt(
    client: TestClient, app: FastAPI
) -> None:
    seqs = _work_a_day(app)
    view = app.state.services.reader.get(seqs["first"])
    typed = view.short_code.replace("-", "").lower()
    response = client.get("/v/kode", params={"c": typed}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/v#" + view.qr_url.split("#", 1)[1]


def test_mistyped_code_says_so(client: TestClient) -> None:
    response = client.get("/v/kode", params={"c": "ABCD-EFGH-JKL"})
    assert response.status_code == 404
    assert "salah ketik" in response.text or "tidak ditemukan" in response.text


def test_inspector_runs_an_audit_and_downloads_its_report(client: TestClient, app: FastAPI) -> None:
    _work_a_day(app)
    sign_in(client, INSPECTOR_USER, next_page="/inspektorat")
    page = client.get("/inspektorat").text
    response = client.post("/inspektorat/audit", data={"csrf": csrf_of(page)})
    assert response.status_code == 200
    assert "Integritas buku besar terjaga." in response.text
    assert 'href="/inspektorat/audit.pdf"' in response.text
    pdf = client.get("/inspektorat/audit.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_attack_counter_staff_cannot_run_an_audit(client: TestClient) -> None:
    sign_in(client, COUNTER_USER)
    page = client.get("/loket").text
    response = client.post("/inspektorat/audit", data={"csrf": csrf_of(page)})
    assert response.status_code == 403
    assert client.get("/inspektorat/audit.pdf").status_code == 403
