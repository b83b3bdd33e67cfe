"""The counter page: who asked for a void and who approved it; a closed day takes no receipt."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of, sign_in
from tests.web.support import COUNTER_USER, SUPERVISOR_USER

_ISSUE_FORM = re.compile(r'<form action="/loket/terbitkan".*?</form>', re.S)


def _issue(client: TestClient) -> int:
    page = client.get("/loket", params={"counter": "L01", "service": "RJU-PKR-02"}).text
    form = _ISSUE_FORM.search(page)
    assert form, "the page shows no issue form"
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(0)))
    response = client.post("/loket/terbitkan", data=fields, follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def _user_id(app: FastAPI, user: tuple[str, str]) -> str:
    user_id: str = app.state.services.staff.user(user[0]).id
    return user_id


def _last_entry(app: FastAPI) -> Any:
    store = app.state.services.store
    return store.entry(store.size() - 1).decode()


def test_void_asked_by_the_petugas_records_petugas_and_supervisor(
    client: TestClient, app: FastAPI
) -> None:
    sign_in(client, COUNTER_USER)
    seq = _issue(client)
    page = client.get(f"/loket/kuitansi/{seq}").text
    assert 'name="requested_by"' not in page  # the petugas signed in is the requester
    done = client.post(
        f"/loket/batal/{seq}",
        data={
            "csrf": csrf_of(page),
            "reason": "Salah pilih layanan",
            "supervisor": SUPERVISOR_USER[0],
            "supervisor_password": SUPERVISOR_USER[1],
        },
    )
    assert "DIBATALKAN" in done.text
    entry = _last_entry(app)
    assert entry.kind == "receipt.voided"
    assert entry.body["requested_by"] == _user_id(app, COUNTER_USER)
    assert entry.body["approved_by"] == _user_id(app, SUPERVISOR_USER)


def test_supervisor_names_the_petugas_who_asked(client: TestClient, app: FastAPI) -> None:
    sign_in(client, COUNTER_USER)
    seq = _issue(client)
    client.cookies.clear()
    sign_in(client, SUPERVISOR_USER)
    page = client.get(f"/loket/kuitansi/{seq}").text
    assert 'name="requested_by"' in page
    done = client.post(
        f"/loket/batal/{seq}",
        data={"csrf": csrf_of(page), "reason": "Salah input", "requested_by": COUNTER_USER[0]},
    )
    assert "DIBATALKAN" in done.text
    entry = _last_entry(app)
    assert entry.body["requested_by"] == _user_id(app, COUNTER_USER)
    assert entry.body["approved_by"] == _user_id(app, SUPERVISOR_USER)


def test_supervisor_voiding_on_own_initiative_is_the_requester(
    client: TestClient, app: FastAPI
) -> None:
    sign_in(client, COUNTER_USER)
    seq = _issue(client)
    client.cookies.clear()
    sign_in(client, SUPERVISOR_USER)
    page = client.get(f"/loket/kuitansi/{seq}").text
    client.post(
        f"/loket/batal/{seq}",
        data={"csrf": csrf_of(page), "reason": "Salah input", "requested_by": ""},
    )
    body = _last_entry(app).body
    assert body["requested_by"] == body["approved_by"] == _user_id(app, SUPERVISOR_USER)


def test_attack_supervisor_naming_another_offices_petugas_is_refused(
    client: TestClient, app: FastAPI
) -> None:
    sign_in(client, COUNTER_USER)
    seq = _issue(client)
    client.cookies.clear()
    sign_in(client, SUPERVISOR_USER)
    page = client.get(f"/loket/kuitansi/{seq}").text
    size = app.state.services.store.size()
    refused = client.post(
        f"/loket/batal/{seq}",
        data={"csrf": csrf_of(page), "reason": "Salah input", "requested_by": "loket.dukcapil"},
    )
    assert refused.status_code == 422
    assert "bukan petugas kantor 32.16.20-DLH" in refused.text
    assert app.state.services.store.size() == size
    assert "DIBATALKAN" not in client.get(f"/loket/kuitansi/{seq}").text


def test_closed_day_offers_no_issue_form_and_refuses_a_post(
    client: TestClient, app: FastAPI
) -> None:
    sign_in(client, COUNTER_USER)
    page = client.get("/loket", params={"counter": "L01", "service": "RJU-PKR-02"}).text
    form = _ISSUE_FORM.search(page)
    assert form
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(0)))
    closed = client.post("/loket/tutup", data={"csrf": csrf_of(page), "counter": "L01"})
    assert closed.status_code == 200
    assert 'id="day-closed"' in closed.text
    after = client.get("/loket", params={"counter": "L01", "service": "RJU-PKR-02"}).text
    assert "sudah ditutup" in after
    assert _ISSUE_FORM.search(after) is None
    assert 'action="/loket/tutup"' not in after
    size = app.state.services.store.size()
    refused = client.post("/loket/terbitkan", data=fields)  # a form left open in another tab
    assert refused.status_code == 409
    assert "sudah ditutup" in refused.text
    assert app.state.services.store.size() == size
    # The other counter of the office is still open.
    other = client.get("/loket", params={"counter": "L02", "service": "RJU-PKR-02"}).text
    assert _ISSUE_FORM.search(other) is not None
