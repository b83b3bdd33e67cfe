"""The CBOR decoder's fast path accepts exactly what its strict reader accepts.

:func:`receipts.cbor.decode` first reads well-formed input without per-item bookkeeping and
hands anything unusual to the strict reader, whose verdict and message stand. Here both
are run on valid encodings and on every kind of damage to them: the outcome (the value,
or the error code and message) must be the same. The envelope parser remembers protected
headers it found valid; the unprotected header is still checked on every receipt.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from receipts import KeyPair, ReceiptClaims, ReceiptKind, cbor, sign_receipt
from receipts.cose import COSE_SIGN1_TAG, HEADER_KID, encode_sign1, parse_sign1, sig_structure
from receipts.errors import MalformedReceipt

_keys = st.one_of(st.integers(-(2**64), 2**64 - 1), st.binary(max_size=8), st.text(max_size=8))
_values = st.recursive(
    st.one_of(st.integers(-(2**64), 2**64 - 1), st.binary(max_size=40), st.text(max_size=30)),
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(_keys, inner, max_size=5)),
    max_leaves=20,
)


def _strict(data: bytes, *, skip_tag: bool = False) -> tuple[str, Any]:
    reader = cbor._Reader(data)  # the careful reader the fast path must agree with
    try:
        if skip_tag:
            reader.head()
        value = reader.item(0)
        reader.finish()
    except MalformedReceipt as exc:
        return "refused", (exc.code, str(exc))
    return "value", value


def _outcome(decode: Any) -> tuple[str, Any]:
    try:
        return "value", decode()
    except MalformedReceipt as exc:
        return "refused", (exc.code, str(exc))


@settings(max_examples=300, deadline=None)
@given(value=_values)
def test_valid_encodings_decode_alike(value: Any) -> None:
    data = cbor.encode(value)
    assert _outcome(lambda: cbor.decode(data)) == _strict(data) == ("value", value)


@settings(max_examples=400, deadline=None)
@given(
    value=_values,
    where=st.integers(0, 10_000),
    byte=st.integers(0, 255),
    how=st.sampled_from(["set", "cut", "insert", "append"]),
)
def test_attack_damaged_encodings_are_judged_alike(
    value: Any, where: int, byte: int, how: str
) -> None:
    data = bytearray(cbor.encode(value))
    at = where % (len(data) + 1)
    if how == "set" and at < len(data):
        data[at] = byte
    elif how == "cut":
        del data[at:]
    elif how == "insert":
        data.insert(at, byte)
    else:
        data.append(byte)
    damaged = bytes(data)
    assert _outcome(lambda: cbor.decode(damaged)) == _strict(damaged)


@settings(max_examples=200, deadline=None)
@given(value=_values, byte=st.integers(0, 255), where=st.integers(0, 10_000))
def test_attack_damaged_tagged_items_are_judged_alike(value: Any, byte: int, where: int) -> None:
    data = bytearray(cbor.encode(cbor.Tagged(COSE_SIGN1_TAG, value)))
    data[where % len(data)] = byte
    damaged = bytes(data)
    ours = _outcome(lambda: cbor.decode_tagged(damaged, COSE_SIGN1_TAG))
    if damaged[0] == 0xC0 | COSE_SIGN1_TAG:
        assert ours == _strict(damaged, skip_tag=True)
    else:
        assert ours[0] == "refused"


def test_nesting_beyond_the_limit_is_refused_with_the_strict_reason() -> None:
    deep: Any = 0
    for _ in range(10):
        deep = [deep]
    data = cbor.encode(deep)
    assert _outcome(lambda: cbor.decode(data)) == _strict(data)
    assert _strict(data)[1][0] == "malformed.structure"


@settings(max_examples=50, deadline=None)
@given(protected=st.binary(max_size=300), payload=st.binary(max_size=70_000))
def test_sig_structure_is_the_generic_encoding(protected: bytes, payload: bytes) -> None:
    assert sig_structure(protected, payload) == cbor.encode(["Signature1", protected, b"", payload])


def test_attack_unprotected_headers_are_refused_after_the_same_protected_header_passed() -> None:
    key = KeyPair(bytes(32))
    claims = ReceiptClaims(
        office_code="32.16.01-UPTD",
        counter_code="L01",
        number="N-1",
        ledger_index=1,
        issued_at=1_735_700_000,
        service_code="RJU-SMP-01",
        schedule_version="2024.1",
        official_fee=1_000,
        amount_charged=1_000,
        kind=ReceiptKind.NORMAL,
        commitment=bytes(16),
    )
    good = parse_sign1(sign_receipt(claims, key))  # its protected header is now known valid
    cases: list[tuple[dict[object, object], str]] = [
        ({HEADER_KID: good.kid}, "malformed.kid-unprotected"),
        ({99: 1}, "malformed.unknown-header"),
    ]
    for unprotected, code in cases:
        data = encode_sign1(good.protected, good.payload, good.signature, unprotected)
        with pytest.raises(MalformedReceipt) as caught:
            parse_sign1(data)
        assert caught.value.code == code
    assert parse_sign1(encode_sign1(good.protected, good.payload, good.signature)) == good
