"""Who may call what: every route of the app × every role and no credential.

The declared :data:`POLICY` is the specification. The test enumerates ``app.routes`` so
that a route added without a rule here fails; each staff route must refuse a missing,
unknown and revoked credential with 401 and every role outside its rule with 403, and
must let the roles inside its rule through (any status but 401/403). Public routes must
never ask for a credential. Office checks (403 for another office's receipt) follow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from api.services.roles import Role
from tests.api.conftest import login

PUBLIC = "public"
ALL_ROLES = frozenset(Role)
REPRINT = frozenset({Role.COUNTER, Role.SUPERVISOR, Role.INSPECTOR})

POLICY: dict[tuple[str, str], str | frozenset[Role]] = {
    # Operations and API documentation.
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    # Authentication.
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): ALL_ROLES,
    ("GET", "/api/v1/auth/me"): ALL_ROLES,
    # Counter, supervisor, treasurer.
    ("POST", "/api/v1/receipts"): frozenset({Role.COUNTER}),
    ("GET", "/api/v1/receipts/{ref}.pdf"): REPRINT,
    ("GET", "/api/v1/receipts/{ref}.png"): REPRINT,
    ("GET", "/api/v1/receipts/{ref}"): REPRINT,
    ("POST", "/api/v1/receipts/{seq}/void"): frozenset({Role.SUPERVISOR}),
    ("POST", "/api/v1/closings"): frozenset({Role.COUNTER}),
    ("POST", "/api/v1/deposits"): frozenset({Role.TREASURER}),
    # Public reads and complaints.
    ("GET", "/api/v1/schedules"): PUBLIC,
    ("GET", "/api/v1/schedules/current"): PUBLIC,
    ("GET", "/api/v1/schedules/{version}"): PUBLIC,
    ("GET", "/api/v1/quote"): PUBLIC,
    ("POST", "/api/v1/verify"): PUBLIC,
    ("GET", "/api/v1/receipts/{seq}/status"): PUBLIC,
    ("GET", "/api/v1/proof/consistency"): PUBLIC,
    ("GET", "/api/v1/offices"): PUBLIC,
    ("POST", "/api/v1/complaints"): PUBLIC,
    ("GET", "/api/v1/complaints/{tracking_no}"): PUBLIC,
    ("GET", "/.well-known/bukti/keys.json"): PUBLIC,
    ("GET", "/checkpoint"): PUBLIC,
    ("GET", "/tile/{path:path}"): PUBLIC,
    # Administration.
    ("GET", "/api/v1/users"): frozenset({Role.ADMIN}),
    ("POST", "/api/v1/users"): frozenset({Role.ADMIN}),
    ("POST", "/api/v1/users/{username}/tokens"): frozenset({Role.ADMIN}),
    ("POST", "/api/v1/users/{username}/revoke"): frozenset({Role.ADMIN}),
    ("DELETE", "/api/v1/tokens/{token_id}"): frozenset({Role.ADMIN}),
    ("POST", "/api/v1/offices"): frozenset({Role.ADMIN}),
    ("POST", "/api/v1/offices/{office}/counters"): frozenset({Role.ADMIN}),
    ("POST", "/api/v1/schedules"): frozenset({Role.ADMIN}),
    # Inspectorate.
    ("POST", "/api/v1/audits"): frozenset({Role.INSPECTOR}),
    ("GET", "/api/v1/export"): frozenset({Role.INSPECTOR}),
    ("POST", "/api/v1/complaints/{tracking_no}/status"): frozenset({Role.INSPECTOR}),
}

#: Server-rendered pages (``api.web``, the home page ``/`` included) have their own policy
#: in the pages' suite.
PAGE_PREFIXES = ("/v", "/tarif", "/loket", "/inspektorat", "/transparansi", "/static")

#: One demo user per role, all in the same office where the role is office-bound.
ROLE_USERS = {
    Role.COUNTER: "loket.dlh",
    Role.SUPERVISOR: "spv.dlh",
    Role.TREASURER: "bendahara.dlh",
    Role.INSPECTOR: "inspektur",
    Role.ADMIN: "admin",
}


def _is_page(path: str) -> bool:
    if path == "/":
        return True
    return any(
        path.startswith(p) and path[len(p) : len(p) + 1] in ("", "/", ".") for p in PAGE_PREFIXES
    )


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path template) the app serves, included routers flattened."""
    found = []
    for route in iter_route_contexts(app.routes):
        if route.path is None or _is_page(route.path):
            continue
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                found.append((method, route.path))
    return found


