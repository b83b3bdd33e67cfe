"""End to end: issue → render PDF → rasterize → decode the QR from pixels → verify.

Also the other ways a resident or auditor hands a receipt over: a photo (PNG, JPEG, skewed
and blurred), the link, the bare code, raw bytes.
"""

from __future__ import annotations

import io
from dataclasses import replace

import pypdfium2
import pytest
from PIL import Image, ImageFilter

from receipts import (
    MalformedReceipt,
    NoReceiptFoundError,
    PaperLayout,
    ReceiptKind,
    ReceiptRenderModel,
    build_trust_list,
    extract_payload,
    receipt_qr,
    receipt_url,
    render_pdf,
    sign_receipt,
    verify_receipt,
)
from receipts.qr import base32_encode, make_qr
from receipts.vectors.generate import NEW_KEY, vector_key, vector_keyring

from .support import LEGAL_BASIS, OFFICE_NAME, PBG_CLAIMS, PUBLIC_URL, SERVICE_NAME

KEY = vector_key(NEW_KEY)
TRUST = build_trust_list(vector_keyring())
COSE = sign_receipt(PBG_CLAIMS, KEY)


def _pdf(cose: bytes, layout: PaperLayout) -> bytes:
    model = ReceiptRenderModel.from_receipt(
        cose,
        public_url=PUBLIC_URL,
        office_name=OFFICE_NAME,
        service_name=SERVICE_NAME,
        legal_basis=LEGAL_BASIS,
        tariff_unverified=True,
    )
    return render_pdf(model, layout)


def _raster(pdf: bytes, dpi: int) -> Image.Image:
    document = pypdfium2.PdfDocument(pdf)
    try:
        image: Image.Image = document[0].render(scale=dpi / 72).to_pil()
        return image
    finally:
        document.close()


def _encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format=fmt, **options)
    return out.getvalue()


@pytest.mark.parametrize("layout", list(PaperLayout))
def test_issue_render_rasterize_decode_verify(layout: PaperLayout) -> None:
    pdf = _pdf(COSE, layout)
    assert extract_payload(pdf) == COSE  # the PDF path: pdfium at 300 dpi, zxing
    photo = _encoded(_raster(pdf, 200), "PNG")  # a screenshot of the PDF
    result = verify_receipt(extract_payload(photo), TRUST, at_ms=PBG_CLAIMS.issued_at_ms)
    assert result.claims == PBG_CLAIMS
    assert result.cose == COSE


def test_void_receipt_round_trip_on_58_mm() -> None:
    void = replace(PBG_CLAIMS, kind=ReceiptKind.VOID, voided_number="DPMPTSP/L02/2026/000730")
    cose = sign_receipt(void, KEY)
    assert verify_receipt(extract_payload(_pdf(cose, PaperLayout.THERMAL58)), TRUST).claims == void


def test_phone_photo_jpeg_rotated_and_blurred() -> None:
    page = _raster(_pdf(COSE, PaperLayout.THERMAL58), 200)
    canvas = Image.new("RGB", (page.width + 300, page.height + 300), (205, 200, 190))
    canvas.paste(page, (150, 150))
    photo = canvas.rotate(7, expand=True, fillcolor=(205, 200, 190)).filter(
        ImageFilter.GaussianBlur(1)
    )
    jpeg = _encoded(photo, "JPEG", quality=70)
    assert jpeg.startswith(b"\xff\xd8\xff")
    assert extract_payload(jpeg) == COSE


@pytest.mark.parametrize(
    "given",
    [
        receipt_url(PUBLIC_URL, COSE),
        "  " + receipt_url("http://127.0.0.1:8000", COSE) + "\n",
        base32_encode(COSE),
        base32_encode(COSE).lower(),
    ],
)
def test_text_inputs(given: str) -> None:
    assert extract_payload(given) == COSE
    assert extract_payload(given.encode()) == COSE


def test_raw_cose_bytes_and_qr_png() -> None:
    assert extract_payload(COSE) == COSE
    assert extract_payload(receipt_qr(PUBLIC_URL, COSE).to_png()) == COSE


@pytest.mark.parametrize(
    "given",
    [
        "https://bekasikab.go.id/bukti/fees",  # a link, not to a receipt
        "https://bekasikab.go.id/bukti/x#ABCDEFGH",  # not the verify page
        "",
        "   ",
    ],
)
def test_inputs_without_a_receipt(given: str) -> None:
    with pytest.raises(NoReceiptFoundError) as caught:
        extract_payload(given)
    assert caught.value.code == "no-receipt-found"


def test_other_qr_codes_are_skipped_and_reported() -> None:
    with pytest.raises(NoReceiptFoundError, match="none a Bukti receipt"):
        extract_payload(make_qr("https://example.com/pay?id=1").to_png())


def test_blank_image_and_broken_files() -> None:
    with pytest.raises(NoReceiptFoundError, match="no QR code"):
        extract_payload(_encoded(Image.new("L", (200, 200), 255), "PNG"))
    with pytest.raises(NoReceiptFoundError, match="cannot be read"):
        extract_payload(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    with pytest.raises(NoReceiptFoundError, match="PDF cannot be read"):
        extract_payload(b"%PDF-1.7 broken")
    with pytest.raises(NoReceiptFoundError, match="not a PDF, PNG, JPEG"):
        extract_payload(b"\xff\xfe\x00\x81")


def test_bad_base32_is_malformed() -> None:
    with pytest.raises(MalformedReceipt) as caught:
        extract_payload("https://bekasikab.go.id/bukti/v#NOT-BASE32!")
    assert caught.value.code == "malformed.bad-base32"
