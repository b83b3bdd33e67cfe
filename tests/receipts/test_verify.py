"""Offline verification: key validity over time, key swaps, the fee rule, the error codes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from receipts import (
    BadSignatureError,
    FeeMismatchError,
    IssuedInFutureError,
    KeyNotYetValidError,
    KeyPair,
    KeyPurpose,
    KeyRecord,
    MalformedReceipt,
    ReceiptKind,
    RetiredKeyError,
    UnknownKeyError,
    build_trust_list,
    receipt_key_id,
    sign_receipt,
    verify_receipt,
)
from receipts.claims import encode_claims
from receipts.cose import encode_sign1, protected_header, sig_structure
from receipts.vectors.generate import (
    NEW_KEY,
    OLD_KEY,
    OUTSIDER_KEY,
    ROTATION_MS,
    vector_key,
    vector_keyring,
)

from .support import PBG_CLAIMS

OLD = vector_key(OLD_KEY)
NEW = vector_key(NEW_KEY)
OUTSIDER = vector_key(OUTSIDER_KEY)
TRUST = build_trust_list(vector_keyring())
ROTATION_S = ROTATION_MS // 1000


def _at(seconds: int, key: KeyPair = OLD, **changes: Any) -> bytes:
    return sign_receipt(replace(PBG_CLAIMS, issued_at=seconds, **changes), key)


def test_valid_receipt_result() -> None:
    cose = sign_receipt(PBG_CLAIMS, NEW)
    result = verify_receipt(cose, TRUST, at_ms=PBG_CLAIMS.issued_at_ms)
    assert result.claims == PBG_CLAIMS
    assert result.cose == cose
    assert result.key.public_key == NEW.public_key


def test_retired_key_verifies_only_receipts_issued_before_retirement() -> None:
    assert verify_receipt(_at(ROTATION_S - 86_400), TRUST).key.public_key == OLD.public_key
    assert verify_receipt(_at(ROTATION_S - 1), TRUST).claims.issued_at == ROTATION_S - 1
    for seconds in (ROTATION_S, ROTATION_S + 1, ROTATION_S + 86_400 * 90):
        with pytest.raises(RetiredKeyError) as caught:
            verify_receipt(_at(seconds), TRUST)
        assert caught.value.code == "retired-key"


def test_new_key_verifies_only_from_its_start() -> None:
    assert verify_receipt(_at(ROTATION_S, NEW), TRUST).key.public_key == NEW.public_key
    with pytest.raises(KeyNotYetValidError) as caught:
        verify_receipt(_at(ROTATION_S - 1, NEW), TRUST)
    assert caught.value.code == "key-not-yet-valid"


def test_key_start_is_compared_at_issued_at_resolution() -> None:
    # A key valid from 12:00:00.400 signs a receipt issued in that same second.
    start_ms = ROTATION_MS + 400
    record = KeyRecord("k", KeyPurpose.RECEIPTS, NEW.public_key, start_ms)
    trust = build_trust_list([record])
    assert verify_receipt(_at(start_ms // 1000, NEW), trust).claims.issued_at == start_ms // 1000


def test_attack_key_swap_with_a_key_not_in_the_trust_list() -> None:
    # A forger signs a perfectly formed receipt with a key of their own.
    with pytest.raises(UnknownKeyError) as caught:
        verify_receipt(sign_receipt(PBG_CLAIMS, OUTSIDER), TRUST)
    assert caught.value.code == "unknown-key"
    assert caught.value.kid == receipt_key_id(OUTSIDER.public_key)


def test_attack_forger_names_a_trusted_kid() -> None:
    protected = protected_header(receipt_key_id(NEW.public_key))
    payload = encode_claims(PBG_CLAIMS)
    forged = encode_sign1(protected, payload, OUTSIDER.sign(sig_structure(protected, payload)))
    with pytest.raises(BadSignatureError) as caught:
        verify_receipt(forged, TRUST)
    assert caught.value.code == "bad-signature"


def test_attack_raised_amount_after_signing() -> None:
    cose = sign_receipt(PBG_CLAIMS, NEW)
    raised = encode_claims(replace(PBG_CLAIMS, amount_charged=7_000_000, official_fee=7_000_000))
    original = encode_claims(PBG_CLAIMS)
    assert len(raised) == len(original)
    with pytest.raises(BadSignatureError):
        verify_receipt(cose.replace(original, raised), TRUST)


def test_attack_log_key_cannot_sign_receipts() -> None:
    log_key = vector_key("log-2026")
    with pytest.raises(UnknownKeyError):
        verify_receipt(sign_receipt(PBG_CLAIMS, log_key), TRUST)


def test_attack_an_empty_trust_list_trusts_nothing() -> None:
    with pytest.raises(UnknownKeyError):
        verify_receipt(sign_receipt(PBG_CLAIMS, NEW), build_trust_list([]))


@pytest.mark.parametrize(
    ("changes", "valid"),
    [
        ({}, True),
        ({"amount_charged": 6_176_271}, False),
        ({"amount_charged": 6_000_000}, False),  # less, without a waiver
        ({"amount_charged": 6_000_000, "waiver_ref": "SK-17"}, True),
        ({"amount_charged": 0, "waiver_ref": "SK-17"}, True),  # full exemption
        ({"amount_charged": 6_176_271, "waiver_ref": "SK-17"}, False),
        ({"official_fee": 0, "amount_charged": 10_000}, False),  # a charge on a free service
        (
            {"kind": ReceiptKind.VOID, "voided_number": "X/1", "amount_charged": 1},
            True,  # the fee rule applies to normal receipts only
        ),
        ({"kind": ReceiptKind.CLOSING, "amount_charged": 1}, True),
    ],
)
def test_fee_rule(changes: dict[str, Any], valid: bool) -> None:
    cose = sign_receipt(replace(PBG_CLAIMS, **changes), NEW)
    if valid:
        assert verify_receipt(cose, TRUST).claims.kind in ReceiptKind
    else:
        with pytest.raises(FeeMismatchError) as caught:
            verify_receipt(cose, TRUST)
        assert caught.value.code == "fee-mismatch"


def test_issued_in_future_allows_five_minutes_of_skew() -> None:
    cose = sign_receipt(PBG_CLAIMS, NEW)
    verify_receipt(cose, TRUST, at_ms=PBG_CLAIMS.issued_at_ms - 5 * 60_000)
    verify_receipt(cose, TRUST)  # no check time: no check
    with pytest.raises(IssuedInFutureError) as caught:
        verify_receipt(cose, TRUST, at_ms=PBG_CLAIMS.issued_at_ms - 5 * 60_000 - 1)
    assert caught.value.code == "issued-in-future"


def test_signature_is_checked_before_the_payload_is_parsed() -> None:
    # A forger's malformed payload is reported as a bad signature, not parsed.
    protected = protected_header(receipt_key_id(NEW.public_key))
    forged = encode_sign1(protected, b"\xa1\x01\x01\x01", bytes(64))
    with pytest.raises(BadSignatureError):
        verify_receipt(forged, TRUST)


@pytest.mark.parametrize("data", [b"", b"\xd2", b"\x00" * 2000, b"%PDF-1.7"])
def test_attack_garbage_is_malformed(data: bytes) -> None:
    with pytest.raises(MalformedReceipt) as caught:
        verify_receipt(data, TRUST)
    assert caught.value.code.startswith("malformed.")
