"""Ed25519 signing keys, their public records, the keyring and the ledger entry bodies.

- :class:`KeyPair` holds a private key (a 32-byte Ed25519 seed, RFC 8032 §5.1.5) made
  from injected randomness or a given seed; nothing here draws randomness itself.
- :func:`receipt_key_id` derives the COSE ``kid`` of a receipts key: the first 8 bytes of
  SHA-256(``"bukti receipt key v1\\n"`` || public key) (``docs/keys.md``). The log key's
  id is its C2SP signed-note key ID (4 bytes, :func:`ledger.note.key_id`).
- :class:`KeyRecord` is the public record of a key: name, purpose (``log`` or
  ``receipts``), public key and validity period in UTC milliseconds. A key is *active*
  until it is given a ``valid_until``; then it is *retired*.
- :class:`Keyring` is an immutable set of records with the operations add, retire and
  rotate. Rotation adds a new active key and retires the old one at the same instant.
- :func:`key_added_body` / :func:`key_retired_body` build the bodies of the ledger
  entries ``key.added`` / ``key.retired`` (``docs/entries.md``);
  :meth:`Keyring.apply_entry` replays them.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

import nacl.signing

from ledger.errors import NoteFormatError
from ledger.note import decode_base64_strict, verifier_key_string
from ledger.note import key_id as note_key_id
from receipts.errors import KeyringError

__all__ = [
    "ALGORITHM",
    "KID_SIZE",
    "PUBLIC_KEY_SIZE",
    "RECEIPT_KID_CONTEXT",
    "SEED_SIZE",
    "KeyPair",
    "KeyPurpose",
    "KeyRecord",
    "KeyStatus",
    "Keyring",
    "b64decode_strict",
    "b64encode",
    "key_added_body",
    "key_retired_body",
    "receipt_key_id",
    "record_from_added_body",
]

ALGORITHM: Final = "Ed25519"
SEED_SIZE: Final = 32
PUBLIC_KEY_SIZE: Final = 32
KID_SIZE: Final = 8
#: Domain separation for receipt key ids: nothing else Bukti hashes starts with it.
RECEIPT_KID_CONTEXT: Final = b"bukti receipt key v1\n"
_MAX_INT: Final = 2**53 - 1
_MAX_TEXT: Final = 200


def receipt_key_id(public_key: bytes) -> bytes:
    """COSE kid of a receipts key: SHA-256(RECEIPT_KID_CONTEXT || public key)[:8]."""
    if len(public_key) != PUBLIC_KEY_SIZE:
        raise ValueError(f"an Ed25519 public key is 32 bytes, found {len(public_key)}")
    return hashlib.sha256(RECEIPT_KID_CONTEXT + public_key).digest()[:KID_SIZE]


def b64encode(data: bytes) -> str:
    """Standard Base64 with padding (RFC 4648 §4)."""
    return base64.b64encode(data).decode("ascii")


def b64decode_strict(text: str, *, size: int, what: str) -> bytes:
    """Canonical padded Base64 (RFC 4648 §4) of exactly ``size`` bytes, else ValueError."""
    try:
        raw = decode_base64_strict(text, what)
    except NoteFormatError as exc:
        raise ValueError(str(exc)) from exc
    if len(raw) != size:
        raise ValueError(f"{what} must decode to {size} bytes, found {len(raw)}")
    return raw


class KeyPair:
    """An Ed25519 private key and its public key. The seed never appears in ``repr``."""

    __slots__ = ("_signing_key", "public_key")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != SEED_SIZE:
            raise ValueError(f"an Ed25519 seed is {SEED_SIZE} bytes, found {len(seed)}")
        self._signing_key = nacl.signing.SigningKey(seed)
        self.public_key: bytes = bytes(self._signing_key.verify_key)

    @classmethod
    def generate(cls, random_bytes: Callable[[int], bytes]) -> KeyPair:
        """A new key from injected randomness (e.g. ``os.urandom`` at the edge)."""
        seed = random_bytes(SEED_SIZE)
        if len(seed) != SEED_SIZE:
            raise ValueError(f"random_bytes({SEED_SIZE}) returned {len(seed)} bytes")
        return cls(seed)

    @property
    def seed(self) -> bytes:
        """The 32-byte private seed; handle with care."""
        return bytes(self._signing_key)

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message`` (RFC 8032 §5.1.6)."""
        return bytes(self._signing_key.sign(message).signature)

    def __repr__(self) -> str:
        return f"KeyPair(public_key={self.public_key.hex()})"


class KeyPurpose(StrEnum):
    """What a key signs."""

    LOG = "log"  # checkpoints (C2SP signed notes)
    RECEIPTS = "receipts"  # COSE_Sign1 receipts


class KeyStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """The public record of one key. ``valid_until`` set means the key is retired."""

    name: str
    purpose: KeyPurpose
    public_key: bytes
    valid_from: int  # UTC ms
    valid_until: int | None = None  # UTC ms; receipts issued from this instant on are refused

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not 1 <= len(self.name) <= _MAX_TEXT:
            raise KeyringError(f"key name must be 1..{_MAX_TEXT} characters, found {self.name!r}")
        # C2SP signed-note: a key name is non-empty with no spaces and no "+".
        if not self.name.isprintable() or any(c.isspace() or c == "+" for c in self.name):
            raise KeyringError(f"key name must be printable without spaces or '+': {self.name!r}")
        if not isinstance(self.purpose, KeyPurpose):
            raise KeyringError(f"purpose must be a KeyPurpose, found {self.purpose!r}")
        if not isinstance(self.public_key, bytes) or len(self.public_key) != PUBLIC_KEY_SIZE:
            raise KeyringError("public key must be 32 bytes")
        _check_ms("valid_from", self.valid_from)
        if self.valid_until is not None:
            _check_ms("valid_until", self.valid_until)
            if self.valid_until < self.valid_from:
                raise KeyringError(
                    f"valid_until {self.valid_until} is before valid_from {self.valid_from}"
                )

    @property
    def status(self) -> KeyStatus:
        return KeyStatus.ACTIVE if self.valid_until is None else KeyStatus.RETIRED

    @property
    def kid(self) -> bytes:
        """The key id: the COSE kid of a receipts key, the C2SP note key ID of the log key."""
        if self.purpose is KeyPurpose.RECEIPTS:
            return receipt_key_id(self.public_key)
        return note_key_id(self.name, self.public_key)

    @property
    def verifier_key(self) -> str | None:
        """The C2SP signed-note verifier key string of the log key; ``None`` otherwise."""
        if self.purpose is KeyPurpose.LOG:
            return verifier_key_string(self.name, self.public_key)
        return None


