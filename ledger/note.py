"""Signed notes (C2SP signed-note) with Ed25519 keys.

A note is a UTF-8 text ending in a newline, a blank line, and one or more signature
lines ``— <key name> <base64(key ID || signature)>``. Checkpoints are notes; so is
anything else the log signs in the C2SP family.

Keys are named. A key is identified by the pair (name, 4-byte key ID), where the ID
is the first four bytes of SHA-256(name || 0x0A || 0x01 || public key) (C2SP
signed-note, "Ed25519 signatures"). Verifiers are given out as verifier key strings
``<name>+<hex key ID>+<base64(0x01 || public key)>``.

Parsing is strict: anything the format does not allow is a :class:`NoteFormatError`;
a signature by a known key that does not verify is a :class:`NoteSignatureError`; a
note with no signature by any known key is an :class:`UnknownKeyError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from ledger.errors import LedgerError, NoteFormatError, NoteSignatureError, UnknownKeyError

__all__ = [
    "ED25519_ALGORITHM",
    "MAX_NOTE_BYTES",
    "MAX_SIGNATURES",
    "Note",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "decode_base64_strict",
    "key_id",
    "open_note",
    "sign_note",
    "verifier_key_string",
]

#: Signature type byte of Ed25519 (C2SP signed-note, "Signature types").
ED25519_ALGORITHM = 0x01
#: Largest note accepted by :func:`open_note`.
MAX_NOTE_BYTES = 1_000_000
#: Most signature lines accepted by :func:`open_note` (the spec requires at least 16).
MAX_SIGNATURES = 100

_KEY_ID_SIZE = 4
_PUBLIC_KEY_SIZE = 32
_SEED_SIZE = 32
_ED25519_SIGNATURE_SIZE = 64
_SIGNATURE_PREFIX = "\u2014 "  # em dash U+2014 and a space
_CONTROL_RE = re.compile(r"[\x00-\x09\x0b-\x1f]")


def _check_name(name: str) -> None:
    """C2SP signed-note: a key name is non-empty, with no Unicode spaces and no '+'."""
    if not isinstance(name, str) or not name:
        raise NoteFormatError("key name must be a non-empty string")
    for ch in name:
        if ch.isspace() or ch == "+" or ord(ch) < 0x20:
            raise NoteFormatError(
                f"key name {name!r} must not contain spaces, '+' or control characters "
                f"(found {ch!r})"
            )


def decode_base64_strict(text: str, what: str, error: type[LedgerError] = NoteFormatError) -> bytes:
    """Standard base64 (RFC 4648 §4) with padding; any other form raises ``error``."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise error(f"{what} is not standard base64: {text[:80]!r}") from exc
    # RFC 4648 §3.5: non-zero pad bits would let two strings name the same bytes.
    if base64.b64encode(raw).decode("ascii") != text:
        raise error(f"{what} is not canonical base64: {text[:80]!r}")
    return raw


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    _check_name(name)
    if len(public_key) != _PUBLIC_KEY_SIZE:
        raise NoteFormatError(
            f"Ed25519 public key must be {_PUBLIC_KEY_SIZE} bytes, found {len(public_key)}"
        )
    # C2SP signed-note, "Ed25519 signatures": the recommended key ID derivation.
    material = name.encode("utf-8") + b"\n" + bytes([ED25519_ALGORITHM]) + public_key
    return hashlib.sha256(material).digest()[:_KEY_ID_SIZE]


def verifier_key_string(name: str, public_key: bytes) -> str:
    """``<name>+<hex key ID>+<base64(0x01 || public key)>``."""
    kid = key_id(name, public_key)
    encoded = base64.b64encode(bytes([ED25519_ALGORITHM]) + public_key).decode("ascii")
    return f"{name}+{kid.hex()}+{encoded}"


