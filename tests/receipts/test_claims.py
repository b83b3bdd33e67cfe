"""Receipt claims: validation on construction, deterministic payload, strict decoding."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import cbor2
import pytest

from receipts import InvalidClaimsError, MalformedReceipt, ReceiptClaims, ReceiptKind
from receipts.cbor import encode
from receipts.claims import commitment_from_leaf_hash, decode_claims, encode_claims

from .support import PBG_CLAIMS


def test_payload_round_trip_and_shape() -> None:
    payload = encode_claims(PBG_CLAIMS)
    assert decode_claims(payload) == PBG_CLAIMS
    decoded = cbor2.loads(payload)
    assert list(decoded) == list(range(1, 12))  # keys 1..11 in order, no optional ones
    assert decoded[1] == 1
    assert decoded[2] == ["32.16.20-DPMPTSP", "L02"]
    assert decoded[8] == decoded[9] == 6_176_270
    assert decoded[11] == bytes(range(16))


def test_optional_claims_appear_only_when_set() -> None:
    waived = replace(PBG_CLAIMS, amount_charged=3_088_135, waiver_ref="SK-KERINGANAN/2026/017")
    void = replace(PBG_CLAIMS, kind=ReceiptKind.VOID, voided_number="DPMPTSP/L02/2026/000730")
    assert cbor2.loads(encode_claims(waived))[12] == "SK-KERINGANAN/2026/017"
    assert 13 not in cbor2.loads(encode_claims(waived))
    assert cbor2.loads(encode_claims(void))[13] == "DPMPTSP/L02/2026/000730"
    assert decode_claims(encode_claims(void)) == void


def test_commitment_is_the_first_16_bytes_of_the_leaf_hash() -> None:
    leaf = bytes(range(32))
    assert commitment_from_leaf_hash(leaf) == bytes(range(16))
    with pytest.raises(InvalidClaimsError, match="32 bytes"):
        commitment_from_leaf_hash(bytes(16))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"official_fee": -1}, "official_fee must be in"),
        ({"amount_charged": 2**53}, "amount_charged must be in"),
        ({"ledger_index": True}, "ledger_index must be an integer"),
        ({"issued_at": 1.5}, "issued_at must be an integer"),
        ({"number": ""}, "number must be 1..48"),
        ({"number": "N" * 49}, "number must be 1..48"),
        ({"office_code": "DLH\n"}, "printable"),
        ({"counter_code": " L01"}, "surrounding spaces"),
        ({"service_code": 7}, "service_code must be text"),
        ({"commitment": bytes(15)}, "commitment must be 16 bytes"),
        ({"commitment": "00" * 16}, "commitment must be 16 bytes"),
        ({"kind": 0}, "kind must be a ReceiptKind"),
        ({"kind": ReceiptKind.VOID}, "must name the voided receipt"),
        ({"voided_number": "X/1"}, "only a void receipt"),
        ({"kind": ReceiptKind.CLOSING, "waiver_ref": "SK-1"}, "waiver reference belongs"),
    ],
)
def test_invalid_claims_are_refused_with_the_reason(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidClaimsError, match=message):
        replace(PBG_CLAIMS, **changes)


def _payload(**overrides: object) -> bytes:
    claims = PBG_CLAIMS.to_cbor_map()
    for key, value in overrides.items():
        number = int(key.removeprefix("k"))
        if value is None:
            del claims[number]
        else:
            claims[number] = value
    return encode(claims)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"k14": "3216012345678901"}, "unknown-claim"),  # e.g. a NIK smuggled in
        ({"k0": 1}, "unknown-claim"),
        ({"k1": None}, "missing-claim"),
        ({"k1": 2}, "unsupported-version"),
        ({"k6": None}, "missing-claim"),
        ({"k2": ["DLH"]}, "invalid-claim"),
        ({"k2": ["DLH", 1]}, "invalid-claim"),
        ({"k3": b"bytes"}, "invalid-claim"),
        ({"k8": -5}, "invalid-claim"),
        ({"k10": 9}, "invalid-claim"),
        ({"k11": bytes(32)}, "invalid-claim"),
        ({"k13": "X/1"}, "invalid-claim"),  # a voided number on a normal receipt
    ],
)
def test_attack_decoding_refuses_foreign_or_inconsistent_payloads(
    overrides: dict[str, object], reason: str
) -> None:
    with pytest.raises(MalformedReceipt) as caught:
        decode_claims(_payload(**overrides))
    assert caught.value.reason == reason


def test_attack_text_keys_are_unknown_claims() -> None:
    smuggled: dict[object, object] = dict(PBG_CLAIMS.to_cbor_map().items())
    smuggled["nik"] = "3216012345678901"
    with pytest.raises(MalformedReceipt) as caught:
        decode_claims(encode(smuggled))
    assert caught.value.code == "malformed.unknown-claim"


def test_payload_must_be_a_map() -> None:
    with pytest.raises(MalformedReceipt) as caught:
        decode_claims(encode([1, 2]))
    assert caught.value.code == "malformed.structure"


def test_claims_are_frozen() -> None:
    with pytest.raises(AttributeError):
        PBG_CLAIMS.official_fee = 1  # type: ignore[misc]
    assert isinstance(PBG_CLAIMS, ReceiptClaims)
