"""Printable receipts: thermal rolls (58 mm, 80 mm) and A4, drawn with reportlab.

Rendering is two steps. :func:`layout_receipt` is pure: it turns a
:class:`ReceiptRenderModel` into a :class:`PageLayout`, a list of positioned strings,
rules and the QR symbol, wrapping every string to the printable width (a word longer
than the width is broken). On a roll the page height is computed from the content.
:func:`render_pdf` only draws that layout. The renderer queries nothing: the caller puts
every display string (office, service, legal basis) in the model.

Thermal printers print 48 mm of a 58 mm roll and 72 mm of an 80 mm roll, hence the side
margins. The QR is drawn as vector squares so it stays sharp at any printer resolution.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from receipts.claims import ReceiptClaims, ReceiptKind, decode_claims
from receipts.cose import parse_sign1
from receipts.money import format_rupiah, rupiah_in_words
from receipts.qr import QrCode, make_qr, receipt_url
from receipts.shortcode import short_code
from receipts.wib import format_wib_long

__all__ = [
    "PageLayout",
    "PaperLayout",
    "QrItem",
    "ReceiptRenderModel",
    "RuleItem",
    "TextItem",
    "layout_receipt",
    "render_pdf",
    "wrap_text",
]

REGULAR: Final = "Helvetica"
BOLD: Final = "Helvetica-Bold"
ITALIC: Final = "Helvetica-Oblique"

UNVERIFIED_TARIFF_NOTICE: Final = "Tarif belum diverifikasi terhadap Lampiran Perda 8/2023"
# Complaint channels (SP4N-LAPOR!, Ombudsman RI). Saber Pungli was dissolved (Perpres 49/2025).
REPORT_NOTICE: Final = (
    "Bayar hanya sebesar tarif resmi dan minta bukti ini. Diminta lebih (pungli)? Laporkan:"
)
REPORT_CHANNELS: Final = ("SP4N-LAPOR! lapor.go.id / SMS 1708", "Ombudsman RI: telepon 137")

_TITLES: Final = {
    ReceiptKind.NORMAL: "TANDA BUKTI PEMBAYARAN",
    ReceiptKind.VOID: "BUKTI PEMBATALAN",
    ReceiptKind.CLOSING: "REKAP PENUTUPAN LOKET",
    ReceiptKind.DEPOSIT: "BUKTI SETORAN",
}
_AMOUNT_LABELS: Final = {
    ReceiptKind.NORMAL: ("Tarif resmi", "Dibayar"),
    ReceiptKind.VOID: ("Tarif resmi", "Dikembalikan"),
    ReceiptKind.CLOSING: ("Total tarif resmi", "Total diterima"),
    ReceiptKind.DEPOSIT: ("Total tarif resmi", "Jumlah disetor"),
}


class PaperLayout(StrEnum):
    THERMAL58 = "thermal58"
    THERMAL80 = "thermal80"
    A4 = "a4"


@dataclass(frozen=True, slots=True)
class _Spec:
    width: float
    margin: float
    height: float | None  # None: a roll, as long as the content
    title: float
    body: float
    small: float
    qr: float


_SPECS: Final = {
    PaperLayout.THERMAL58: _Spec(58 * mm, 5 * mm, None, 9, 7.5, 6.5, 44 * mm),
    PaperLayout.THERMAL80: _Spec(80 * mm, 4 * mm, None, 10.5, 8.5, 7.5, 50 * mm),
    PaperLayout.A4: _Spec(210 * mm, 25 * mm, 297 * mm, 15, 11, 9, 60 * mm),
}


@dataclass(frozen=True, slots=True)
class ReceiptRenderModel:
    """Everything a printed receipt shows; build it with :meth:`from_receipt`."""

    claims: ReceiptClaims
    verify_url: str  # the QR text, <public URL>/v#<BASE32>
    short_code: str
    office_name: str
    service_name: str
    legal_basis: str
    tariff_unverified: bool
    complaint_desk: str | None = None

    @classmethod
    def from_receipt(
        cls,
        cose: bytes,
        *,
        public_url: str,
        office_name: str,
        service_name: str,
        legal_basis: str,
        tariff_unverified: bool,
        complaint_desk: str | None = None,
    ) -> ReceiptRenderModel:
        """The model of signed receipt bytes; claims, QR text and code derive from them."""
        return cls(
            claims=decode_claims(parse_sign1(cose).payload),
            verify_url=receipt_url(public_url, cose),
            short_code=short_code(cose),
            office_name=office_name,
            service_name=service_name,
            legal_basis=legal_basis,
            tariff_unverified=tariff_unverified,
            complaint_desk=complaint_desk,
        )


@dataclass(frozen=True, slots=True)
class TextItem:
    x: float  # left edge, points
    y: float  # baseline, points from the bottom
    text: str
    font: str
    size: float

    @property
    def width(self) -> float:
        return float(stringWidth(self.text, self.font, self.size))


@dataclass(frozen=True, slots=True)
class RuleItem:
    x0: float
    x1: float
    y: float


@dataclass(frozen=True, slots=True)
class QrItem:
    x: float
    y: float  # bottom edge
    size: float
    qr: QrCode


@dataclass(frozen=True, slots=True)
class PageLayout:
    width: float
    height: float
    margin: float
    items: tuple[TextItem | RuleItem | QrItem, ...]


def wrap_text(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap to ``width`` points; a word wider than a line is broken."""

    def fits(s: str) -> bool:
        return bool(stringWidth(s, font, size) <= width)

    lines: list[str] = []
    current = ""
    for token in text.split():
        word = token
        while not fits(word):
            cut = 1
            while cut < len(word) and fits(word[: cut + 1]):
                cut += 1
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{current} {word}" if current else word
        if fits(candidate):
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


