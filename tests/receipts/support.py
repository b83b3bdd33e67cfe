"""Constants and helpers shared by the receipts tests (fixtures live in conftest.py)."""

from __future__ import annotations

from receipts import ReceiptClaims, ReceiptKind

PUBLIC_URL = "https://bekasikab.go.id/bukti"
OFFICE_NAME = "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu"
SERVICE_NAME = "Persetujuan Bangunan Gedung (PBG) - bangunan gedung"
LEGAL_BASIS = "PP 16/2021; Perda Kabupaten Bekasi Nomor 8 Tahun 2023 Lampiran III"

#: 29 November 2026 12:34 WIB in UTC seconds.
ISSUED_AT = 1_795_930_440

#: A realistic PBG receipt for the known answer Rp6.176.270.
PBG_CLAIMS = ReceiptClaims(
    office_code="32.16.20-DPMPTSP",
    counter_code="L02",
    number="32.16.20-DPMPTSP/L02/2026/000731",
    ledger_index=1_048_576,
    issued_at=ISSUED_AT,
    service_code="RPT-PBG-01",
    schedule_version="2026.1",
    official_fee=6_176_270,
    amount_charged=6_176_270,
    kind=ReceiptKind.NORMAL,
    commitment=bytes(range(16)),
)
