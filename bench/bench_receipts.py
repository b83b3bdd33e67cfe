"""Receipts: signing + PDF per receipt (58 mm, 80 mm, A4) and offline verification.

Baselines, measured in the same run on the same bytes: a bare Ed25519 signature (PyNaCl)
of the receipt's Sig_structure, and a bare Ed25519 verification of it. The figures show
what the format, the QR code and the PDF cost on top of the cryptography.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import nacl.signing

from receipts import (
    KeyPurpose,
    KeyRecord,
    PaperLayout,
    ReceiptClaims,
    ReceiptKind,
    ReceiptRenderModel,
    build_trust_list,
    render_pdf,
    sign_receipt,
    verify_receipt,
)
from receipts.cose import parse_sign1
from receipts.vectors.generate import NEW_KEY, vector_key

CLAIMS = ReceiptClaims(
    office_code="32.16.20-DPMPTSP",
    counter_code="L02",
    number="32.16.20-DPMPTSP/L02/2026/000731",
    ledger_index=1_048_576,
    issued_at=1_795_930_440,
    service_code="RPT-PBG-01",
    schedule_version="2026.1",
    official_fee=6_176_270,
    amount_charged=6_176_270,
    kind=ReceiptKind.NORMAL,
    commitment=bytes(range(16)),
)


def _median_ms(action: Callable[[], object], rounds: int) -> float:
    action()  # warm caches (fonts, QR tables) outside the measurement
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def _figure(
    name: str, value: float, baseline_name: str, baseline: float, target: str | None
) -> dict[str, Any]:
    return {
        "name": name,
        "value": round(value, 4),
        "unit": "ms",
        "baseline_name": baseline_name,
        "baseline_value": round(baseline, 4),
        "target": target,
    }


def run(quick: bool) -> list[dict[str, Any]]:
    rounds_fast, rounds_pdf = (200, 15) if quick else (2000, 100)
    key = vector_key(NEW_KEY)
    raw_signer = nacl.signing.SigningKey(key.seed)
    raw_verifier = raw_signer.verify_key
    cose = sign_receipt(CLAIMS, key)
    to_be_signed = parse_sign1(cose).to_be_signed()
    signature = raw_signer.sign(to_be_signed).signature
    trust_list = build_trust_list(
        [KeyRecord("bekasikab.go.id/bukti/receipts", KeyPurpose.RECEIPTS, key.public_key, 0)]
    )

    raw_sign = _median_ms(lambda: raw_signer.sign(to_be_signed), rounds_fast)
    raw_verify = _median_ms(lambda: raw_verifier.verify(to_be_signed, signature), rounds_fast)

    def issue_and_print(layout: PaperLayout) -> Callable[[], bytes]:
        def action() -> bytes:
            receipt = sign_receipt(CLAIMS, key)
            model = ReceiptRenderModel.from_receipt(
                receipt,
                public_url="https://bekasikab.go.id/bukti",
                office_name="Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
                service_name="Persetujuan Bangunan Gedung (PBG) - bangunan gedung",
                legal_basis="PP 16/2021; Perda Kabupaten Bekasi Nomor 8 Tahun 2023",
                tariff_unverified=True,
            )
            return render_pdf(model, layout)

        return action

    figures = [
        _figure(
            "receipt signing (claims → COSE_Sign1)",
            _median_ms(lambda: sign_receipt(CLAIMS, key), rounds_fast),
            "nacl sign, same bytes",
            raw_sign,
            None,
        )
    ]
    for layout in PaperLayout:
        figures.append(
            _figure(
                f"receipt signing + PDF {layout.value}",
                _median_ms(issue_and_print(layout), rounds_pdf),
                "nacl sign, same bytes",
                raw_sign,
                "< 20 ms",
            )
        )
    figures.append(
        _figure(
            "receipt verification offline",
            _median_ms(lambda: verify_receipt(cose, trust_list), rounds_fast),
            "nacl verify, same bytes",
            raw_verify,
            "< 1 ms",
        )
    )
    return figures