@dataclass(frozen=True)
class NoteVerifier:
    """A named Ed25519 public key that verifies note signatures."""

    name: str
    public_key: bytes
    _verify_key: VerifyKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.public_key, bytes) or len(self.public_key) != _PUBLIC_KEY_SIZE:
            raise NoteFormatError(
                f"Ed25519 public key must be {_PUBLIC_KEY_SIZE} bytes, found {len(self.public_key)}"
            )
        object.__setattr__(self, "_verify_key", VerifyKey(self.public_key))

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    @classmethod
    def from_string(cls, vkey: str) -> NoteVerifier:
        """Parse a verifier key string, checking the key ID against the key."""
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise NoteFormatError(
                f"verifier key must be <name>+<hex key id>+<base64 key>, found {len(parts)} "
                "'+'-separated parts"
            )
        name, kid_hex, key_b64 = parts
        _check_name(name)
        if len(kid_hex) != 2 * _KEY_ID_SIZE or any(c not in "0123456789abcdef" for c in kid_hex):
            raise NoteFormatError(f"key id must be 8 lowercase hex digits, found {kid_hex!r}")
        raw = decode_base64_strict(key_b64, "verifier key")
        if len(raw) != 1 + _PUBLIC_KEY_SIZE:
            raise NoteFormatError(
                f"verifier key must decode to {1 + _PUBLIC_KEY_SIZE} bytes, found {len(raw)}"
            )
        if raw[0] != ED25519_ALGORITHM:
            raise NoteFormatError(
                f"verifier key algorithm must be 0x01 (Ed25519), found 0x{raw[0]:02x}"
            )
        verifier = cls(name, raw[1:])
        if verifier.key_id.hex() != kid_hex:
            raise NoteFormatError(
                f"key id {kid_hex} does not match the key (expected {verifier.key_id.hex()})"
            )
        return verifier

    def to_string(self) -> str:
        return verifier_key_string(self.name, self.public_key)

    def verify(self, message: bytes, signature: bytes) -> None:
        """Raise :class:`NoteSignatureError` unless ``signature`` is this key's over ``message``."""
        if len(signature) != _ED25519_SIGNATURE_SIZE:
            raise NoteSignatureError(
                f"signature by {self.name} must be {_ED25519_SIGNATURE_SIZE} bytes, "
                f"found {len(signature)}"
            )
        try:
            self._verify_key.verify(message, signature)
        except BadSignatureError as exc:
            raise NoteSignatureError(
                f"signature by {self.name}+{self.key_id.hex()} does not verify"
            ) from exc


