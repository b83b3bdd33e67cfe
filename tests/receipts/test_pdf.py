"""The printed receipt: content, Indonesian formats, and nothing cut off on any paper."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from reportlab.lib.units import mm

from receipts import PaperLayout, ReceiptKind, ReceiptRenderModel, render_pdf, sign_receipt
from receipts.pdf import QrItem, TextItem, layout_receipt, wrap_text
from receipts.vectors.generate import NEW_KEY, vector_key

from .support import LEGAL_BASIS, OFFICE_NAME, PBG_CLAIMS, PUBLIC_URL, SERVICE_NAME

KEY = vector_key(NEW_KEY)


def _model(unverified: bool = True, **claim_changes: Any) -> ReceiptRenderModel:
    return ReceiptRenderModel.from_receipt(
        sign_receipt(replace(PBG_CLAIMS, **claim_changes), KEY),
        public_url=PUBLIC_URL,
        office_name=OFFICE_NAME,
        service_name=SERVICE_NAME,
        legal_basis=LEGAL_BASIS,
        tariff_unverified=unverified,
        complaint_desk="Meja pengaduan DPMPTSP, Gedung B lantai 1, Cikarang Pusat",
    )


def _texts(model: ReceiptRenderModel, layout: PaperLayout) -> list[str]:
    return [i.text for i in layout_receipt(model, layout).items if isinstance(i, TextItem)]


def _joined(model: ReceiptRenderModel, layout: PaperLayout) -> str:
    return " ".join(_texts(model, layout))


@pytest.mark.parametrize("layout", list(PaperLayout))
def test_content(layout: PaperLayout) -> None:
    text = _joined(_model(), layout)
    for expected in [
        "PEMERINTAH KABUPATEN BEKASI",
        "TANDA BUKTI PEMBAYARAN",
        "No. 32.16.20-DPMPTSP/L02/2026/000731",
        "29 November 2026 12:34 WIB",
        "Rp6.176.270",
        "enam juta seratus tujuh puluh enam ribu dua ratus tujuh puluh rupiah",
        "Tarif belum diverifikasi terhadap Lampiran Perda 8/2023",
        "SP4N-LAPOR! lapor.go.id / SMS 1708",
        "Ombudsman RI: telepon 137",
        "Kode cek: ",
        "https://bekasikab.go.id/bukti/v",
        "Entri log No. 1048576",
    ]:
        assert expected in text, expected
    for word in OFFICE_NAME.split() + LEGAL_BASIS.split() + SERVICE_NAME.split():
        assert word in text
    assert "Saber" not in text  # dissolved by Perpres 49/2025


def test_unverified_notice_only_when_flagged() -> None:
    assert "belum diverifikasi" not in _joined(_model(unverified=False), PaperLayout.THERMAL58)


def test_kind_specific_lines() -> None:
    void = _joined(_model(kind=ReceiptKind.VOID, voided_number="X/1"), PaperLayout.THERMAL80)
    assert "BUKTI PEMBATALAN" in void
    assert "Membatalkan kuitansi No. X/1" in void
    waived = _joined(
        _model(amount_charged=3_088_135, waiver_ref="SK-KERINGANAN/2026/017"), PaperLayout.A4
    )
    assert "Keringanan/pembebasan: SK-KERINGANAN/2026/017" in waived
    assert "tiga juta delapan puluh delapan ribu seratus tiga puluh lima rupiah" in waived


@pytest.mark.parametrize("layout", list(PaperLayout))
@pytest.mark.parametrize("long_text", [False, True])
def test_every_drawn_string_fits_the_printable_width(layout: PaperLayout, long_text: bool) -> None:
    model = _model()
    if long_text:
        model = replace(
            model,
            office_name="Badan Pendapatan Daerah " * 6,
            service_name="Retribusi " + "Pemanfaatan-Aset-Daerah-Tanpa-Spasi-" * 4,
            legal_basis="Peraturan Daerah Kabupaten Bekasi Nomor 8 Tahun 2023 " * 5,
            verify_url="https://" + "sub." * 20 + "bekasikab.go.id/bukti/v#AAAA",
        )
    page = layout_receipt(model, layout)
    assert page.items
    for item in page.items:
        if isinstance(item, TextItem):
            assert item.x >= page.margin - 0.01, item.text
            assert item.x + item.width <= page.width - page.margin + 0.01, item.text
            assert 0 < item.y < page.height
        elif isinstance(item, QrItem):
            assert item.x >= page.margin
            assert item.x + item.size <= page.width - page.margin
            assert item.y > 0
            assert item.y + item.size < page.height


@pytest.mark.parametrize(("layout", "width_mm"), [("thermal58", 58), ("thermal80", 80)])
def test_roll_width_is_the_paper_and_height_follows_the_content(layout: str, width_mm: int) -> None:
    short = layout_receipt(_model(unverified=False), PaperLayout(layout))
    long = layout_receipt(replace(_model(), office_name="Kantor " * 40), PaperLayout(layout))
    assert short.width == pytest.approx(width_mm * mm)
    assert long.height > short.height
    lowest = min(i.y for i in long.items if isinstance(i, TextItem))
    assert 0 < lowest < 10 * mm  # no empty tail of paper


def test_a4_page() -> None:
    page = layout_receipt(_model(), PaperLayout.A4)
    assert (page.width, page.height) == pytest.approx((210 * mm, 297 * mm))


def test_pdf_is_deterministic_and_one_page() -> None:
    first = render_pdf(_model(), PaperLayout.THERMAL58)
    assert first.startswith(b"%PDF-")
    assert first == render_pdf(_model(), PaperLayout.THERMAL58)
    assert b"/Count 1" in first


def test_wrap_breaks_words_longer_than_a_line() -> None:
    lines = wrap_text("a " + "X" * 200 + " b", "Helvetica", 8, 100)
    assert "".join(lines).replace(" ", "") == "a" + "X" * 200 + "b"
    assert len(lines) > 3
    assert wrap_text("", "Helvetica", 8, 100) == []
