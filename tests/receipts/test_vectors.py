"""The published test vectors: in sync with the generator, and each gives its expected result.

Valid vectors are also checked with pycose, an independent COSE implementation, both ways:
it verifies our receipts, and signing the same payload under the same header with it gives
our bytes exactly.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import cbor2
import pytest
from pycose.algorithms import EdDSA
from pycose.headers import KID, Algorithm
from pycose.keys.okp import OKPKey
from pycose.messages.sign1message import Sign1Message

from receipts import (
    ReceiptVerificationError,
    TrustList,
    receipt_key_id,
    receipt_url,
    short_code,
    verify_receipt,
)
from receipts.claims import encode_claims
from receipts.qr import base32_encode
from receipts.vectors import VECTORS_PATH, build_vectors, check_vectors
from receipts.vectors.__main__ import main as vectors_main
from receipts.vectors.generate import claims_to_json, vector_key

DOC = Path(__file__).resolve().parents[2] / "docs" / "receipt-format.md"


def _public_key(vectors: dict[str, Any], label: str) -> bytes:
    entry = next(k for k in vectors["keys"] if k["label"] == label)
    return base64.b64decode(entry["public_key"])


def test_check_mode_passes_on_the_stored_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert vectors_main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_check_mode_fails_on_any_drift(tmp_path: Path) -> None:
    stored = VECTORS_PATH.read_bytes()
    drifted = tmp_path / "receipts.json"
    drifted.write_bytes(stored.replace(b'"expected": "bad-signature"', b'"expected": "ok"', 1))
    problems = check_vectors(drifted)
    assert len(problems) == 1
    assert "bad-signature" in problems[0]
    assert check_vectors(tmp_path / "missing.json") == ["missing.json is missing"]


def test_generation_is_deterministic() -> None:
    assert build_vectors() == build_vectors() == VECTORS_PATH.read_bytes()


def test_every_valid_vector_verifies_to_its_claims(
    vectors: dict[str, Any], trust_list: TrustList, check_time_ms: int
) -> None:
    assert len(vectors["valid"]) >= 5
    for vector in vectors["valid"]:
        cose = bytes.fromhex(vector["cose_hex"])
        result = verify_receipt(cose, trust_list, at_ms=check_time_ms)
        assert claims_to_json(result.claims) == vector["claims"], vector["name"]
        assert encode_claims(result.claims).hex() == vector["payload_hex"]
        assert result.key.public_key == _public_key(vectors, vector["key"])
        assert base32_encode(cose) == vector["base32"]
        assert receipt_url(vectors["public_url"], cose) == vector["url"]
        assert short_code(cose) == vector["short_code"]


def test_every_invalid_vector_fails_with_its_expected_code(
    vectors: dict[str, Any], trust_list: TrustList, check_time_ms: int
) -> None:
    expected_codes = {v["expected"] for v in vectors["invalid"]}
    # The list: wrong key, flipped bytes, truncated, trailing, tag, alg, duplicate
    # keys, non-canonical CBOR, unknown kid.
    assert {
        "bad-signature",
        "malformed.truncated",
        "malformed.trailing-bytes",
        "malformed.wrong-tag",
        "malformed.wrong-alg",
        "malformed.duplicate-key",
        "malformed.non-canonical",
        "unknown-key",
    } <= expected_codes
    for vector in vectors["invalid"]:
        with pytest.raises(ReceiptVerificationError) as caught:
            verify_receipt(bytes.fromhex(vector["cose_hex"]), trust_list, at_ms=check_time_ms)
        assert caught.value.code == vector["expected"], vector["name"]
        assert str(caught.value), vector["name"]


def test_vector_keys_are_the_documented_derivation(vectors: dict[str, Any]) -> None:
    for entry in vectors["keys"]:
        key = vector_key(entry["label"])
        assert key.seed.hex() == entry["seed"]
        assert base64.b64decode(entry["public_key"]) == key.public_key
        assert bytes.fromhex(entry["receipt_kid"]) == receipt_key_id(key.public_key)


def _pycose_message(cose: bytes) -> Sign1Message:
    tag = cbor2.loads(cose)
    assert tag.tag == 18
    protected, unprotected, payload, signature = tag.value
    # cbor2 6 yields tuples and frozen maps inside tags; pycose expects list and dict.
    return Sign1Message.from_cose_obj([protected, dict(unprotected), payload, signature], True)


def test_pycose_verifies_every_valid_vector(vectors: dict[str, Any]) -> None:
    for vector in vectors["valid"]:
        message = _pycose_message(bytes.fromhex(vector["cose_hex"]))
        public_key = _public_key(vectors, vector["key"])
        assert message.phdr[Algorithm] is EdDSA
        assert message.phdr[KID] == receipt_key_id(public_key)
        assert message.payload == bytes.fromhex(vector["payload_hex"])
        message.key = OKPKey(crv="Ed25519", x=public_key)
        assert message.verify_signature(), vector["name"]


def test_pycose_rejects_the_tampered_signature(vectors: dict[str, Any]) -> None:
    vector = next(v for v in vectors["invalid"] if v["name"] == "flipped-signature-byte")
    message = _pycose_message(bytes.fromhex(vector["cose_hex"]))
    message.key = OKPKey(crv="Ed25519", x=_public_key(vectors, "receipts-2026b"))
    assert not message.verify_signature()


def test_pycose_signs_the_same_bytes(vectors: dict[str, Any]) -> None:
    vector = vectors["valid"][0]
    key = vector_key(vector["key"])
    message = Sign1Message(
        phdr={Algorithm: EdDSA, KID: receipt_key_id(key.public_key)},
        payload=bytes.fromhex(vector["payload_hex"]),
    )
    message.key = OKPKey(crv="Ed25519", x=key.public_key, d=key.seed)
    assert message.encode().hex() == vector["cose_hex"]


def test_format_document_shows_the_first_valid_vector(vectors: dict[str, Any]) -> None:
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    compact = text.replace(" ", "")
    vector = vectors["valid"][0]
    assert vector["cose_hex"] in compact
    assert vector["payload_hex"] in compact
    assert vector["short_code"] in text
