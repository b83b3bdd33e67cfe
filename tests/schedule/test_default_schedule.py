"""The Kabupaten Bekasi schedule shipped with Bukti."""

import pytest

from ledger.schedule import (
    UNVERIFIED_WARNING_ID,
    Category,
    Provenance,
    TariffKind,
    default_schedule,
    default_schedule_text,
    document_bytes,
    parse_toml,
    parse_wib,
    quote,
    version_from_mapping,
    version_to_mapping,
)
from ledger.schedule.publication import MAX_INLINE_DOCUMENT_BYTES

NOON = parse_wib("2024-06-01T12:00")

EXPECTED = {
    "RJU-SMP-01": ("S", TariffKind.PER_UNIT),
    "RJU-SMP-02": ("S", TariffKind.PER_UNIT),
    "RJU-SMP-03": ("S", TariffKind.PER_UNIT),
    "RJU-PKR-01": ("U", TariffKind.FIXED),
    "RJU-PKR-02": ("U", TariffKind.FIXED),
    "RJU-PKR-03": ("U", TariffKind.FIXED),
    "RJU-PSR-01": ("U", TariffKind.PER_UNIT),
    "RJU-KES-01": ("U", TariffKind.FIXED),
    "RPT-PBG-01": ("U", TariffKind.FORMULA),
    "RPT-PBG-02": ("U", TariffKind.FORMULA),
    "BBS-DKP-01": ("L", TariffKind.FREE),
    "BBS-DKP-02": ("L", TariffKind.FREE),
    "BBS-DKP-03": ("L", TariffKind.FREE),
    "BBS-DKP-04": ("L", TariffKind.FREE),
    "BBS-DKP-05": ("L", TariffKind.FREE),
    "BBS-DKP-06": ("L", TariffKind.FREE),
}


def test_header() -> None:
    version = default_schedule()
    assert version.id == "bekasi-2024.1"
    assert version.legal_basis == (
        "Peraturan Daerah Kabupaten Bekasi Nomor 8 Tahun 2023 tentang Pajak Daerah dan "
        "Retribusi Daerah"
    )
    assert version.effective_from == "2024-01-01T00:00"
    assert version.effective_from_ms == 1_704_042_000_000  # 2023-12-31 17:00 UTC


def test_codes_provenance_and_kinds_match_the_notes() -> None:
    items = {
        item.code: (item.provenance.value, item.tariff.kind) for item in default_schedule().items
    }
    assert items == EXPECTED


def test_unverified_items_carry_the_warning() -> None:
    for item in default_schedule().items:
        assert item.unverified == (
            item.provenance in (Provenance.SECONDARY, Provenance.UNCONFIRMED)
        )
        if item.unverified:
            assert item.warning_id == UNVERIFIED_WARNING_ID
            assert "belum diverifikasi terhadap Lampiran Perda 8/2023" in UNVERIFIED_WARNING_ID
        else:
            assert item.warning_id is None


def test_free_items_cite_uu_24_2013() -> None:
    for item in default_schedule().items:
        if item.code.startswith("BBS-DKP-"):
            assert item.category is Category.LAYANAN_GRATIS
            assert item.legal_ref == "UU 24/2013 Pasal 79A"
            assert quote(default_schedule(), item.code, {}, NOON).official_fee == 0


def test_pbg_known_answer() -> None:
    # 235 m² × 0,5% × Rp6.800.000 × 0,773 × 1,000 = Rp6.176.270
    result = quote(
        default_schedule(), "RPT-PBG-01", {"LLt": 235, "It": "0.773", "Ibg": "1.000"}, NOON
    )
    assert result.official_fee == 6_176_270
    assert result.unverified
    assert result.warning_id == UNVERIFIED_WARNING_ID
    # Ibg defaults to 1 (a new building).
    same = quote(default_schedule(), "RPT-PBG-01", {"LLt": "235", "It": "0.773"}, NOON)
    assert same.official_fee == 6_176_270
    assert same.inputs == {"LLt": 235, "It": "0.773", "Ibg": 1}


@pytest.mark.parametrize(
    ("code", "inputs", "fee"),
    [
        ("RJU-SMP-01", {}, 11_000),
        ("RJU-SMP-02", {"bulan": 3}, 45_000),
        ("RJU-SMP-03", {"bulan": 12}, 240_000),
        ("RJU-PKR-01", {}, 2_000),
        ("RJU-PKR-02", {}, 3_000),
        ("RJU-PKR-03", {}, 7_000),
        ("RJU-PSR-01", {"hari": 30}, 90_000),
        ("RJU-KES-01", {}, 10_000),
        ("RPT-PBG-02", {"V": "120", "I": "0.5"}, 180_000),
    ],
)
def test_default_fees(code: str, inputs: dict[str, str | int], fee: int) -> None:
    assert quote(default_schedule(), code, inputs, NOON).official_fee == fee


def test_shipped_file_parses_and_fits_inline() -> None:
    version = parse_toml(default_schedule_text())
    assert version == default_schedule()
    assert version_from_mapping(version_to_mapping(version)) == version
    assert len(document_bytes(version)) <= MAX_INLINE_DOCUMENT_BYTES
