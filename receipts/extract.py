"""Find the receipt bytes in what a person has: a QR URL, Base32 text, a photo or a PDF.

:func:`extract_payload` takes the input as ``str`` (text) or ``bytes`` (file content)
and returns the COSE bytes, unverified. Byte input is recognised by its signature:
``%PDF-`` is rasterized page by page with pdfium and searched for QR codes, PNG and JPEG
are decoded with zxing-cpp, a leading ``0xD2`` is taken as raw COSE_Sign1 (tag 18), and
anything else is read as UTF-8 text. Text is a verify URL (``…/v#BASE32``) or bare Base32.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Final
from urllib.parse import urlsplit

import pypdfium2
import zxingcpp
from PIL import Image, UnidentifiedImageError

from receipts.errors import MalformedReceipt, NoReceiptFoundError
from receipts.qr import base32_decode

__all__ = ["extract_payload", "payload_from_text"]

_QR_ONLY: Final = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
_PDF_DPIS: Final = (300, 600)
_MAX_PDF_PAGES: Final = 4
_MAX_TEXT: Final = 4096
_MAX_IMAGE_PIXELS: Final = 64_000_000
_COSE_SIGN1_FIRST_BYTE: Final = 0xD2  # major type 6, tag 18
_IMAGE_SIGNATURES: Final = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


def payload_from_text(text: str) -> bytes:
    """COSE bytes from a verify URL (``<base>/v#BASE32``) or bare Base32 text."""
    clean = text.strip()
    if len(clean) > _MAX_TEXT:
        raise NoReceiptFoundError(f"text of {len(clean)} characters is too long to be a receipt")
    if "://" in clean or "#" in clean:
        parts = urlsplit(clean)
        if not parts.fragment or not parts.path.endswith("/v"):
            raise NoReceiptFoundError(
                "the URL is not a receipt link; expected <address>/v#<code> (a path ending "
                f"in /v and a fragment), found path {parts.path!r}"
            )
        clean = parts.fragment
    if not clean:
        raise NoReceiptFoundError("empty input; expected a receipt link, code, photo or PDF")
    return base32_decode(clean)


def _qr_texts(image: Image.Image) -> Iterator[str]:
    for barcode in zxingcpp.read_barcodes(image, formats=_QR_ONLY):
        yield barcode.text


def _from_images(images: Iterator[Image.Image], what: str) -> bytes:
    seen = 0
    for image in images:
        for text in _qr_texts(image):
            seen += 1
            try:
                return payload_from_text(text)
            except (NoReceiptFoundError, MalformedReceipt):
                continue  # another QR code on the page (e.g. a payment code)
    if seen:
        raise NoReceiptFoundError(f"the {what} has {seen} QR code(s), none a Bukti receipt")
    raise NoReceiptFoundError(f"no QR code found in the {what}")


def _image(data: bytes) -> Iterator[Image.Image]:
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > _MAX_IMAGE_PIXELS:
            raise NoReceiptFoundError(f"the image is {image.width}x{image.height}; too large")
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise NoReceiptFoundError(f"the image cannot be read: {exc}") from exc
    yield image.convert("L")


def _pdf_pages(data: bytes) -> Iterator[Image.Image]:
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise NoReceiptFoundError(f"the PDF cannot be read: {exc}") from exc
    try:
        pages = min(len(document), _MAX_PDF_PAGES)
        for dpi in _PDF_DPIS:  # a finer raster only if the first found nothing
            for index in range(pages):
                page = document[index]
                bitmap = page.render(scale=dpi / 72, grayscale=True)
                yield bitmap.to_pil()
    finally:
        document.close()


def extract_payload(data: str | bytes) -> bytes:
    """The COSE bytes held by ``data``; raises NoReceiptFoundError or MalformedReceipt."""
    if isinstance(data, str):
        return payload_from_text(data)
    if data.startswith(b"%PDF-"):
        return _from_images(_pdf_pages(data), "PDF")
    if data.startswith(_IMAGE_SIGNATURES):
        return _from_images(_image(data), "image")
    if data[:1] == bytes([_COSE_SIGN1_FIRST_BYTE]):
        return data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NoReceiptFoundError(
            "the input is not a PDF, PNG, JPEG, COSE receipt or text"
        ) from exc
    return payload_from_text(text)
