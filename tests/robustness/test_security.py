"""Security checks as tests (``docs/security.md`` names the threat each one answers).

Rate limits, login brute force, session cookie flags, CSRF on every form, security headers
on every page, no secret in any log, private key file modes, constant-time secret
comparisons, and no personal data in the log, receipts, QR codes, public pages, logs or an
export bundle after a whole day that includes a complaint full of personal data.
"""

from __future__ import annotations

import ast
import logging
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import CONTENT_SECURITY_POLICY, install_security
from api.services.bootstrap import initialize
from api.services.container import build_services
from api.settings import Settings
from api.web import router as pages_router
from audit.export import write_bundle
from audit.sources import DatabaseSource
from ledger.storage import create_engine_for
from receipts import InsecureKeyFileError, extract_payload, read_key_file
from receipts.cose import parse_sign1
from tests.conftest import FixedClock
from tests.robustness.checks import verify_problem
from tests.robustness.harness import REPO_ROOT, demo_password

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
#: A NIK-shaped number (region 32.16.09, born 05-01-1990, a woman: day + 40) and demo names.
NIK = "3216094501900003"
RESIDENT_NAMES = ("Siti Nurhaliza", "Budi Santoso")
#: Sixteen digits standing alone: not a run of digits inside a hex or base64 hash, which
#: random hashes contain now and then. The planted NIK is also searched for literally.
NIK_SHAPE = re.compile(rb"(?<![0-9A-Za-z+/])[0-9]{16}(?![0-9A-Za-z+/=])")


def _settings(root: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": root / "var",
        "database_url": f"sqlite:///{root / 'bukti.sqlite3'}",
        "public_url": "https://bukti.test",
        "rate_limit_per_minute": 10_000_000,
        "session_timeout_minutes": 24 * 60,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="module")
