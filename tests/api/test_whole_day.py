"""A whole business day of the demo offices, through HTTP only, on SQLite and PostgreSQL.

Login, receipts of every tariff kind, refused charges logged as evidence, an idempotent
retry, reprints, a void, a closing, a deposit and a complaint; then the whole log verifies
against its signed checkpoints, and every receipt's status and inclusion proof verify
against the checkpoint returned with it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from api.settings import Settings
from ledger.checkpoint import open_checkpoint
from ledger.merkle import leaf_hash, verify_inclusion
from ledger.note import NoteSigner, NoteVerifier
from ledger.storage import LogStore, create_engine_for
from ledger.verify import LogVerifier
from receipts.trustlist import TrustList
from tests.conftest import FixedClock

Headers = Callable[[str], dict[str, str]]


def _issue(client: TestClient, headers: dict[str, str], key: str, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/receipts", json=body, headers={**headers, "Idempotency-Key": key})


def _log_verifier(client: TestClient) -> NoteVerifier:
    trust = TrustList.from_json(client.get("/.well-known/bukti/keys.json").content)
    (log_key,) = [r for r in trust.records if r.purpose.value == "log"]
    assert log_key.verifier_key is not None
    return NoteVerifier.from_string(log_key.verifier_key)


def _check_status(client: TestClient, seq: int, verifier: NoteVerifier, origin: str) -> Any:
    status = client.get(f"/api/v1/receipts/{seq}/status")
    assert status.status_code == 200, status.text
    body = status.json()
    signed = open_checkpoint(body["checkpoint"].encode(), [verifier], origin=origin)
    assert signed.checkpoint.size == body["tree_size"] > seq
    entry = base64.b64decode(body["entry"])
    assert leaf_hash(entry).hex() == body["leaf_hash"]
    # RFC 9162 §2.1.3.2 against the root of the very checkpoint returned with the status.
    verify_inclusion(
        leaf_hash(entry),
        seq,
        body["tree_size"],
        [bytes.fromhex(h) for h in body["inclusion_proof"]],
        signed.checkpoint.root,
    )
    return body


def test_whole_day_of_an_office(
    client: TestClient, staff_headers: Headers, settings: Settings, clock: FixedClock
) -> None:
    loket = staff_headers("loket.dlh")
    loket_pbg = staff_headers("loket.dpmptsp")
    loket_dukcapil = staff_headers("loket.dukcapil")

    # Receipts: per-unit, fixed, formula (PBG known answer) and a free service at Rp0.
    clock.advance(60 * 60_000)
    per_unit = _issue(
        client, loket, "d1", {"counter": "L01", "service": "RJU-SMP-01", "inputs": {"bulan": 3}}
    )
    assert per_unit.status_code == 201, per_unit.text
    assert per_unit.json()["official_fee"] == per_unit.json()["charged"] == 33_000
    clock.advance(60_000)
    fixed = _issue(client, loket, "d2", {"counter": "L01", "service": "RJU-PKR-02"})
    assert fixed.status_code == 201, fixed.text
    assert fixed.json()["charged"] == 3_000
    clock.advance(60_000)
    formula = _issue(
        client,
        loket_pbg,
        "p1",
        {
            "counter": "L01",
            "service": "RPT-PBG-01",
            "inputs": {"LLt": "235", "It": "0.773", "Ibg": "1"},
            "charged": 6_176_270,
        },
    )
    assert formula.status_code == 201, formula.text
    assert formula.json()["official_fee"] == 6_176_270
    free = _issue(client, loket_dukcapil, "k1", {"counter": "L01", "service": "BBS-DKP-01"})
    assert free.status_code == 201, free.text
    assert free.json()["charged"] == free.json()["official_fee"] == 0

    # Refused charges are answered 422 and logged as charge.rejected evidence.
    clock.advance(60_000)
    over = _issue(
        client, loket, "d3", {"counter": "L01", "service": "RJU-PKR-02", "charged": 10_000}
    )
    assert over.status_code == 422
    assert over.headers["content-type"].startswith("application/problem+json")
    assert over.json()["verdict"] == "overcharge"
    assert over.json()["type"].endswith("/overcharge")
    pungli = _issue(
        client, loket_dukcapil, "k2", {"counter": "L02", "service": "BBS-DKP-04", "charged": 50_000}
    )
    assert pungli.status_code == 422
    assert pungli.json()["verdict"] == "charged_for_free_service"
    entries = client.get(f"/tile/entries/000.p/{pungli.json()['seq'] + 1}")
    assert b"charge.rejected" in entries.content

    # Idempotent retry: same key and body → the same receipt; another body → 409.
    retry = _issue(
        client, loket, "d1", {"counter": "L01", "service": "RJU-SMP-01", "inputs": {"bulan": 3}}
    )
    assert retry.status_code in (200, 201)
    assert retry.json() == per_unit.json()
    reused = _issue(
        client, loket, "d1", {"counter": "L01", "service": "RJU-SMP-01", "inputs": {"bulan": 4}}
    )
    assert reused.status_code == 409
    retry_refusal = _issue(
        client, loket, "d3", {"counter": "L01", "service": "RJU-PKR-02", "charged": 10_000}
    )
    assert retry_refusal.status_code == 422
    assert retry_refusal.json()["seq"] == over.json()["seq"]

    # Reprints.
    seq_fixed = fixed.json()["seq"]
    for layout in ("thermal58", "thermal80", "a4"):
        pdf = client.get(f"/api/v1/receipts/{seq_fixed}.pdf?layout={layout}", headers=loket)
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF-")
    png = client.get(f"/api/v1/receipts/{fixed.json()['short_code']}.png", headers=loket)
    assert png.status_code == 200
    assert png.content.startswith(b"\x89PNG")

    # A void: refused for the counter role, done by the office's supervisor, once.
    clock.advance(60_000)
    refused = client.post(
        f"/api/v1/receipts/{seq_fixed}/void", json={"reason": "salah kendaraan"}, headers=loket
    )
    assert refused.status_code == 403
    voided = client.post(
        f"/api/v1/receipts/{seq_fixed}/void",
        json={"reason": "salah kendaraan"},
        headers=staff_headers("spv.dlh"),
    )
    assert voided.status_code == 201, voided.text
    again = client.post(
        f"/api/v1/receipts/{seq_fixed}/void",
        json={"reason": "salah kendaraan"},
        headers=staff_headers("spv.dlh"),
    )
    assert again.status_code == 409

    # Closing: figures that differ are refused; the ledger's own figures are accepted.
    clock.advance(8 * 60 * 60_000)
    wrong = client.post(
        "/api/v1/closings", json={"counter": "L01", "count": 1, "total": 1}, headers=loket
    )
    assert wrong.status_code == 422
    assert wrong.json()["type"].endswith("/closing-mismatch")
    closing = client.post(
        "/api/v1/closings",
        json={"counter": "L01", "count": 2, "total": 36_000, "voids": 1, "void_total": 3_000},
        headers=loket,
    )
    assert closing.status_code == 201, closing.text
    assert closing.json()["net"] == 33_000

    # Deposit of the day's net collection by the office's treasurer.
    deposit = client.post(
        "/api/v1/deposits",
        json={
            "sts_no": "STS/DLH/2025/0001",
            "bank_ref": "BJB-CKR-0001",
            "amount": 33_000,
            "period_from": "2025-01-01",
            "period_to": "2025-01-01",
            "counters": ["L01"],
        },
        headers=staff_headers("bendahara.dlh"),
    )
    assert deposit.status_code == 201, deposit.text

    # A resident's complaint about the free service they were charged for.
    complaint = client.post(
        "/api/v1/complaints",
        json={
            "receipt": free.json()["qr_url"],
            "paid": 50_000,
            "text": "Diminta bayar Rp50.000 untuk KTP-el, padahal gratis.",
            "contact": "0812-0000-0000",
        },
    )
    assert complaint.status_code == 201, complaint.text
    tracking = complaint.json()["tracking_no"]
    followed = client.get(f"/api/v1/complaints/{tracking}")
    assert followed.json()["status"] == "received"
    assert "text" not in followed.json()

    # The whole log verifies against every stored checkpoint.
    verifier = _log_verifier(client)
    engine = create_engine_for(settings.resolved_database_url)
    store = LogStore(engine, signer=_unused_signer(), origin=settings.origin)
    try:
        log = LogVerifier(
            settings.origin, [verifier], checkpoints=[c.note for c in store.checkpoints()]
        )
        size = store.size()
        for stored in store.entries(0, size):
            log.add_entry(stored.seq, stored.data)
        log_report = log.finish()
        assert log_report.ok, log_report
        complaint_entry = store.entry(complaint.json()["seq"]).data
        assert b"0812" not in complaint_entry
        assert b"KTP-el" not in complaint_entry
    finally:
        store.close()
        engine.dispose()

    # Every receipt: status with a proof for the checkpoint returned with it; verify says so.
    for issued in (per_unit, formula, free):
        body = _check_status(client, issued.json()["seq"], verifier, settings.origin)
        assert body["status"] == "issued"
        check = client.post("/api/v1/verify", json={"input": issued.json()["qr_url"]})
        assert check.json()["valid"] is True, check.text
    voided_status = _check_status(client, seq_fixed, verifier, settings.origin)
    assert voided_status["status"] == "voided"
    assert voided_status["void"]["seq"] == voided.json()["seq"]
    check = client.post("/api/v1/verify", json={"input": fixed.json()["qr_url"]})
    assert check.json()["valid"] is False
    assert check.json()["code"] == "voided"

    # The inspectorate audits the live database and exports a bundle.
    inspector = staff_headers("inspektur")
    audit = client.post("/api/v1/audits", json={}, headers=inspector)
    assert audit.status_code == 200, audit.text
    report = audit.json()
    assert report["verdict"]["integrity"] == "holds"
    assert report["counts"]["receipts_checked"] == 5
    codes = {f["code"] for f in report["findings"]}
    assert "compliance.free_service_attempt" in codes  # the refused pungli is evidence
    export = client.get("/api/v1/export", headers=inspector)
    assert export.status_code == 200, export.text
    with zipfile.ZipFile(io.BytesIO(export.content)) as bundle:
        assert bundle.namelist()


def _unused_signer() -> NoteSigner:
    """A signer for a read-only store (nothing is appended through it)."""
    return NoteSigner("read-only", hashlib.sha256(b"unused").digest())
