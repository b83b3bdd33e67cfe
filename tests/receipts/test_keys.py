"""Keys: generation from injected randomness, key ids, the keyring and key entry bodies."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from ledger.encoding import canonical_json
from receipts import (
    KeyPair,
    KeyPurpose,
    KeyRecord,
    Keyring,
    KeyringError,
    KeyStatus,
    key_added_body,
    key_retired_body,
    receipt_key_id,
)
from receipts.keys import b64encode, record_from_added_body

SEED = hashlib.sha256(b"bukti keys test seed").digest()
T0 = 1_767_200_400_000  # 2026-01-01 00:00 WIB
T1 = 1_782_838_800_000  # 2026-07-01 00:00 WIB


def _counter_random() -> Callable[[int], bytes]:
    state = {"n": 0}

    def random_bytes(size: int) -> bytes:
        state["n"] += 1
        return hashlib.sha256(b"random %d" % state["n"]).digest()[:size]

    return random_bytes


def _record(label: str, purpose: KeyPurpose = KeyPurpose.RECEIPTS, at: int = T0) -> KeyRecord:
    key = KeyPair(hashlib.sha256(label.encode()).digest())
    return KeyRecord(f"bekasikab.go.id/bukti/{label}", purpose, key.public_key, at)


def test_key_pair_from_seed_is_deterministic_and_signs() -> None:
    key = KeyPair(SEED)
    assert key.seed == SEED
    assert KeyPair(SEED).public_key == key.public_key
    assert len(key.sign(b"message")) == 64
    assert key.sign(b"message") == KeyPair(SEED).sign(b"message")  # RFC 8032 is deterministic


def test_generation_uses_only_the_injected_randomness() -> None:
    first = KeyPair.generate(_counter_random())
    second = KeyPair.generate(_counter_random())
    assert first.public_key == second.public_key
    assert first.seed == hashlib.sha256(b"random 1").digest()


def test_generation_refuses_short_randomness() -> None:
    with pytest.raises(ValueError, match="returned 16 bytes"):
        KeyPair.generate(lambda n: bytes(16))
    with pytest.raises(ValueError, match="32 bytes"):
        KeyPair(bytes(31))


def test_repr_never_shows_the_seed() -> None:
    key = KeyPair(SEED)
    assert SEED.hex() not in repr(key)
    assert key.public_key.hex() in repr(key)


def test_receipt_kid_is_the_documented_derivation() -> None:
    public_key = KeyPair(SEED).public_key
    expected = hashlib.sha256(b"bukti receipt key v1\n" + public_key).digest()[:8]
    assert receipt_key_id(public_key) == expected
    assert _record("r").kid == receipt_key_id(_record("r").public_key)


def test_log_kid_is_the_c2sp_note_key_id() -> None:
    record = _record("log", KeyPurpose.LOG)
    material = record.name.encode() + b"\n\x01" + record.public_key
    assert record.kid == hashlib.sha256(material).digest()[:4]
    assert record.verifier_key is not None
    assert record.verifier_key.startswith(f"{record.name}+{record.kid.hex()}+")
    assert _record("r").verifier_key is None


def test_status_follows_valid_until() -> None:
    record = _record("r")
    assert record.status is KeyStatus.ACTIVE
    keyring = Keyring.of([record]).retire(record.public_key, T1)
    assert keyring.get(record.public_key).status is KeyStatus.RETIRED
    assert keyring.get(record.public_key).valid_until == T1


def test_rotation_retires_the_old_key_when_the_new_one_starts() -> None:
    old, new = _record("a"), _record("b", at=T1)
    keyring = Keyring.of([old]).rotate(old.public_key, new)
    assert keyring.current(KeyPurpose.RECEIPTS) == new
    assert keyring.get(old.public_key).valid_until == T1
    assert keyring.active(KeyPurpose.RECEIPTS) == (new,)
    assert keyring.find(KeyPurpose.RECEIPTS, old.kid) is not None  # still there, retired


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        (lambda k, r: k.add(r), "listed twice"),
        (lambda k, r: k.retire(r.public_key, T0 - 1), "before the key became valid"),
        (lambda k, r: k.retire(r.public_key, T1).retire(r.public_key, T1), "already retired"),
        (lambda k, r: k.retire(bytes(32), T1), "no key"),
        (lambda k, r: k.rotate(r.public_key, _record("log", KeyPurpose.LOG)), "cannot rotate"),
        (lambda k, r: Keyring().current(KeyPurpose.LOG), "no active log key"),
    ],
)
def test_keyring_rules(operation: Callable[[Keyring, KeyRecord], object], message: str) -> None:
    record = _record("r")
    with pytest.raises(KeyringError, match=message):
        operation(Keyring.of([record]), record)


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "1..200"), ("has space", "without spaces"), ("a+b", "'\\+'")],
)
def test_key_names_follow_the_signed_note_rules(name: str, message: str) -> None:
    with pytest.raises(KeyringError, match=message):
        KeyRecord(name, KeyPurpose.LOG, bytes(32), T0)


def test_validity_period_must_be_ordered() -> None:
    with pytest.raises(KeyringError, match="before valid_from"):
        KeyRecord("k", KeyPurpose.RECEIPTS, bytes(32), T1, T0)
    with pytest.raises(KeyringError, match="milliseconds"):
        KeyRecord("k", KeyPurpose.RECEIPTS, bytes(32), -1)


def test_entry_bodies_follow_the_contract_and_replay() -> None:
    log, old, new = _record("log", KeyPurpose.LOG), _record("a"), _record("b", at=T1)
    keyring = Keyring.of([log, old]).rotate(old.public_key, new)
    bodies = [
        ("key.added", key_added_body(log, by="admin-1")),
        ("key.added", key_added_body(old, by="admin-1")),
        ("key.added", key_added_body(new, by="admin-2")),
        (
            "key.retired",
            key_retired_body(keyring.get(old.public_key), reason="rotation", by="admin-2"),
        ),
    ]
    assert bodies[1][1] == {
        "purpose": "receipts",
        "name": old.name,
        "public_key": b64encode(old.public_key),
        "kid": old.kid.hex(),
        "valid_from": T0,
        "by": "admin-1",
    }
    assert bodies[3][1] == {
        "purpose": "receipts",
        "kid": old.kid.hex(),
        "valid_until": T1,
        "reason": "rotation",
        "by": "admin-2",
    }
    replayed = Keyring()
    for kind, body in bodies:
        canonical_json(body)  # in the ledger data model
        replayed = replayed.apply_entry(kind, body)
    assert set(replayed.records) == set(keyring.records)


def test_attack_replayed_body_with_a_forged_kid_is_refused() -> None:
    record = _record("r")
    body = key_added_body(record, by="admin-1")
    forged = {**body, "kid": _record("other").kid.hex()}
    with pytest.raises(KeyringError, match="derived from the public key"):
        record_from_added_body(forged)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"extra": 1}, "expected fields"),
        ({"purpose": "payments"}, "unknown key purpose"),
        ({"public_key": "not base64!"}, "base64"),
        ({"valid_from": "0"}, "must be an integer"),
        ({"by": ""}, "by must be text"),
    ],
)
def test_key_added_body_is_parsed_strictly(change: dict[str, object], message: str) -> None:
    body = {**key_added_body(_record("r"), by="admin-1"), **change}
    with pytest.raises(KeyringError, match=message):
        Keyring().apply_entry("key.added", body)


def test_key_retired_body_must_name_a_known_key() -> None:
    record = _record("r")
    retired = Keyring.of([record]).retire(record.public_key, T1).get(record.public_key)
    body = key_retired_body(retired, reason="compromise", by="admin-1")
    with pytest.raises(KeyringError, match="names no receipts key"):
        Keyring.of([_record("other")]).apply_entry("key.retired", body)
    with pytest.raises(KeyringError, match=r"key\.added or key\.retired"):
        Keyring().apply_entry("office.added", body)


def test_bodies_need_the_right_status() -> None:
    record = _record("r")
    with pytest.raises(KeyringError, match="no valid_until"):
        key_retired_body(record, reason="x", by="a")
    retired = Keyring.of([record]).retire(record.public_key, T1).get(record.public_key)
    with pytest.raises(KeyringError, match="added active"):
        key_added_body(retired, by="a")