def initialized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One initialized data directory and database; tests copy or reuse it."""
    root = tmp_path_factory.mktemp("security")
    initialize(_settings(root), clock=FixedClock(), password_hasher=FAST_HASHER)
    return root


def _app(root: Path, clock: FixedClock | None = None, **overrides: Any) -> FastAPI:
    settings = _settings(root, **overrides)
    app = create_app(settings, clock=clock or FixedClock())
    install_security(app, settings)
    return app


@pytest.fixture
def client(initialized: Path) -> Iterator[TestClient]:
    with TestClient(_app(initialized), raise_server_exceptions=False) as test_client:
        yield test_client


def _login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/login", json={"username": username, "password": demo_password(username)}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


# -- rate limits and brute force ---------------------------------------------------------------


def test_attack_public_endpoints_rate_limited(initialized: Path) -> None:
    app = _app(initialized, rate_limit_per_minute=5)
    with TestClient(app, raise_server_exceptions=False) as client:
        allowed = [client.get("/api/v1/schedules").status_code for _ in range(5)]
        limited = client.get("/checkpoint")  # one bucket per address, across public routes
        # A forged X-Forwarded-For does not buy a fresh bucket (no trusted proxy configured).
        spoofed = client.get("/api/v1/offices", headers={"X-Forwarded-For": "203.0.113.9"})
    assert allowed == [200] * 5
    for response in (limited, spoofed):
        assert response.status_code == 429
        assert verify_problem(response)["type"].endswith("/rate-limited")
        assert int(response.headers["retry-after"]) >= 1


def test_attack_login_brute_force_slowed_then_locked(initialized: Path) -> None:
    clock = FixedClock()
    app = _app(initialized, clock=clock, login_max_failures=3, login_lock_minutes=15)
    wrong = {"username": "spv.dlh", "password": "tebakan-salah"}
    right = {"username": "spv.dlh", "password": demo_password("spv.dlh")}
    with TestClient(app, raise_server_exceptions=False) as client:
        first = client.post("/api/v1/auth/login", json=wrong)
        assert first.status_code == 401
        too_soon = client.post("/api/v1/auth/login", json=right)  # even the right password
        assert too_soon.status_code == 429
        assert verify_problem(too_soon)["type"].endswith("/login-throttled")
        assert int(too_soon.headers["retry-after"]) >= 1
        for _ in range(2):
            clock.advance(60_000)
            assert client.post("/api/v1/auth/login", json=wrong).status_code == 401
        clock.advance(60_000)
        locked = client.post("/api/v1/auth/login", json=right)
        assert locked.status_code == 429
        assert verify_problem(locked)["type"].endswith("/account-locked")
        clock.advance(15 * 60_000 + 1)
        assert client.post("/api/v1/auth/login", json=right).status_code == 200


# -- cookies, CSRF, headers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("public_url", "secure"), [("https://bukti.test", True), ("http://x", False)]
)
def test_session_cookie_httponly_samesite_secure_behind_https(
    initialized: Path, public_url: str, secure: bool
) -> None:
    with TestClient(_app(initialized, public_url=public_url)) as client:
        response = client.post(
            "/api/v1/auth/login",
            json={"username": "loket.dlh", "password": demo_password("loket.dlh")},
        )
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("bukti_session=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert ("; secure" in cookie) is secure


def _page_routes(router: Any = pages_router) -> Iterator[APIRoute]:
    """Every route of the pages, through included routers."""
    for route in router.routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None) or getattr(route, "router", None)
        if inner is not None and inner is not router:
            yield from _page_routes(inner)


def _post_pages() -> list[str]:
    return sorted(
        {
            re.sub(r"\{[^}]+\}", "0", r.path)
            for r in _page_routes()
            if "POST" in (r.methods or set())
        }
    )


def test_attack_csrf_every_form_refuses_a_post_without_the_token(client: TestClient) -> None:
    forms = _post_pages()
    assert "/loket/masuk" in forms
    assert len(forms) >= 4
    login = client.post(
        "/api/v1/auth/login",
        json={"username": "loket.dlh", "password": demo_password("loket.dlh")},
    )
    assert login.status_code == 200
    size = client.get("/healthz").json()["log_size"]
    for path in forms:
        # Logged in (session cookie) but posting from elsewhere: no csrf field, no cookie.
        client.cookies.delete("bukti_csrf")
        response = client.post(
            path,
            data={"counter": "L01", "service": "RJU-PKR-01", "reason": "x", "username": "a"},
            headers={"Origin": "https://evil.example"},
            follow_redirects=False,
        )
        assert response.status_code == 403, (path, response.status_code)
    assert client.get("/healthz").json()["log_size"] == size  # nothing was written


def _get_pages(client: TestClient) -> list[str]:
    paths = ["/", "/v", "/v/kode", "/tarif", "/tarif/RJU-SMP-01", "/loket", "/inspektorat"]
    paths += ["/transparansi", "/transparansi.csv", "/tarif/poster/32.16.20-DLH"]
    for route in _page_routes():
        if "GET" in (route.methods or set()) and "{" not in route.path:
            paths.append(route.path)
    return sorted(set(paths))


def test_security_headers_on_every_page_api_and_error(client: TestClient) -> None:
    pages = _get_pages(client)
    others = ["/api/v1/schedules", "/checkpoint", "/healthz", "/nope", "/api/v1/receipts/1"]
    for path in [*pages, *others]:
        response = client.get(path, follow_redirects=False)
        assert response.status_code < 500, path
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "no-referrer", path
        assert headers["x-frame-options"] == "DENY", path
        assert "camera=()" in headers["permissions-policy"], path
        assert headers["strict-transport-security"].startswith("max-age="), path
        policy = headers["content-security-policy"]
        for directive in ("script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"):
            assert directive in policy, (path, policy)
        assert "unsafe-inline" not in policy, path
        if headers.get("content-type", "").startswith("text/html"):
            html = response.text
            # CSP without inline script: no executable inline <script>, no on* handlers.
            for tag in re.findall(r"<script\b[^>]*>", html):
                assert "src=" in tag or "application/json" in tag, (path, tag)
            assert not re.search(r"\son[a-z]+\s*=", html), path
    assert client.get("/nope").headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_api_docs_page_allows_only_its_own_inline_script_by_hash(client: TestClient) -> None:
    response = client.get("/docs")
    policy = response.headers["content-security-policy"]
    assert "'sha256-" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy


# -- secrets --------------------------------------------------------------------------------------


def test_attack_tokens_and_passwords_never_logged(
    initialized: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    password = demo_password("loket.dlh")
    with TestClient(_app(initialized), raise_server_exceptions=False) as client:
        headers = _login(client, "loket.dlh")
        token = headers["Authorization"].split()[1]
        assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
        client.post("/api/v1/auth/login", json={"username": "loket.dlh", "password": "salah-1"})
        client.get("/api/v1/auth/me", headers={"Authorization": "Bearer bkt_tebakan"})
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert "request" in text  # the access log did capture these requests
    for secret in (password, token, "salah-1", "bkt_tebakan"):
        assert secret not in text


def test_private_key_files_are_0600_and_refused_when_others_can_read(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    initialize(settings, clock=FixedClock(), password_hasher=FAST_HASHER)
    keys = sorted(settings.keys_dir.glob("*.key"))
    assert len(keys) >= 2
    for path in keys:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(settings.keys_dir.stat().st_mode) == 0o700
    log_key = settings.keys_dir / "log.key"
    log_key.chmod(0o644)
    with pytest.raises(InsecureKeyFileError):
        read_key_file(log_key)
    with pytest.raises(InsecureKeyFileError):
        build_services(settings)  # the server refuses to start on such a key


_SECRET_NAME = re.compile(r"(token|password|passw|secret|csrf|passphrase)", re.I)


def _name_of(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return _name_of(node.value)
    return ""


def _not_secret(node: ast.AST) -> bool:
    """A literal, a CONSTANT, a ``len(...)``, or an SQL column (``table.c.name``: a lookup)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name) and node.id.isupper():
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len":
        return True
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "c"
    )


