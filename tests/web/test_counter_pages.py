"""The counter page through HTTP: sign in, quote, issue, refuse, reprint, void, close, CSRF."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of, sign_in
from tests.web.support import COUNTER_USER, INSPECTOR_USER, SUPERVISOR_USER, SteppingClock

_ISSUE_FORM = re.compile(r'<form action="/loket/terbitkan".*?</form>', re.S)


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert found, f"no field {name}"
    return found.group(1)


def _issue_form_fields(html: str) -> dict[str, str]:
    form = _ISSUE_FORM.search(html)
    assert form, "the page shows no issue form"
    return dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(0)))


def _log_size(app: FastAPI) -> int:
    size: int = app.state.services.store.size()
    return size


def _quote_page(client: TestClient, service: str, **inputs: str) -> str:
    params = {"counter": "L01", "service": service, **{f"in.{k}": v for k, v in inputs.items()}}
    response = client.get("/loket", params=params)
    assert response.status_code == 200
    text: str = response.text
    return text


def test_login_page_then_wrong_password_is_refused(client: TestClient) -> None:
    page = client.get("/loket")
    assert "Masuk petugas" in page.text
    response = client.post(
        "/loket/masuk",
        data={"csrf": csrf_of(page.text), "username": "loket.dlh", "password": "salah"},
    )
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in response.text
    assert "bukti_session" not in response.cookies


def test_quote_shows_official_fee_and_legal_basis(client: TestClient) -> None:
    sign_in(client, COUNTER_USER)
    page = _quote_page(client, "RJU-SMP-02 — Pelayanan persampahan", bulan="3")
    assert "Tarif resmi: Rp45.000" in page
    assert "Perda Kab. Bekasi 8/2023" in page
    assert _issue_form_fields(page)["in.bulan"] == "3"


def test_issue_and_print_from_the_page(client: TestClient, app: FastAPI) -> None:
    sign_in(client, COUNTER_USER)
    fields = _issue_form_fields(_quote_page(client, "RJU-SMP-02", bulan="2"))
    fields["charged"] = "30.000"
    response = client.post("/loket/terbitkan", data=fields, follow_redirects=False)
    assert response.status_code == 303
    receipt_page = client.get(response.headers["location"]).text
    assert "Rp30.000" in receipt_page
    pdf_link = re.search(r'href="(/api/v1/receipts/\d+\.pdf\?layout=thermal58)"', receipt_page)
    assert pdf_link
    pdf = client.get(pdf_link.group(1))
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # The same form posted twice (a double click) issues one receipt.
    size = _log_size(app)
    again = client.post("/loket/terbitkan", data=fields, follow_redirects=False)
    assert again.headers["location"] == response.headers["location"]
    assert _log_size(app) == size
    # The recent list offers the reprint.
    assert "Cetak ulang" in client.get("/loket").text


def test_overcharge_is_refused_in_words_and_logged(client: TestClient, app: FastAPI) -> None:
    sign_in(client, COUNTER_USER)
    fields = _issue_form_fields(_quote_page(client, "RJU-PKR-01"))
    fields["charged"] = "5000"
    size = _log_size(app)
    response = client.post("/loket/terbitkan", data=fields)
    assert response.status_code == 422
    assert "Pungutan ditolak" in response.text
    assert f"tercatat di buku besar (entri {size})" in response.text
    assert app.state.services.store.entry(size).decode().kind == "charge.rejected"


def test_charge_for_free_service_is_refused_as_gravest(client: TestClient) -> None:
    sign_in(client, COUNTER_USER)
    fields = _issue_form_fields(_quote_page(client, "BBS-DKP-01"))
    assert fields["charged"] == "0"
    fields["charged"] = "50000"
    response = client.post("/loket/terbitkan", data=fields)
    assert response.status_code == 422
    assert "Pasal 79A" in response.text


def test_attack_issue_without_csrf_token_changes_nothing(client: TestClient, app: FastAPI) -> None:
    sign_in(client, COUNTER_USER)
    fields = _issue_form_fields(_quote_page(client, "RJU-PKR-01"))
    size = _log_size(app)
    forged = {k: v for k, v in fields.items() if k != "csrf"}
    assert client.post("/loket/terbitkan", data=forged).status_code == 403
    forged["csrf"] = "x" * 43
    assert client.post("/loket/terbitkan", data=forged).status_code == 403
    assert _log_size(app) == size


def test_attack_cross_site_post_is_refused(client: TestClient, app: FastAPI) -> None:
    sign_in(client, COUNTER_USER)
    fields = _issue_form_fields(_quote_page(client, "RJU-PKR-01"))
    size = _log_size(app)
    response = client.post(
        "/loket/terbitkan", data=fields, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert _log_size(app) == size


def _issue(client: TestClient) -> str:
    fields = _issue_form_fields(_quote_page(client, "RJU-PKR-02"))
    response = client.post("/loket/terbitkan", data=fields, follow_redirects=False)
    assert response.status_code == 303
    return str(response.headers["location"])


def test_void_needs_the_supervisors_approval(client: TestClient, clock: SteppingClock) -> None:
    sign_in(client, COUNTER_USER)
    location = _issue(client)
    page = client.get(location).text
    seq = location.rsplit("/", 1)[1]
    form = {"csrf": csrf_of(page), "reason": "Salah pilih layanan"}
    refused = client.post(
        f"/loket/batal/{seq}",
        data={**form, "supervisor": SUPERVISOR_USER[0], "supervisor_password": "salah"},
    )
    assert refused.status_code == 422
    assert "Nama pengguna atau kata sandi salah." in refused.text
    assert "DIBATALKAN" not in client.get(location).text
    clock.advance(60_000)  # a failed login slows the next attempt down
    done = client.post(
        f"/loket/batal/{seq}",
        data={**form, "supervisor": SUPERVISOR_USER[0], "supervisor_password": SUPERVISOR_USER[1]},
    )
    assert done.status_code == 200
    assert "dibatalkan" in done.text
    assert "DIBATALKAN" in done.text


def test_attack_void_approved_by_another_offices_supervisor_is_refused(
    client: TestClient,
) -> None:
    sign_in(client, COUNTER_USER)
    location = _issue(client)
    page = client.get(location).text
    seq = location.rsplit("/", 1)[1]
    response = client.post(
        f"/loket/batal/{seq}",
        data={
            "csrf": csrf_of(page),
            "reason": "Salah pilih layanan",
            "supervisor": "spv.dukcapil",
            "supervisor_password": "demo-penyelia-2024",
        },
    )
    assert response.status_code == 422
    assert "DIBATALKAN" not in client.get(location).text


def test_close_day_reports_the_ledger_sums(client: TestClient) -> None:
    sign_in(client, COUNTER_USER)
    _issue(client)
    page = client.get("/loket").text
    response = client.post("/loket/tutup", data={"csrf": csrf_of(page), "counter": "L01"})
    assert response.status_code == 200
    assert "1 kuitansi, total Rp3.000" in response.text


def test_session_times_out(client: TestClient, clock: SteppingClock) -> None:
    sign_in(client, COUNTER_USER)
    assert "Keluar" in client.get("/loket").text
    clock.advance(31 * 60_000)
    page = client.get("/loket").text
    assert "Sesi berakhir" in page
    assert "Masuk petugas" in page


def test_sign_out_ends_the_session(client: TestClient) -> None:
    sign_in(client, COUNTER_USER)
    page = client.get("/loket").text
    response = client.post("/loket/keluar", data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert response.status_code == 303
    assert "Masuk petugas" in client.get("/loket").text


def test_inspector_is_sent_to_the_dashboard(client: TestClient) -> None:
    sign_in(client, INSPECTOR_USER, next_page="/inspektorat")
    response = client.get("/loket", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/inspektorat"


def test_attack_login_next_cannot_redirect_off_site(client: TestClient) -> None:
    page = client.get("/loket")
    response = client.post(
        "/loket/masuk",
        data={
            "csrf": csrf_of(page.text),
            "username": COUNTER_USER[0],
            "password": COUNTER_USER[1],
            "next": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/loket"


def test_supervisor_voids_directly(client: TestClient, app: FastAPI) -> None:
    sign_in(client, COUNTER_USER)
    location = _issue(client)
    seq = int(location.rsplit("/", 1)[1])
    client.cookies.clear()
    sign_in(client, SUPERVISOR_USER)
    page = client.get("/loket").text
    assert "tidak dapat menerbitkan" in page
    assert f"/loket/kuitansi/{seq}" in page  # the counter's recent receipts
    receipt = client.get(location).text
    assert "Nama pengguna penyelia" not in receipt  # no second approval needed
    done = client.post(
        f"/loket/batal/{seq}", data={"csrf": csrf_of(receipt), "reason": "Salah input"}
    )
    assert "DIBATALKAN" in done.text
    assert app.state.services.reader.status(seq).status == "voided"


def test_attack_oversized_form_fields_are_refused_cleanly(client: TestClient, app: FastAPI) -> None:
    sign_in(client, COUNTER_USER)
    fields = _issue_form_fields(_quote_page(client, "RJU-PKR-01"))
    size = _log_size(app)
    response = client.post("/loket/terbitkan", data={**fields, "service": "X" * 5000})
    assert response.status_code == 422
    assert "Muat ulang halaman" in response.text
    response = client.post("/loket/terbitkan", data={**fields, "charged": "1e9"})
    assert response.status_code == 422
    assert _log_size(app) == size


def test_password_checks_and_issuing_run_off_the_event_loop(
    client: TestClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hashing a password and committing to the log take milliseconds: a form post does them
    on a worker thread, never on the event loop that serves every other request."""
    services = app.state.services
    threads: dict[str, str] = {}
    login, issue = services.auth.login, services.receipts.issue

    def recording_login(*args: Any) -> Any:
        threads["login"] = threading.current_thread().name
        return login(*args)

    def recording_issue(*args: Any) -> Any:
        threads["issue"] = threading.current_thread().name
        return issue(*args)

    monkeypatch.setattr(services.auth, "login", recording_login)
    monkeypatch.setattr(services.receipts, "issue", recording_issue)
    sign_in(client, COUNTER_USER)
    fields = _issue_form_fields(_quote_page(client, "RJU-SMP-02", bulan="1"))
    assert client.post("/loket/terbitkan", data=fields, follow_redirects=False).status_code == 303
    assert threads == {"login": "AnyIO worker thread", "issue": "AnyIO worker thread"}
