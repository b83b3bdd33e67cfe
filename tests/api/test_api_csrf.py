"""CSRF on the JSON API: cookie-authenticated writes need a matching ``X-CSRF-Token``.

A browser sends the session cookie on its own, also on a request another site makes it
send; such a request cannot carry the session's CSRF token (from the login answer) or the
pages' double-submit token (the ``bukti_csrf`` cookie's value). Bearer requests, which a
browser never sends by itself, and reads need none.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.conftest import DEMO_PASSWORDS

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

ISSUE = {"counter": "L01", "service": "RJU-PKR-02"}


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    """A client on https, so that the Secure session cookie is sent back like a browser."""
    with TestClient(app, base_url="https://testserver") as client:
        yield client


def _login(client: TestClient, username: str = "loket.dlh") -> str:
    response = client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": DEMO_PASSWORDS[username]},
    )
    assert response.status_code == 200, response.text
    assert "bukti_session" in client.cookies
    token: str = response.json()["csrf_token"]
    return token


def _issue(client: TestClient, key: str, **headers: str) -> int:
    response = client.post(
        "/api/v1/receipts", json=ISSUE, headers={"Idempotency-Key": key, **headers}
    )
    status: int = response.status_code
    return status


def test_attack_cookie_authenticated_write_without_token_is_refused(
    browser: TestClient, app: FastAPI
) -> None:
    _login(browser)
    size = app.state.services.store.size()
    response = browser.post("/api/v1/receipts", json=ISSUE, headers={"Idempotency-Key": "k"})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("/csrf")
    assert "X-CSRF-Token" in problem["detail_en"]
    assert problem["detail"].startswith("Permintaan ditolak")
    assert app.state.services.store.size() == size


def test_attack_wrong_token_is_refused(browser: TestClient, app: FastAPI) -> None:
    token = _login(browser)
    altered = token[:-1] + ("B" if token.endswith("A") else "A")
    size = app.state.services.store.size()
    assert _issue(browser, "k1", **{"X-CSRF-Token": altered}) == 403
    assert _issue(browser, "k2", **{"X-CSRF-Token": ""}) == 403
    assert app.state.services.store.size() == size


def test_session_csrf_token_from_login_lets_the_write_through(browser: TestClient) -> None:
    token = _login(browser)
    assert _issue(browser, "ok", **{"X-CSRF-Token": token}) == 201


def test_pages_double_submit_token_lets_the_write_through(browser: TestClient) -> None:
    _login(browser)
    page = browser.get("/loket")
    double_submit = browser.cookies.get("bukti_csrf")
    assert double_submit
    assert f'<meta name="csrf-token" content="{double_submit}">' in page.text
    assert _issue(browser, "page", **{"X-CSRF-Token": double_submit}) == 201


def test_attack_token_of_another_session_is_refused(browser: TestClient, app: FastAPI) -> None:
    with TestClient(app, base_url="https://testserver") as other:
        foreign = _login(other)
    _login(browser)
    assert _issue(browser, "foreign", **{"X-CSRF-Token": foreign}) == 403


def test_attack_cross_origin_write_is_refused_even_with_the_token(browser: TestClient) -> None:
    token = _login(browser)
    status = _issue(browser, "cross", **{"X-CSRF-Token": token, "Origin": "https://evil.example"})
    assert status == 403


def test_bearer_requests_and_cookie_reads_need_no_token(browser: TestClient) -> None:
    login = browser.post(
        "/api/v1/auth/login",
        json={"username": "loket.dlh", "password": DEMO_PASSWORDS["loket.dlh"]},
    )
    bearer = {"Authorization": f"Bearer {login.json()['token']}"}
    assert _issue(browser, "bearer", **bearer) == 201  # the cookie is there too: ignored
    assert browser.get("/api/v1/auth/me").status_code == 200  # a read by cookie


def test_public_writes_are_not_affected(browser: TestClient) -> None:
    _login(browser)
    complaint = browser.post(
        "/api/v1/complaints",
        json={"paid": 10_000, "text": "Diminta uang tambahan tanpa kuitansi."},
    )
    assert complaint.status_code == 201, complaint.text


def test_logout_by_cookie_needs_the_token_too(browser: TestClient) -> None:
    token = _login(browser)
    assert browser.post("/api/v1/auth/logout").status_code == 403
    assert browser.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token}).status_code == 204