def _concrete(path: str, seq: int) -> str:
    values = {
        "ref": str(seq),
        "seq": str(seq),
        "version": "bekasi-2024.1",
        "tracking_no": "ADU-NOSUCHTHING",
        "username": "loket.dlh",
        "token_id": "t-nosuchtoken",
        "office": "32.16.20-DLH",
        "path:path": "0/000.p/1",
    }
    concrete = re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], path)
    if path == "/api/v1/quote":
        concrete += "?service=RJU-PKR-02"
    if path == "/api/v1/proof/consistency":
        concrete += "?from=1&to=2"
    return concrete


def _call(client: TestClient, method: str, url: str, headers: dict[str, str]) -> Any:
    if method in ("POST", "PUT", "PATCH"):
        return client.request(method, url, json={}, headers=headers)
    return client.request(method, url, headers=headers)


@pytest.fixture
def receipt_seq(client: TestClient) -> int:
    response = client.post(
        "/api/v1/receipts",
        json={"counter": "L01", "service": "RJU-PKR-02"},
        headers={**login(client, "loket.dlh"), "Idempotency-Key": "matrix"},
    )
    assert response.status_code == 201, response.text
    seq: int = response.json()["seq"]
    return seq


def test_every_route_has_a_rule(app: FastAPI) -> None:
    missing = [r for r in _routes(app) if r not in POLICY]
    assert not missing, f"routes without an authorization rule: {missing}"
    stale = [r for r in POLICY if r not in set(_routes(app))]
    assert not stale, f"rules for routes that do not exist: {stale}"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_authorization_matrix(app: FastAPI, client: TestClient, receipt_seq: int) -> None:
    revoked = login(client, "spv.dukcapil")
    assert client.post("/api/v1/auth/logout", headers=revoked).status_code == 204
    failures: list[str] = []
    for method, path in _routes(app):
        rule = POLICY[(method, path)]
        url = _concrete(path, receipt_seq)
        anonymous = _call(client, method, url, {})
        if rule == PUBLIC:
            if anonymous.status_code in (401, 403):
                failures.append(f"{method} {path}: public route answered {anonymous.status_code}")
            continue
        for label, headers in (
            ("no credential", {}),
            ("unknown token", {"Authorization": "Bearer bkt_not-a-real-token"}),
            ("revoked session", revoked),
        ):
            response = _call(client, method, url, headers)
            if response.status_code != 401:
                failures.append(f"{method} {path} with {label}: {response.status_code}, not 401")
            elif not response.headers["content-type"].startswith("application/problem+json"):
                failures.append(f"{method} {path} with {label}: 401 is not a problem response")
        for role, username in ROLE_USERS.items():
            response = _call(client, method, url, login(client, username))
            allowed = isinstance(rule, frozenset) and role in rule
            if allowed and response.status_code in (401, 403):
                failures.append(f"{method} {path} as {role}: refused {response.status_code}")
            if not allowed and response.status_code != 403:
                failures.append(f"{method} {path} as {role}: {response.status_code}, not 403")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_attack_staff_of_another_office_is_refused(
    client: TestClient, receipt_seq: int, staff_headers: Callable[[str], dict[str, str]]
) -> None:
    other_supervisor = staff_headers("spv.dpmptsp")
    void = client.post(
        f"/api/v1/receipts/{receipt_seq}/void",
        json={"reason": "bukan kantor saya"},
        headers=other_supervisor,
    )
    assert void.status_code == 403
    assert void.json()["type"].endswith("/wrong-office")
    other_counter = staff_headers("loket.dpmptsp")
    for suffix in ("", ".pdf", ".png"):
        reprint = client.get(f"/api/v1/receipts/{receipt_seq}{suffix}", headers=other_counter)
        assert reprint.status_code == 403, suffix
    # A counter cannot issue at another office's counter: its office is its own.
    foreign = client.post(
        "/api/v1/receipts",
        json={"counter": "L02", "service": "RJU-PKR-02"},
        headers={**other_counter, "Idempotency-Key": "x"},
    )
    assert foreign.status_code == 404
    # The inspector is district-wide.
    inspector = client.get(f"/api/v1/receipts/{receipt_seq}", headers=staff_headers("inspektur"))
    assert inspector.status_code == 200
