"""The public trust list (served at ``/.well-known/bukti/keys.json``): build it, parse it.

Layout (``docs/keys.md`` §Trust list)::

    {
      "format": "bukti-trust-list/1",
      "keys": [
        {"name": …, "purpose": "log" | "receipts", "status": "active" | "retired",
         "algorithm": "Ed25519", "public_key": "<base64 32 bytes>",
         "valid_from": <UTC ms>, "valid_until": <UTC ms, retired keys only>,
         "kid": "<hex: COSE kid (8 bytes) of a receipts key, note key ID (4 bytes) of a log key>",
         "verifier_key": "<C2SP verifier key, log keys only>"}, …
      ]
    }

Parsing is strict: duplicate JSON keys, floats, unknown or missing fields, a status that
disagrees with ``valid_until``, and a ``kid`` or ``verifier_key`` that is not the one
derived from the public key are all refused with :class:`TrustListError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, cast

from ledger.encoding import parse_json_strict
from ledger.errors import EncodingError
from receipts.errors import KeyringError, TrustListError, UnknownKeyError
from receipts.keys import (
    ALGORITHM,
    PUBLIC_KEY_SIZE,
    KeyPurpose,
    KeyRecord,
    Keyring,
    KeyStatus,
    b64decode_strict,
    b64encode,
)

__all__ = ["TRUST_LIST_FORMAT", "TrustList", "build_trust_list"]

TRUST_LIST_FORMAT: Final = "bukti-trust-list/1"
_MAX_BYTES: Final = 1 << 20
_COMMON_FIELDS: Final = frozenset(
    {"name", "purpose", "status", "algorithm", "public_key", "valid_from", "kid"}
)


def _key_document(record: KeyRecord) -> dict[str, object]:
    out: dict[str, object] = {
        "name": record.name,
        "purpose": str(record.purpose),
        "status": str(record.status),
        "algorithm": ALGORITHM,
        "public_key": b64encode(record.public_key),
        "valid_from": record.valid_from,
    }
    if record.valid_until is not None:
        out["valid_until"] = record.valid_until
    out["kid"] = record.kid.hex()
    if record.verifier_key is not None:
        out["verifier_key"] = record.verifier_key
    return out


@dataclass(frozen=True, slots=True)
class TrustList:
    """The keys a verifier trusts, with their validity periods."""

    keyring: Keyring

    @property
    def records(self) -> tuple[KeyRecord, ...]:
        return self.keyring.records

    def receipts_key(self, kid: bytes) -> KeyRecord:
        """The receipts key with COSE kid ``kid``; raises :class:`UnknownKeyError`."""
        record = self.keyring.find(KeyPurpose.RECEIPTS, kid)
        if record is None:
            raise UnknownKeyError(kid)
        return record

    def to_document(self) -> dict[str, object]:
        return {
            "format": TRUST_LIST_FORMAT,
            "keys": [_key_document(r) for r in self.records],
        }

    def to_json(self) -> bytes:
        """The served document: UTF-8 JSON, sorted keys, two-space indent, final newline."""
        text = json.dumps(self.to_document(), indent=2, sort_keys=True, ensure_ascii=False)
        return (text + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> TrustList:
        """Parse a trust list strictly; raises :class:`TrustListError` with the reason."""
        if len(data) > _MAX_BYTES:
            raise TrustListError(f"trust list is {len(data)} bytes; the limit is {_MAX_BYTES}")
        try:
            document = parse_json_strict(data)
        except EncodingError as exc:
            raise TrustListError(f"trust list is not strict JSON: {exc}") from exc
        if not isinstance(document, dict) or set(document) != {"format", "keys"}:
            found = sorted(document) if isinstance(document, dict) else type(document).__name__
            raise TrustListError(f"trust list must have exactly 'format' and 'keys'; found {found}")
        if document["format"] != TRUST_LIST_FORMAT:
            raise TrustListError(
                f"format must be {TRUST_LIST_FORMAT!r}, found {document['format']!r}"
            )
        keys = document["keys"]
        if not isinstance(keys, list):
            raise TrustListError("'keys' must be a list")
        records = [_parse_key(i, item) for i, item in enumerate(keys)]
        try:
            return cls(Keyring(tuple(records)))
        except KeyringError as exc:
            raise TrustListError(f"trust list: {exc}") from exc


def _parse_key(index: int, item: object) -> KeyRecord:
    where = f"keys[{index}]"
    if not isinstance(item, Mapping):
        raise TrustListError(f"{where} must be an object")
    try:
        purpose = KeyPurpose(str(item.get("purpose")))
        status = KeyStatus(str(item.get("status")))
    except ValueError as exc:
        raise TrustListError(f"{where}: {exc}") from exc
    expected = set(_COMMON_FIELDS)
    if purpose is KeyPurpose.LOG:
        expected.add("verifier_key")
    if status is KeyStatus.RETIRED:
        expected.add("valid_until")
    if set(item) != expected:
        raise TrustListError(
            f"{where} ({purpose}, {status}): expected fields {sorted(expected)}, "
            f"found {sorted(item)}"
        )
    if item["algorithm"] != ALGORITHM:
        raise TrustListError(f"{where}: algorithm must be {ALGORITHM!r}")
    public_key_text = item["public_key"]
    if not isinstance(public_key_text, str):
        raise TrustListError(f"{where}: public_key must be Base64 text")
    try:
        public_key = b64decode_strict(public_key_text, size=PUBLIC_KEY_SIZE, what="public_key")
        # KeyRecord checks the types of name and times itself.
        record = KeyRecord(
            name=cast(str, item["name"]),
            purpose=purpose,
            public_key=public_key,
            valid_from=cast(int, item["valid_from"]),
            valid_until=cast(int | None, item.get("valid_until")),
        )
    except (ValueError, KeyringError) as exc:
        raise TrustListError(f"{where}: {exc}") from exc
    if _key_document(record) != dict(item):
        raise TrustListError(
            f"{where}: kid or verifier_key is not the one derived from the name and public "
            f"key (kid {record.kid.hex()}, verifier_key {record.verifier_key})"
        )
    return record


def build_trust_list(records: Keyring | Iterable[KeyRecord]) -> TrustList:
    """The trust list of a keyring (or of its records), every key with its validity."""
    keyring = records if isinstance(records, Keyring) else Keyring(tuple(records))
    return TrustList(keyring)
