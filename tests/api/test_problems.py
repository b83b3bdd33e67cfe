"""Every error is an RFC 9457 problem with both languages; bad input changes nothing."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.problems import PROBLEM_BASE
from api.settings import Settings
from ledger.errors import StorageUnavailableError
from tests.api.conftest import login
from tests.conftest import FixedClock

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _is_problem(response: object, status: int, slug: str) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["type"] == PROBLEM_BASE + slug
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["detail_en"]
    assert "Traceback" not in response.text  # type: ignore[attr-defined]
    return body


def test_validation_names_the_field(client: TestClient) -> None:
    headers = {**login(client, "loket.dlh"), "Idempotency-Key": "v1"}
    response = client.post(
        "/api/v1/receipts", json={"counter": "L01", "charged": -5}, headers=headers
    )
    body = _is_problem(response, 422, "validation")
    fields = {e["field"] for e in body["errors"]}  # type: ignore[attr-defined]
    assert {"service", "charged"} <= fields


def test_missing_idempotency_key_is_refused(client: TestClient) -> None:
    response = client.post(
        "/api/v1/receipts",
        json={"counter": "L01", "service": "RJU-PKR-02"},
        headers=login(client, "loket.dlh"),
    )
    _is_problem(response, 400, "idempotency-key-required")


def test_invalid_inputs_are_refused_and_logged(client: TestClient) -> None:
    size_before = int(client.get("/checkpoint").text.splitlines()[1])
    response = client.post(
        "/api/v1/receipts",
        json={"counter": "L01", "service": "RJU-SMP-01", "inputs": {"bulan": 13}},
        headers={**login(client, "loket.dlh"), "Idempotency-Key": "bad-inputs"},
    )
    body = _is_problem(response, 422, "invalid-inputs")
    assert body["verdict"] == "invalid_inputs"
    assert body["field"] == "inputs.bulan"
    assert body["seq"] == size_before


def test_unknown_route_and_method(client: TestClient) -> None:
    _is_problem(client.get("/api/v1/nothing-here"), 404, "not-found")
    _is_problem(client.delete("/api/v1/schedules"), 405, "method-not-allowed")


def test_quote_errors(client: TestClient) -> None:
    _is_problem(client.get("/api/v1/quote?service=NOPE-01"), 404, "unknown-service")
    quote = client.get("/api/v1/quote?service=RJU-SMP-01&bulan=2")
    assert quote.status_code == 200
    assert quote.json()["official_fee"] == 22_000


def test_attack_flooding_public_endpoints_is_rate_limited(
    settings: Settings, clock: FixedClock, init_report: object
) -> None:
    limited = settings.model_copy(update={"rate_limit_per_minute": 3})
    with TestClient(create_app(limited, clock=clock)) as client:
        for _ in range(3):
            assert client.get("/api/v1/schedules").status_code == 200
        body = _is_problem(client.get("/api/v1/schedules"), 429, "rate-limited")
        assert body["retry_after"] == 20
        assert client.get("/checkpoint").headers["retry-after"] == "20"
        clock.advance(20_000)
        assert client.get("/api/v1/schedules").status_code == 200


def test_storage_unavailable_is_503_with_retry_after(
    app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_args: object) -> None:
        raise StorageUnavailableError("reading entry 1: database unavailable: /srv/secret.db")

    monkeypatch.setattr(app.state.services.store, "entry", down)
    response = client.get("/api/v1/receipts/1/status")
    body = _is_problem(response, 503, "service-unavailable")
    assert response.headers["retry-after"] == "5"
    assert "secret" not in str(body)


def test_openapi_documents_problems_and_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    issue = spec["paths"]["/api/v1/receipts"]["post"]
    assert "application/problem+json" in issue["responses"]["422"]["content"]
    assert "ProblemModel" in spec["components"]["schemas"]
    assert re.search(r"example", str(spec["components"]["schemas"]["IssueRequest"]))
