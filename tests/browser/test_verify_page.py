"""Scan-to-verify in a real browser: valid, tampered, unknown key, voided, fallback, Lapor."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Request

from receipts import KeyPair, sign_receipt
from receipts.claims import decode_claims, encode_claims
from receipts.cose import encode_sign1, parse_sign1
from receipts.qr import base32_decode, base32_encode
from tests.browser.conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

_NO_ED25519 = """
(() => {
  const original = crypto.subtle.importKey.bind(crypto.subtle);
  crypto.subtle.importKey = (format, key, algorithm, ...rest) => {
    const name = typeof algorithm === "string" ? algorithm : algorithm && algorithm.name;
    if (name === "Ed25519") {
      return Promise.reject(new DOMException("Unrecognized name.", "NotSupportedError"));
    }
    return original(format, key, algorithm, ...rest);
  };
})();
"""


def issue(server: LiveServer, token: str, service: str, inputs: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"{server.url}/api/v1/receipts",
        json={"counter": "L01", "service": service, "inputs": inputs},
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": hashlib.sha256(
                repr((service, inputs, server.clock())).encode()
            ).hexdigest()[:32],
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def open_receipt(page: Page, url: str) -> dict[str, str]:
    page.goto(url)
    page.wait_for_selector("body[data-done='1']")
    return {
        "verdict": page.locator("#verdict-title").inner_text().strip(),
        "reason": page.locator("#verdict-reason").inner_text().strip(),
        "details": page.locator("#details").inner_text(),
        "ledger": page.locator("#ledger-line").inner_text(),
        "mode": page.locator("#mode-note").inner_text(),
    }


def _payload(receipt: dict[str, Any]) -> str:
    return str(receipt["qr_url"]).split("#", 1)[1]


def test_scan_valid_receipt_verified_in_browser_without_sending_payload(
    page: Page, live_server: LiveServer, api_token: str
) -> None:
    receipt = issue(live_server, api_token, "RJU-SMP-02", {"bulan": 2})
    payload = _payload(receipt)
    sent: list[Request] = []

    def record(request: Request) -> None:
        sent.append(request)

    page.on("request", record)
    shown = open_receipt(page, receipt["qr_url"])
    assert shown["verdict"] == "SAH"
    assert "Rp30.000" in shown["details"]
    assert "persampahan" in shown["details"]
    assert "Dinas Lingkungan Hidup" in shown["details"]
    assert "WIB" in shown["details"]
    assert receipt["receipt_no"] in shown["details"]
    assert "null" not in shown["details"]
    assert "undefined" not in shown["details"]
    assert "Tercatat di buku besar publik" in shown["ledger"]
    assert "diperiksa di perangkat Anda" in shown["mode"]
    assert "belum diverifikasi" in page.locator("#warning").inner_text()
    # Only the ledger index left the phone: never the payload.
    urls = [r.url.split("#", 1)[0] for r in sent]
    assert f"{live_server.url}/api/v1/receipts/{receipt['seq']}/status" in urls
    for request in sent:
        assert payload not in request.url.split("#", 1)[0]
        assert payload not in (request.post_data or "")
        assert payload not in str(request.headers)


def _tampered(receipt: dict[str, Any]) -> str:
    sign1 = parse_sign1(base32_decode(_payload(receipt)))
    claims = decode_claims(sign1.payload)
    cheaper = dataclasses.replace(
        claims, official_fee=claims.official_fee + 5000, amount_charged=claims.amount_charged + 5000
    )
    forged = encode_sign1(sign1.protected, encode_claims(cheaper), sign1.signature)
    return str(receipt["qr_url"]).split("#", 1)[0] + "#" + base32_encode(forged)


def test_attack_tampered_payload_is_invalid_with_reason(
    page: Page, live_server: LiveServer, api_token: str
) -> None:
    receipt = issue(live_server, api_token, "RJU-PKR-02", {})
    shown = open_receipt(page, _tampered(receipt))
    assert shown["verdict"] == "TIDAK SAH"
    assert "isi kuitansi telah diubah" in shown["reason"]
    # A forged receipt is itself worth reporting.
    assert page.get_by_role("button", name="Laporkan pungli").is_visible()


def test_attack_receipt_signed_by_unknown_key_is_invalid(
    page: Page, live_server: LiveServer, api_token: str
) -> None:
    receipt = issue(live_server, api_token, "RJU-PKR-02", {})
    claims = decode_claims(parse_sign1(base32_decode(_payload(receipt))).payload)
    outsider = KeyPair(hashlib.sha256(b"bukti browser test outsider key").digest())
    forged = sign_receipt(claims, outsider)
    url = str(receipt["qr_url"]).split("#", 1)[0] + "#" + base32_encode(forged)
    shown = open_receipt(page, url)
    assert shown["verdict"] == "TIDAK SAH"
    assert "kunci yang tidak dikenal" in shown["reason"]


def test_attack_garbage_fragment_is_malformed(page: Page, live_server: LiveServer) -> None:
    shown = open_receipt(page, f"{live_server.url}/v#NOTARECEIPT234")
    assert shown["verdict"] == "TIDAK SAH"
    assert "rusak" in shown["reason"]


def test_voided_receipt_is_shown_voided(
    page: Page, live_server: LiveServer, api_token: str
) -> None:
    receipt = issue(live_server, api_token, "RJU-PKR-02", {})
    login = httpx.post(
        f"{live_server.url}/api/v1/auth/login",
        json={"username": "spv.dlh", "password": "demo-penyelia-2024"},
    )
    supervisor = login.json()["token"]
    voided = httpx.post(
        f"{live_server.url}/api/v1/receipts/{receipt['seq']}/void",
        json={"reason": "Salah pilih layanan"},
        headers={"Authorization": f"Bearer {supervisor}"},
    )
    assert voided.status_code == 201, voided.text
    shown = open_receipt(page, receipt["qr_url"])
    assert shown["verdict"] == "DIBATALKAN"
    assert "dibatalkan oleh petugas" in shown["reason"]


def test_without_ed25519_the_server_checks_and_the_page_says_so(
    page: Page, live_server: LiveServer, api_token: str
) -> None:
    page.add_init_script(_NO_ED25519)
    receipt = issue(live_server, api_token, "RJU-SMP-01", {"bulan": 1})
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    shown = open_receipt(page, receipt["qr_url"])
    assert shown["verdict"] == "SAH"
    assert "diperiksa oleh server Bukti" in shown["mode"]
    assert f"{live_server.url}/api/v1/verify" in posted


def test_complaint_end_to_end(page: Page, live_server: LiveServer, api_token: str) -> None:
    receipt = issue(live_server, api_token, "RJU-SMP-03", {"bulan": 1})
    open_receipt(page, receipt["qr_url"])
    page.get_by_role("button", name="Laporkan pungli").click()
    page.get_by_label("Berapa yang sebenarnya Anda bayar?").fill("50000")
    page.get_by_label("Apa yang terjadi?").fill("Petugas meminta Rp50.000, kuitansi Rp20.000.")
    page.get_by_role("button", name="Kirim laporan").click()
    page.wait_for_selector("#complaint-done:not([hidden])")
    tracking = page.locator("#complaint-tracking").inner_text().strip()
    assert tracking
    assert "lapor.go.id" in page.locator("#complaint-done").inner_text()
    assert "137" in page.locator("#complaint-done").inner_text()
    status = httpx.get(f"{live_server.url}/api/v1/complaints/{tracking}")
    assert status.status_code == 200
    assert status.json()["status"] == "received"


def test_typed_short_code_leads_to_the_verified_receipt(
    page: Page, live_server: LiveServer, api_token: str
) -> None:
    receipt = issue(live_server, api_token, "RJU-PKR-01", {})
    page.goto(f"{live_server.url}/v")
    page.get_by_role("textbox", name="Kode verifikasi").fill(receipt["short_code"].lower())
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-done='1']")
    assert page.locator("#verdict-title").inner_text().strip() == "SAH"
    assert receipt["receipt_no"] in page.locator("#details").inner_text()


def test_attack_genuinely_signed_receipt_missing_from_the_log_is_invalid(
    page: Page, live_server: LiveServer, api_token: str
) -> None:
    """A receipt signed with the real key (a stolen key, a bypassed ledger) but not logged."""
    receipt = issue(live_server, api_token, "RJU-PKR-03", {})
    sign1 = parse_sign1(base32_decode(_payload(receipt)))
    claims = decode_claims(sign1.payload)
    unlogged = dataclasses.replace(claims, number=claims.number + "X", commitment=bytes(16))
    key = live_server.app.state.services.key_files.load_receipts_key(sign1.kid)
    forged = sign_receipt(unlogged, key)
    url = str(receipt["qr_url"]).split("#", 1)[0] + "#" + base32_encode(forged)
    shown = open_receipt(page, url)
    assert shown["verdict"] == "TIDAK SAH"
    assert "tidak tercatat di buku besar publik" in shown["reason"]
    assert page.get_by_role("button", name="Laporkan pungli").is_visible()
