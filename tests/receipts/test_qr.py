"""The QR code: URL layout, Base32, segment modes, capacity at level M, PNG output."""

from __future__ import annotations

import base64
import io
import json
import random
from dataclasses import replace

import pytest
import qrcode
import qrcode.constants
import qrcode.util
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from receipts import MalformedReceipt, QrCapacityError, sign_receipt
from receipts.qr import (
    TARGET_QR_VERSION,
    base32_decode,
    base32_encode,
    make_qr,
    receipt_qr,
    receipt_url,
)
from receipts.qrmask import penalty
from receipts.vectors import VECTORS_PATH
from receipts.vectors.generate import NEW_KEY, vector_key

from .support import PBG_CLAIMS, PUBLIC_URL

COSE = sign_receipt(PBG_CLAIMS, vector_key(NEW_KEY))
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def test_url_layout() -> None:
    url = receipt_url(PUBLIC_URL + "/", COSE)
    prefix, _, payload = url.partition("#")
    assert prefix == "https://bekasikab.go.id/bukti/v"
    assert payload == base32_encode(COSE)
    assert set(payload) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")  # RFC 4648 §6, no "="


@pytest.mark.parametrize(
    ("text", "expected"),
    # RFC 4648 §10 test vectors, padding removed.
    [
        (b"", ""),
        (b"f", "MY"),
        (b"fo", "MZXQ"),
        (b"foo", "MZXW6"),
        (b"foob", "MZXW6YQ"),
        (b"fooba", "MZXW6YTB"),
        (b"foobar", "MZXW6YTBOI"),
    ],
)
def test_base32_encode_matches_rfc_4648_vectors(text: bytes, expected: str) -> None:
    assert base32_encode(text) == expected


@given(st.binary(max_size=1200))
def test_base32_encode_equals_the_standard_library(data: bytes) -> None:
    # The lane-packing encoder against the straightforward one, every length and value.
    assert base32_encode(data) == base64.b32encode(data).decode("ascii").rstrip("=")


def test_base32_round_trip_and_strictness() -> None:
    for size in range(0, 12):
        data = bytes(range(size))
        assert base32_decode(base32_encode(data)) == data
        assert base32_decode(base32_encode(data).lower()) == data
    for bad in ["A", "ABC", "A1", "MZXW6===", "MZXW7"]:  # lengths, alphabet, padding, bits
        with pytest.raises(MalformedReceipt) as caught:
            base32_decode(bad)
        assert caught.value.code == "malformed.bad-base32"


@pytest.mark.parametrize(
    "public_url",
    [PUBLIC_URL, "http://127.0.0.1:8000", "https://bukti.bekasikab.go.id"],
)
def test_typical_receipts_fit_version_12_at_level_m(public_url: str) -> None:
    # The vectors carry office codes and receipt numbers as the service writes them
    # (32.16.20-DLH, 32.16.20-DLH/L01/2026/004821).
    vectors = json.loads(VECTORS_PATH.read_bytes())
    for vector in vectors["valid"]:
        code = receipt_qr(public_url, bytes.fromhex(vector["cose_hex"]))
        if "waiver_ref" in vector["claims"]:
            assert code.version <= TARGET_QR_VERSION + 1, vector["name"]  # rarer, longer
        else:
            assert code.version <= TARGET_QR_VERSION, vector["name"]
    assert receipt_qr(public_url, COSE).version <= TARGET_QR_VERSION


def test_alphanumeric_segment_makes_the_symbol_smaller() -> None:
    url = receipt_url(PUBLIC_URL, COSE)
    code = make_qr(url)
    # The same text all in byte mode needs a larger symbol.
    byte_only = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    byte_only.add_data(url.encode(), optimize=0)
    byte_only.make(fit=True)
    assert code.version < byte_only.version
    assert code.size == 17 + 4 * code.version + 2 * 4  # ISO/IEC 18004 §5.3.1, quiet zone 4


def test_png_decodes_to_the_url_at_level_m() -> None:
    url = receipt_url(PUBLIC_URL, COSE)
    png = make_qr(url).to_png(box_size=4)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    [barcode] = zxingcpp.read_barcodes(image)
    assert barcode.text == url
    assert barcode.ec_level == "M"


def test_oversized_text_is_refused() -> None:
    with pytest.raises(QrCapacityError, match="do not fit any QR version"):
        make_qr("https://x/v#" + "A" * 5000)
    with pytest.raises(QrCapacityError, match=r"needs QR version 1[3-9]"):
        make_qr("https://x/v#" + "A" * 600, max_version=TARGET_QR_VERSION)


def test_longest_claims_get_a_larger_symbol_not_an_error() -> None:
    longest = replace(
        PBG_CLAIMS,
        office_code="O" * 32,
        counter_code="C" * 16,
        number="N" * 48,
        service_code="S" * 24,
        schedule_version="V" * 24,
        waiver_ref="W" * 48,
        amount_charged=1,
        ledger_index=2**53 - 1,
        official_fee=2**53 - 1,
    )
    code = receipt_qr(PUBLIC_URL, sign_receipt(longest, vector_key(NEW_KEY)))
    assert TARGET_QR_VERSION < code.version <= 20


def _library_symbol(text: str) -> list[list[bool]]:
    head, _, tail = text.partition("#")
    reference = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    reference.add_data(qrcode.util.QRData((head + "#").encode(), qrcode.util.MODE_8BIT_BYTE))
    reference.add_data(qrcode.util.QRData(tail.encode(), qrcode.util.MODE_ALPHA_NUM))
    reference.make(fit=True)
    return [[bool(m) for m in row] for row in reference.get_matrix()]


@pytest.mark.parametrize("length", [1, 40, 90, 160, 230, 320, 380, 430, 600])
def test_fast_mask_choice_gives_the_library_symbol(length: int) -> None:
    rng = random.Random(length)
    text = PUBLIC_URL + "/v#" + "".join(rng.choice(_BASE32) for _ in range(length))
    assert [list(row) for row in make_qr(text, max_version=40).modules] == _library_symbol(text)


def test_penalty_equals_the_library_penalty_for_every_mask() -> None:
    symbol = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    symbol.add_data(receipt_url(PUBLIC_URL, COSE).encode(), optimize=0)
    symbol.make(fit=True)
    for mask in range(8):
        symbol.makeImpl(True, mask)
        rows = [int("".join("1" if m else "0" for m in row), 2) for row in symbol.modules]
        assert penalty(rows, symbol.modules_count) == qrcode.util.lost_point(symbol.modules)
