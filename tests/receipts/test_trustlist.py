"""The public trust list: built from the keyring, served as JSON, parsed strictly."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from receipts import (
    KeyPurpose,
    TrustList,
    TrustListError,
    UnknownKeyError,
    build_trust_list,
)
from receipts.vectors.generate import vector_keyring


def _c2sp_verifier_key(name: str, public_key: bytes) -> str:
    # C2SP signed-note, computed here independently of ledger.note.
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + public_key).digest()[:4]
    encoded = base64.b64encode(b"\x01" + public_key).decode()
    return f"{name}+{key_id.hex()}+{encoded}"


def _document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(build_trust_list(vector_keyring()).to_json())
    return data


def test_round_trip() -> None:
    trust_list = build_trust_list(vector_keyring())
    assert TrustList.from_json(trust_list.to_json()) == trust_list
    assert trust_list.to_json().endswith(b"\n")


def test_layout_lists_every_key_with_purpose_status_and_validity() -> None:
    document = _document()
    assert document["format"] == "bukti-trust-list/1"
    log, old, new = document["keys"]
    assert (log["purpose"], log["status"]) == ("log", "active")
    assert (old["purpose"], old["status"]) == ("receipts", "retired")
    assert (new["purpose"], new["status"]) == ("receipts", "active")
    assert old["valid_until"] == new["valid_from"]
    assert "valid_until" not in new
    for key in (old, new):
        public_key = base64.b64decode(key["public_key"])
        kid = hashlib.sha256(b"bukti receipt key v1\n" + public_key).digest()[:8]
        assert key["kid"] == kid.hex()
        assert "verifier_key" not in key
    log_public_key = base64.b64decode(log["public_key"])
    assert log["verifier_key"] == _c2sp_verifier_key(log["name"], log_public_key)
    assert log["kid"] == log["verifier_key"].split("+")[1]


def test_receipts_key_lookup_by_kid() -> None:
    trust_list = build_trust_list(vector_keyring())
    for record in trust_list.records:
        if record.purpose is KeyPurpose.RECEIPTS:
            assert trust_list.receipts_key(record.kid) == record
    log = next(r for r in trust_list.records if r.purpose is KeyPurpose.LOG)
    with pytest.raises(UnknownKeyError):
        trust_list.receipts_key(log.kid)
    with pytest.raises(UnknownKeyError) as caught:
        trust_list.receipts_key(bytes(8))
    assert caught.value.code == "unknown-key"


def _mutated(change: Any) -> bytes:
    document = _document()
    change(document)
    return json.dumps(document).encode()


def _set(index: int, field: str, value: object) -> Any:
    return lambda d: d["keys"][index].__setitem__(field, value)


def _drop(index: int, field: str) -> Any:
    return lambda d: d["keys"][index].pop(field)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.__setitem__("format", "bukti-trust-list/2"), "format must be"),
        (lambda d: d.__setitem__("extra", 1), "exactly 'format' and 'keys'"),
        (lambda d: d.__setitem__("keys", {}), "must be a list"),
        (_set(1, "kid", "0000000000000000"), "derived from"),
        (_set(0, "verifier_key", "x+00000000+AQ=="), "derived from"),
        (_set(1, "status", "active"), "expected fields"),  # still has valid_until
        (_drop(1, "valid_until"), "expected fields"),  # retired without an end
        (_set(2, "valid_until", 1), "expected fields"),  # active with an end
        (_set(2, "extra", "x"), "expected fields"),
        (_drop(2, "kid"), "expected fields"),
        (_set(2, "purpose", "payments"), "KeyPurpose"),
        (_set(2, "algorithm", "ES256"), "algorithm"),
        (_set(2, "public_key", "AAAA"), "32 bytes"),
        (_set(2, "valid_from", "0"), "milliseconds"),
        (_set(1, "valid_until", 0), "before valid_from"),
        (lambda d: d["keys"].append(dict(d["keys"][2])), "listed twice"),
        (lambda d: d["keys"].__setitem__(0, "key"), "must be an object"),
    ],
)
def test_attack_malformed_trust_lists_are_refused(change: Any, message: str) -> None:
    with pytest.raises(TrustListError, match=message):
        TrustList.from_json(_mutated(change))


@pytest.mark.parametrize(
    "data",
    [
        b'{"format": "bukti-trust-list/1", "format": "bukti-trust-list/1", "keys": []}',
        b'{"format": "bukti-trust-list/1", "keys": [], "x": 1.5}',
        b"[]",
        b"\xff",
        b" " * (1 << 20) + b"{}",
    ],
)
def test_attack_non_strict_json_is_refused(data: bytes) -> None:
    with pytest.raises(TrustListError):
        TrustList.from_json(data)


def test_attack_kid_swapped_between_two_keys_is_refused() -> None:
    def swap(document: dict[str, Any]) -> None:
        old, new = document["keys"][1], document["keys"][2]
        old["kid"], new["kid"] = new["kid"], old["kid"]

    with pytest.raises(TrustListError, match="derived from"):
        TrustList.from_json(_mutated(swap))