class _Flow:
    """Places content top-down; ``y`` positions are distances from the top until finished."""

    def __init__(self, spec: _Spec) -> None:
        self.spec = spec
        self.left = spec.margin
        self.right = spec.width - spec.margin
        self.width = self.right - self.left
        self.cursor = spec.margin * (0.8 if spec.height is None else 1.0)
        self.items: list[TextItem | RuleItem | QrItem] = []

    def _line(self, text: str, font: str, size: float, align: str) -> None:
        width = float(stringWidth(text, font, size))
        x = {
            "left": self.left,
            "center": self.left + (self.width - width) / 2,
            "right": self.right - width,
        }[align]
        self.items.append(TextItem(x, self.cursor + size * 0.8, text, font, size))
        self.cursor += size * 1.25

    def text(self, text: str, font: str, size: float, align: str = "left") -> None:
        for line in wrap_text(text, font, size, self.width):
            self._line(line, font, size, align)

    def pair(self, label: str, value: str, size: float, font: str = REGULAR) -> None:
        """``label ........ value`` on one line when both fit, else the value right below."""
        gap = size
        label_width = float(stringWidth(label, REGULAR, size))
        if label_width + gap + float(stringWidth(value, font, size)) <= self.width:
            self.items.append(TextItem(self.left, self.cursor + size * 0.8, label, REGULAR, size))
            self._line(value, font, size, "right")
        else:
            self.text(label, REGULAR, size)
            for line in wrap_text(value, font, size, self.width):
                self._line(line, font, size, "right")

    def space(self, points: float) -> None:
        self.cursor += points

    def rule(self) -> None:
        gap = self.spec.body * 0.6
        self.cursor += gap
        self.items.append(RuleItem(self.left, self.right, self.cursor))
        self.cursor += gap

    def qr(self, code: QrCode) -> None:
        size = min(self.spec.qr, self.width)
        self.items.append(
            QrItem(self.left + (self.width - size) / 2, self.cursor + size, size, code)
        )
        self.cursor += size

    def finish(self) -> PageLayout:
        height = self.spec.height or self.cursor + self.spec.margin * 0.8

        def flip(item: TextItem | RuleItem | QrItem) -> TextItem | RuleItem | QrItem:
            if isinstance(item, TextItem):
                return TextItem(item.x, height - item.y, item.text, item.font, item.size)
            if isinstance(item, RuleItem):
                return RuleItem(item.x0, item.x1, height - item.y)
            return QrItem(item.x, height - item.y, item.size, item.qr)

        return PageLayout(
            width=self.spec.width,
            height=height,
            margin=self.spec.margin,
            items=tuple(flip(i) for i in self.items),
        )


