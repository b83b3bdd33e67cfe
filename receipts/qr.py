"""The receipt QR code: ``<public base URL>/v#<Base32 of the COSE bytes>``.

The payload sits in the URL fragment so a stock camera app opens the verify page while
the receipt never reaches a server log. Base32 is RFC 4648 §6, upper case, without
padding: every symbol is in the QR alphanumeric set (ISO/IEC 18004 §7.4.4), so the code
is built from two segments, the URL prefix in byte mode and the Base32 in alphanumeric
mode (5.5 bits a symbol rather than 8). Error correction is level M.

A typical receipt fits version :data:`TARGET_QR_VERSION` (12), legible on 58 mm thermal
paper. The format does not depend on it: a receipt with unusually long texts gets a
larger symbol rather than no symbol, and only text beyond :data:`MAX_QR_VERSION` (40, the
largest QR symbol) is refused.
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
from dataclasses import dataclass
from typing import Final

import qrcode
import qrcode.constants
import qrcode.exceptions
import qrcode.util
from PIL import Image

from receipts.errors import MalformedReceipt, QrCapacityError
from receipts.qrmask import FastMaskQRCode

__all__ = [
    "MAX_QR_VERSION",
    "QUIET_ZONE",
    "TARGET_QR_VERSION",
    "QrCode",
    "base32_decode",
    "base32_encode",
    "make_qr",
    "receipt_qr",
    "receipt_url",
]

#: The version a typical receipt fits at level M (DESIGN §3).
TARGET_QR_VERSION: Final = 12
#: The largest QR symbol (ISO/IEC 18004 §5.3.1).
MAX_QR_VERSION: Final = 40
QUIET_ZONE: Final = 4  # modules of light margin on each side (ISO/IEC 18004 §6.3.8)
_VERIFY_PATH: Final = "/v#"


_BASE32_ALPHABET: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#: Byte value (a 5-bit group, 0..31) -> its Base32 symbol.
_BASE32_SYMBOL: Final = bytes(_BASE32_ALPHABET[value & 31] for value in range(256))


@functools.lru_cache(maxsize=32)
def _base32_masks(lanes: int) -> tuple[int, int, int]:
    """Masks keeping the low 20 bits of each 64-bit lane, the low 10 of each 32-bit half,
    and the low 5 of each 16-bit quarter, for ``lanes`` lanes."""
    return (
        int.from_bytes(b"\0\0\0\0\0\x0f\xff\xff" * lanes, "big"),
        int.from_bytes(b"\0\0\x03\xff" * (2 * lanes), "big"),
        int.from_bytes(b"\0\x1f" * (4 * lanes), "big"),
    )


def base32_encode(data: bytes) -> str:
    """RFC 4648 §6 Base32, upper case, padding removed.

    Equal to ``base64.b32encode(data)`` without the ``=`` padding, about five times
    faster (every issued receipt's QR URL is made with it). Each 5-byte group (40 bits)
    goes into a 64-bit lane of one integer; three shift-and-mask steps on the whole
    integer move every 5-bit symbol value into a byte of its own, and a translation table
    turns the bytes into symbols.
    """
    lanes = -(-len(data) // 5)
    padded = data + bytes(5 * lanes - len(data))
    spread = bytearray(8 * lanes)
    for i in range(5):  # byte i of each group -> byte 3 + i of its lane
        spread[3 + i :: 8] = padded[i::5]
    low20, low10, low5 = _base32_masks(lanes)
    n = int.from_bytes(spread, "big")
    n = ((n >> 20) & low20) << 32 | (n & low20)  # 40 bits -> two 20-bit halves
    n = ((n >> 10) & low10) << 16 | (n & low10)  # 20 bits -> two 10-bit quarters
    n = ((n >> 5) & low5) << 8 | (n & low5)  # 10 bits -> two 5-bit bytes
    symbols = n.to_bytes(8 * lanes, "big").translate(_BASE32_SYMBOL)
    return symbols[: -(-len(data) * 8 // 5)].decode("ascii")


def base32_decode(text: str) -> bytes:
    """Decode unpadded upper- or lower-case Base32; raises MalformedReceipt(bad-base32)."""
    clean = text.strip().upper()
    try:
        data = base64.b32decode(clean + "=" * (-len(clean) % 8))
    except (binascii.Error, ValueError) as exc:
        raise MalformedReceipt("bad-base32", f"not RFC 4648 Base32: {exc}") from exc
    if base32_encode(data) != clean:
        raise MalformedReceipt(
            "bad-base32", "Base32 text has a length or final bits no encoder makes"
        )
    return data


def receipt_url(public_url: str, cose: bytes) -> str:
    """The QR text of a receipt: ``<public_url>/v#<BASE32>``."""
    return public_url.rstrip("/") + _VERIFY_PATH + base32_encode(cose)


@dataclass(frozen=True, slots=True)
class QrCode:
    """A QR symbol: its version and modules (True = dark), quiet zone included."""

    version: int
    modules: tuple[tuple[bool, ...], ...]

    @property
    def size(self) -> int:
        """Modules per side, quiet zone included."""
        return len(self.modules)

    def to_png(self, box_size: int = 8) -> bytes:
        """PNG bytes, ``box_size`` pixels a module, black on white."""
        n = self.size
        small = Image.new("L", (n, n), 255)
        small.putdata([0 if dark else 255 for row in self.modules for dark in row])
        image = small.resize((n * box_size, n * box_size), Image.Resampling.NEAREST)
        out = io.BytesIO()
        image.convert("1").save(out, format="PNG", optimize=True)
        return out.getvalue()


def make_qr(text: str, *, max_version: int = MAX_QR_VERSION) -> QrCode:
    """Encode ``text`` at level M with a byte segment then, after ``#``, an alphanumeric one."""
    qr = FastMaskQRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE)
    head, sep, tail = text.partition("#")
    if sep and tail and qrcode.util.RE_ALPHA_NUM.match(tail.encode("ascii", "replace")):
        qr.add_data(qrcode.util.QRData((head + sep).encode("utf-8"), qrcode.util.MODE_8BIT_BYTE))
        qr.add_data(qrcode.util.QRData(tail.encode("ascii"), qrcode.util.MODE_ALPHA_NUM))
    else:
        qr.add_data(text.encode("utf-8"), optimize=0)
    try:
        qr.make(fit=True)
    except (qrcode.exceptions.DataOverflowError, ValueError) as exc:  # past version 40
        raise QrCapacityError(f"{len(text)} characters do not fit any QR version") from exc
    version = int(qr.version)
    if version > max_version:
        raise QrCapacityError(
            f"the text needs QR version {version} at level M; at most {max_version} is allowed"
        )
    matrix = qr.get_matrix()
    return QrCode(version=version, modules=tuple(tuple(bool(m) for m in row) for row in matrix))


def receipt_qr(public_url: str, cose: bytes) -> QrCode:
    """The QR code of a receipt (see :func:`receipt_url`)."""
    return make_qr(receipt_url(public_url, cose))