@dataclass(frozen=True)
class NoteSigner:
    """A named Ed25519 private key (its 32-byte seed) that signs notes."""

    name: str
    seed: bytes = field(repr=False)
    _signing_key: SigningKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.seed, bytes) or len(self.seed) != _SEED_SIZE:
            raise NoteFormatError(f"Ed25519 seed must be {_SEED_SIZE} bytes")
        object.__setattr__(self, "_signing_key", SigningKey(self.seed))

    @property
    def public_key(self) -> bytes:
        return bytes(self._signing_key.verify_key)

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, self.public_key)

    def sign(self, text: bytes) -> bytes:
        """The 64-byte Ed25519 signature (RFC 8032) over ``text``."""
        return bytes(self._signing_key.sign(text).signature)


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: the key it names and the signature bytes (without the ID)."""

    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True)
class Note:
    """An opened note: its text, the signatures verified by known keys, and the
    ``(name, key_id)`` of signatures by keys the caller did not supply."""

    text: str
    signatures: tuple[NoteSignature, ...]
    unverified: tuple[tuple[str, bytes], ...] = ()


def _check_text(text: str, what: str) -> None:
    """C2SP signed-note: no ASCII control characters other than newline."""
    found = _CONTROL_RE.search(text)
    if found:
        raise NoteFormatError(
            f"{what} contains control character U+{ord(found.group()):04X} "
            f"at character {found.start()}"
        )


def _check_note_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteFormatError("note text must end with a newline")
    if text.endswith("\n\n"):
        raise NoteFormatError("note text must end with exactly one newline, found more")


def sign_note(text: str, signers: Sequence[NoteSigner]) -> bytes:
    """Sign ``text`` with every signer; returns the note bytes."""
    _check_note_text(text)
    _check_text(text, "note text")
    if not signers:
        raise NoteFormatError("a note needs at least one signer")
    message = text.encode("utf-8")
    lines = []
    for signer in signers:
        sig = base64.b64encode(signer.key_id + signer.sign(message)).decode("ascii")
        lines.append(f"{_SIGNATURE_PREFIX}{signer.name} {sig}\n")
    note = (text + "\n" + "".join(lines)).encode("utf-8")
    if len(note) > MAX_NOTE_BYTES:
        raise NoteFormatError(f"note is {len(note)} bytes; the limit is {MAX_NOTE_BYTES}")
    return note


def _parse_signature_line(line: str, number: int) -> tuple[str, bytes, bytes]:
    """``— <name> <base64>`` → (name, key ID, signature)."""
    if not line.startswith(_SIGNATURE_PREFIX):
        raise NoteFormatError(
            f"signature line {number} must start with an em dash and a space, found {line[:20]!r}"
        )
    parts = line[len(_SIGNATURE_PREFIX) :].split(" ")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise NoteFormatError(
            f"signature line {number} must be '— <name> <base64 signature>', found {line[:80]!r}"
        )
    name, encoded = parts
    _check_name(name)
    raw = decode_base64_strict(encoded, f"signature line {number}")
    if len(raw) < _KEY_ID_SIZE + _ED25519_SIGNATURE_SIZE:
        raise NoteFormatError(
            f"signature line {number} holds {len(raw)} bytes; expected at least "
            f"{_KEY_ID_SIZE + _ED25519_SIGNATURE_SIZE} (key ID and signature)"
        )
    return name, raw[:_KEY_ID_SIZE], raw[_KEY_ID_SIZE:]


def open_note(note: bytes, verifiers: Sequence[NoteVerifier]) -> Note:
    """Parse ``note`` and verify its signatures by the given keys (C2SP signed-note).

    Signatures by keys not in ``verifiers`` are ignored and listed in ``unverified``.
    """
    if len(note) > MAX_NOTE_BYTES:
        raise NoteFormatError(f"note is {len(note)} bytes; the limit is {MAX_NOTE_BYTES}")
    try:
        decoded = note.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NoteFormatError(f"note is not UTF-8 at byte {exc.start}") from exc
    _check_text(decoded, "note")
    if not decoded.endswith("\n"):
        raise NoteFormatError("note must end with a newline")
    if decoded.endswith("\n\n"):
        raise NoteFormatError("note must end with exactly one newline after the last signature")
    # The text is separated from the signatures by the last blank line.
    split = decoded.rfind("\n\n")
    if split < 0:
        raise NoteFormatError("note has no blank line between text and signatures")
    text = decoded[: split + 1]
    _check_note_text(text)
    lines = decoded[split + 2 : -1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteFormatError(f"note has {len(lines)} signatures; the limit is {MAX_SIGNATURES}")
    parsed = [_parse_signature_line(line, i + 1) for i, line in enumerate(lines)]

    known = {(v.name, v.key_id): v for v in verifiers}
    message = text.encode("utf-8")
    verified: dict[tuple[str, bytes], NoteSignature] = {}
    unverified: dict[tuple[str, bytes], None] = {}
    for name, kid, sig in parsed:
        verifier = known.get((name, kid))
        if verifier is None:
            # C2SP signed-note: signatures from unknown keys are ignored.
            unverified.setdefault((name, kid), None)
            continue
        # C2SP signed-note: a known key's signature must verify, or the note is rejected.
        verifier.verify(message, sig)
        verified.setdefault((name, kid), NoteSignature(name, kid, sig))
    if not verified:
        names = ", ".join(f"{n}+{k.hex()}" for n, k in unverified) or "none"
        raise UnknownKeyError(
            f"no signature by a known key (expected one of "
            f"{', '.join(sorted(f'{n}+{k.hex()}' for n, k in known)) or 'none'}; found {names})"
        )
    return Note(text=text, signatures=tuple(verified.values()), unverified=tuple(unverified))