def layout_receipt(model: ReceiptRenderModel, layout: PaperLayout) -> PageLayout:
    """Position every element of the receipt for ``layout`` (pure)."""
    spec = _SPECS[layout]
    claims = model.claims
    flow = _Flow(spec)
    body, small = spec.body, spec.small

    flow.text("PEMERINTAH KABUPATEN BEKASI", BOLD, spec.title, "center")
    flow.text(model.office_name, REGULAR, body, "center")
    flow.rule()
    flow.text(_TITLES[claims.kind], BOLD, body, "center")
    flow.text(f"No. {claims.number}", BOLD, body, "center")
    flow.text(format_wib_long(claims.issued_at_ms), REGULAR, body, "center")
    flow.text(f"Loket {claims.counter_code} - {claims.office_code}", REGULAR, small, "center")
    flow.rule()
    flow.text(f"Layanan: {model.service_name}", REGULAR, body)
    flow.text(f"Kode {claims.service_code} - tarif versi {claims.schedule_version}", REGULAR, small)
    flow.text(f"Dasar hukum: {model.legal_basis}", REGULAR, small)
    if claims.voided_number is not None:
        flow.text(f"Membatalkan kuitansi No. {claims.voided_number}", BOLD, body)
    flow.rule()
    official_label, charged_label = _AMOUNT_LABELS[claims.kind]
    flow.pair(official_label, format_rupiah(claims.official_fee), body)
    flow.pair(charged_label, format_rupiah(claims.amount_charged), body, BOLD)
    if claims.waiver_ref is not None:
        flow.text(f"Keringanan/pembebasan: {claims.waiver_ref}", REGULAR, small)
    flow.text(f"Terbilang: {rupiah_in_words(claims.amount_charged)}", ITALIC, small)
    if model.tariff_unverified:
        flow.space(small * 0.3)
        flow.text(UNVERIFIED_TARIFF_NOTICE, BOLD, small)
    flow.rule()
    flow.qr(make_qr(model.verify_url))
    flow.space(small * 0.3)
    flow.text(f"Kode cek: {model.short_code}", BOLD, body, "center")
    verify_page = model.verify_url.partition("#")[0]
    flow.text(f"Pindai QR, atau buka {verify_page} dan ketik kode cek.", REGULAR, small, "center")
    flow.rule()
    flow.text(REPORT_NOTICE, BOLD, small)
    for channel in REPORT_CHANNELS:
        flow.text(channel, REGULAR, small)
    if model.complaint_desk is not None:
        flow.text(f"Pengaduan kantor: {model.complaint_desk}", REGULAR, small)
    flow.space(small * 0.3)
    flow.text(f"Entri log No. {claims.ledger_index}", REGULAR, small, "center")
    return flow.finish()


def _qr_path(modules: tuple[tuple[bool, ...], ...]) -> str:
    """PDF path operators in module units: ``x y w h re`` per horizontal run of dark modules
    (ISO 32000-1 §8.5.2.1), then ``f`` to fill them (§8.5.3.1)."""
    ops: list[str] = []
    for r, row in enumerate(modules):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            ops.append(f"{start} {r} {c - start} 1 re")
    ops.append("f")
    return "\n".join(ops)


def _draw_qr(canvas: Canvas, item: QrItem) -> None:
    """The QR symbol as one filled path, in whole-module coordinates."""
    module = item.size / item.qr.size
    canvas.saveState()
    # Module (column, row) → page: origin at the top-left corner, rows growing downwards.
    canvas.transform(module, 0, 0, -module, item.x, item.y + item.size)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.addLiteral(_qr_path(item.qr.modules))
    canvas.restoreState()


def render_pdf(model: ReceiptRenderModel, layout: PaperLayout) -> bytes:
    """The receipt as a one-page PDF; identical input gives identical bytes."""
    page = layout_receipt(model, layout)
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(page.width, page.height), invariant=True)
    canvas.setTitle(f"Kuitansi {model.claims.number}")
    canvas.setAuthor("Pemerintah Kabupaten Bekasi")
    canvas.setSubject(model.office_name)
    canvas.setLineWidth(0.5)
    for item in page.items:
        if isinstance(item, TextItem):
            canvas.setFont(item.font, item.size)
            canvas.drawString(item.x, item.y, item.text)
        elif isinstance(item, RuleItem):
            canvas.line(item.x0, item.y, item.x1, item.y)
        else:
            _draw_qr(canvas, item)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