def _check_ms(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= _MAX_INT:
        raise KeyringError(f"{name} must be UTC milliseconds in 0..2**53-1, found {value!r}")


def _check_text(name: str, value: object) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= _MAX_TEXT:
        raise KeyringError(f"{name} must be text of 1..{_MAX_TEXT} characters, found {value!r}")
    return value


def key_added_body(record: KeyRecord, *, by: str) -> dict[str, object]:
    """Body of the ledger entry ``key.added`` (``docs/entries.md``) for an active ``record``.

    ``by`` is the opaque id of the administrator who added the key.
    """
    if record.status is not KeyStatus.ACTIVE:
        raise KeyringError("a key is added active; retire it with its own key.retired entry")
    return {
        "purpose": str(record.purpose),
        "name": record.name,
        "public_key": b64encode(record.public_key),
        "kid": record.kid.hex(),
        "valid_from": record.valid_from,
        "by": _check_text("by", by),
    }


def key_retired_body(record: KeyRecord, *, reason: str, by: str) -> dict[str, object]:
    """Body of the ledger entry ``key.retired`` for a ``record`` already given valid_until."""
    if record.valid_until is None:
        raise KeyringError("the record has no valid_until; retire it in the keyring first")
    return {
        "purpose": str(record.purpose),
        "kid": record.kid.hex(),
        "valid_until": record.valid_until,
        "reason": _check_text("reason", reason),
        "by": _check_text("by", by),
    }


_ADDED_FIELDS: Final = frozenset({"purpose", "name", "public_key", "kid", "valid_from", "by"})
_RETIRED_FIELDS: Final = frozenset({"purpose", "kid", "valid_until", "reason", "by"})


def _check_fields(kind: str, body: Mapping[str, object], expected: frozenset[str]) -> None:
    if set(body) != expected:
        raise KeyringError(f"{kind} body: expected fields {sorted(expected)}, found {sorted(body)}")


def _int_field(body: Mapping[str, object], name: str) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise KeyringError(f"field {name!r} must be an integer, found {value!r}")
    return value


def _purpose_field(body: Mapping[str, object]) -> KeyPurpose:
    text = _check_text("purpose", body.get("purpose"))
    try:
        return KeyPurpose(text)
    except ValueError as exc:
        raise KeyringError(f"unknown key purpose {text!r}; expected log or receipts") from exc


def record_from_added_body(body: Mapping[str, object]) -> KeyRecord:
    """Parse a ``key.added`` body strictly back into an active :class:`KeyRecord`."""
    _check_fields("key.added", body, _ADDED_FIELDS)
    try:
        public_key = b64decode_strict(
            _check_text("public_key", body["public_key"]), size=PUBLIC_KEY_SIZE, what="public_key"
        )
    except ValueError as exc:
        raise KeyringError(str(exc)) from exc
    record = KeyRecord(
        name=_check_text("name", body["name"]),
        purpose=_purpose_field(body),
        public_key=public_key,
        valid_from=_int_field(body, "valid_from"),
    )
    _check_text("by", body["by"])
    if body["kid"] != record.kid.hex():
        raise KeyringError(
            f"key.added kid must be {record.kid.hex()} (derived from the public key), "
            f"found {body['kid']!r}"
        )
    return record


@dataclass(frozen=True, slots=True)
class Keyring:
    """An immutable set of key records; every operation returns a new keyring."""

    records: tuple[KeyRecord, ...] = ()

    def __post_init__(self) -> None:
        seen_keys: set[bytes] = set()
        seen_kids: set[tuple[KeyPurpose, bytes]] = set()
        for record in self.records:
            if record.public_key in seen_keys:
                raise KeyringError(f"public key {b64encode(record.public_key)} is listed twice")
            seen_keys.add(record.public_key)
            if (record.purpose, record.kid) in seen_kids:
                raise KeyringError(f"two {record.purpose} keys share the kid {record.kid.hex()}")
            seen_kids.add((record.purpose, record.kid))

    @classmethod
    def of(cls, records: Iterable[KeyRecord]) -> Keyring:
        return cls(tuple(records))

    def get(self, public_key: bytes) -> KeyRecord:
        for record in self.records:
            if record.public_key == public_key:
                return record
        raise KeyringError(f"no key {b64encode(public_key)} in the keyring")

    def find(self, purpose: KeyPurpose, kid: bytes) -> KeyRecord | None:
        """The key of ``purpose`` whose key id is ``kid``, if any."""
        for record in self.records:
            if record.purpose is purpose and record.kid == kid:
                return record
        return None

    def active(self, purpose: KeyPurpose) -> tuple[KeyRecord, ...]:
        return tuple(
            r for r in self.records if r.purpose is purpose and r.status is KeyStatus.ACTIVE
        )

    def current(self, purpose: KeyPurpose) -> KeyRecord:
        """The active key of ``purpose`` that became valid last (the one to sign with)."""
        active = self.active(purpose)
        if not active:
            raise KeyringError(f"no active {purpose} key in the keyring")
        return max(active, key=lambda r: r.valid_from)

    def add(self, record: KeyRecord) -> Keyring:
        if record.status is not KeyStatus.ACTIVE:
            raise KeyringError("a key is added active; retire it afterwards")
        return Keyring((*self.records, record))

    def retire(self, public_key: bytes, at_ms: int) -> Keyring:
        """Retire the key from ``at_ms`` on: receipts it signed before then still verify."""
        old = self.get(public_key)
        if old.status is KeyStatus.RETIRED:
            raise KeyringError(f"key {old.kid.hex()} ({old.name}) was already retired")
        if at_ms < old.valid_from:
            raise KeyringError(
                f"retirement at {at_ms} is before the key became valid at {old.valid_from}"
            )
        retired = replace(old, valid_until=at_ms)
        return Keyring(tuple(retired if r is old else r for r in self.records))

    def rotate(self, old_public_key: bytes, new: KeyRecord) -> Keyring:
        """Add ``new`` and retire the old key at ``new.valid_from``, of the same purpose."""
        old = self.get(old_public_key)
        if old.purpose is not new.purpose:
            raise KeyringError(f"cannot rotate a {old.purpose} key into a {new.purpose} key")
        return self.retire(old_public_key, new.valid_from).add(new)

    def apply_entry(self, kind: str, body: Mapping[str, object]) -> Keyring:
        """Replay one ``key.added`` or ``key.retired`` ledger entry body."""
        if kind == "key.added":
            return self.add(record_from_added_body(body))
        if kind == "key.retired":
            _check_fields(kind, body, _RETIRED_FIELDS)
            purpose = _purpose_field(body)
            kid_text = _check_text("kid", body["kid"])
            _check_text("reason", body["reason"])
            _check_text("by", body["by"])
            record = next(
                (r for r in self.records if r.purpose is purpose and r.kid.hex() == kid_text), None
            )
            if record is None:
                raise KeyringError(f"key.retired names no {purpose} key with kid {kid_text!r}")
            return self.retire(record.public_key, _int_field(body, "valid_until"))
        raise KeyringError(f"expected a key.added or key.retired entry, found {kind!r}")
