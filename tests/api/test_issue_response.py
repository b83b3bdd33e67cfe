"""The issuance response: the body FastAPI never re-validates matches its documented schema;
FastAPI's own OpenTelemetry reporting follows ``BUKTI_OPENTELEMETRY``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.schemas import ReceiptResponse
from api.settings import Settings
from receipts import TrustList, verify_receipt
from receipts.qr import base32_decode
from tests.conftest import FixedClock

Headers = Callable[[str], dict[str, str]]


def test_the_issued_receipts_body_is_exactly_the_documented_model(
    client: TestClient, staff_headers: Headers
) -> None:
    response = client.post(
        "/api/v1/receipts",
        json={"counter": "L01", "service": "RJU-SMP-01", "inputs": {"bulan": 3}},
        headers={**staff_headers("loket.dlh"), "Idempotency-Key": "shape-1"},
    )
    assert response.status_code == 201, response.text
    # Validating the served JSON and serializing it again gives the same document: no
    # field missing, none extra, every value of its declared type.
    model = ReceiptResponse.model_validate_json(response.content)
    assert model.model_dump(mode="json") == response.json()
    assert model.links.self == f"/api/v1/receipts/{model.seq}"
    assert response.headers["location"] == model.links.self
    # The QR URL carries the signed receipt (the service's own Base32), and it verifies
    # under the published trust list as the receipt this response describes.
    cose = base32_decode(model.qr_url.split("#", 1)[1])
    trust = TrustList.from_json(client.get("/.well-known/bukti/keys.json").content)
    claims = verify_receipt(cose, trust).claims
    assert (claims.number, claims.ledger_index) == (model.receipt_no, model.seq)
    assert claims.amount_charged == model.charged == model.official_fee


@pytest.mark.parametrize("enabled", [False, True])
def test_fastapi_telemetry_follows_the_setting(
    settings: Settings,
    clock: FixedClock,
    init_report: object,
    enabled: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As if the process had OpenTelemetry providers configured: FastAPI reports to them
    # only when the deployment turned its telemetry on.
    monkeypatch.setattr("fastapi.telemetry._asgi._unconfigured", lambda _provider: False)
    app = create_app(settings.model_copy(update={"opentelemetry": enabled}), clock=clock)
    try:
        assert app._native_telemetry.enabled() is enabled
    finally:
        app.state.services.close()