def test_secret_comparisons_are_constant_time() -> None:
    """No ``==``/``!=`` between secrets in the service; the checks use the right primitives."""
    offenders = []
    for package in ("api", "receipts", "ledger"):
        for path in (REPO_ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Compare):
                    continue
                if not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
                    continue
                operands = [node.left, *node.comparators]
                if any(_not_secret(o) for o in operands):
                    continue
                if any(_SECRET_NAME.search(_name_of(o)) for o in operands):
                    offenders.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    assert not offenders, offenders
    csrf = (REPO_ROOT / "api/web/csrf.py").read_text(encoding="utf-8")
    assert "hmac.compare_digest(" in csrf
    credentials = (REPO_ROOT / "api/services/credentials.py").read_text(encoding="utf-8")
    assert "self._hasher.verify(" in credentials  # Argon2 verify (constant time inside)
    # Bearer tokens are looked up by their SHA-256, never compared as text.
    assert "token_digest(token)" in (REPO_ROOT / "api/services/auth.py").read_text()


# -- personal data ----------------------------------------------------------------------------


def _scan(label: str, data: bytes, findings: list[str]) -> None:
    for match in NIK_SHAPE.finditer(data):
        findings.append(f"{label}: NIK-shaped {match.group().decode()}")
    if NIK.encode() in data:
        findings.append(f"{label}: the planted NIK")
    for name in RESIDENT_NAMES:
        for form in (name, name.lower(), name.upper()):
            if form.encode() in data:
                findings.append(f"{label}: name {name}")


def test_attack_no_personal_data_in_log_qr_pages_logs_or_export(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = _settings(tmp_path)
    clock = FixedClock()
    initialize(settings, clock=clock, password_hasher=FAST_HASHER)
    app = create_app(settings, clock=clock)
    install_security(app, settings)
    findings: list[str] = []
    with TestClient(app, raise_server_exceptions=False) as client:
        counter = _login(client, "loket.dlh")
        supervisor = _login(client, "spv.dlh")
        qr_urls = []
        for n, body in enumerate(
            [
                {"counter": "L01", "service": "RJU-SMP-01", "inputs": {"bulan": 2}},
                {"counter": "L02", "service": "RJU-PKR-02"},
                {"counter": "L01", "service": "RJU-PKR-01", "charged": 5000},  # refused
            ]
        ):
            clock.advance(60_000)
            client.post(
                "/api/v1/receipts", json=body, headers={**counter, "Idempotency-Key": f"pd{n}"}
            )
        receipts = [client.get(f"/api/v1/receipts/{s}", headers=counter) for s in (21, 22)]
        qr_urls = [r.json()["qr_url"] for r in receipts if r.status_code == 200]
        assert len(qr_urls) == 2
        void = client.post(
            "/api/v1/receipts/22/void", json={"reason": "Salah input"}, headers=supervisor
        )
        assert void.status_code == 201, void.text
        qr_urls.append(void.json()["void_qr_url"])
        complaint = client.post(
            "/api/v1/complaints",
            json={
                "receipt": qr_urls[0],
                "paid": 50_000,
                "text": f"Saya {RESIDENT_NAMES[0]} (NIK {NIK}) diminta Rp50.000 oleh petugas.",
                "contact": f"{RESIDENT_NAMES[1]}, 0812-0000-0000, NIK {NIK}",
            },
        )
        assert complaint.status_code == 201, complaint.text
        tracking = complaint.json()["tracking_no"]
        public = ["/", "/v", "/tarif", "/transparansi", "/transparansi.csv", "/checkpoint"]
        public += [f"/api/v1/complaints/{tracking}", "/.well-known/bukti/keys.json"]
        public += [f"/api/v1/receipts/{s}/status" for s in (21, 22)]
        size = client.get("/healthz").json()["log_size"]
        public += [f"/tile/entries/000.p/{size}"]
        for path in public:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            _scan(f"page {path}", response.content, findings)
        for url in qr_urls:
            _scan("QR", url.encode(), findings)
            _scan("QR payload", parse_sign1(extract_payload(url)).payload, findings)

    engine = create_engine_for(settings.resolved_database_url)
    try:
        source = DatabaseSource(
            engine, origin=settings.origin, trust_list=settings.trust_list_path.read_bytes()
        )
        for seq, data in source.entries(0):
            _scan(f"entry {seq}", data, findings)
        bundle = tmp_path / "bundle"
        write_bundle(source, bundle, exported_at=clock())
    finally:
        engine.dispose()
    files = [p for p in bundle.rglob("*") if p.is_file()]
    assert files
    for file in files:
        _scan(f"export {file.relative_to(bundle)}", file.read_bytes(), findings)
    _scan("logs", caplog.text.encode(), findings)
    assert not findings, findings
