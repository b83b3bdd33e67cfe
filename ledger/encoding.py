"""Canonical bytes of ledger entries (RFC 8785, JSON Canonicalization Scheme).

An entry is the JSON object ``{"at", "body", "kind", "prev", "seq"}``:

- ``seq``  — 0-based index in the log;
- ``kind`` — one of :data:`ENTRY_KINDS`;
- ``at``   — UTC time in integer milliseconds, supplied by the application;
- ``prev`` — lowercase hex of the leaf hash of entry ``seq - 1`` (64 zeros for entry 0);
- ``body`` — a map in the ledger data model (text keys, integers, strings, booleans,
  lists, maps; no floats, integers within ±(2**53 - 1)).

The bytes produced by :func:`encode_entry` are the bytes that are stored and hashed;
nothing is ever re-serialised from columns to verify. :func:`decode_entry` accepts only
bytes that are exactly canonical.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785

from ledger.errors import EncodingError, EntryTooLargeError

__all__ = [
    "ENTRY_KINDS",
    "MAX_ENTRY_BYTES",
    "MAX_SAFE_INTEGER",
    "ZERO_HASH",
    "Entry",
    "canonical_json",
    "decode_entry",
    "encode_entry",
    "parse_canonical_json",
    "parse_json_strict",
]

#: Largest integer the data model admits (I-JSON, RFC 7493 §2.2).
MAX_SAFE_INTEGER = 2**53 - 1
#: Entry bundles length-prefix entries with a uint16 (C2SP tlog-tiles).
MAX_ENTRY_BYTES = 65_535
#: ``prev`` of entry 0.
ZERO_HASH = bytes(32)

ENTRY_KINDS: frozenset[str] = frozenset(
    {
        "log.created",
        "schedule.published",
        "key.added",
        "key.retired",
        "office.added",
        "counter.added",
        "user.added",
        "user.revoked",
        "receipt.issued",
        "receipt.voided",
        "charge.rejected",
        "day.closed",
        "deposit.recorded",
        "complaint.filed",
        "complaint.updated",
    }
)

_ENTRY_FIELDS = frozenset({"seq", "kind", "at", "prev", "body"})
_MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class Entry:
    """One decoded ledger entry. ``prev`` is the raw 32-byte leaf hash."""

    seq: int
    kind: str
    at: int
    prev: bytes
    body: Mapping[str, Any]

    def to_json_value(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "kind": self.kind,
            "at": self.at,
            "prev": self.prev.hex(),
            "body": self.body,
        }


def _check_value(value: Any, path: str, depth: int = 0) -> None:
    """Check ``value`` against the ledger data model, naming the path at fault."""
    if depth > _MAX_DEPTH:
        raise EncodingError(f"{path}: nesting deeper than {_MAX_DEPTH} levels")
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise EncodingError(f"{path}: integer {value} outside ±(2**53 - 1)")
        return
    if isinstance(value, float):
        raise EncodingError(f"{path}: floats are not allowed (found {value!r}); use integers")
    if isinstance(value, str):
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_value(item, f"{path}[{i}]", depth + 1)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise EncodingError(f"{path}: map key {key!r} is not text")
            _check_value(item, f"{path}.{key}", depth + 1)
        return
    if value is None:
        raise EncodingError(f"{path}: null is not allowed")
    raise EncodingError(f"{path}: type {type(value).__name__} is not in the ledger data model")


class _UnfitError(Exception):
    """Internal: the fast check found something the precise check will name."""


def _fast_check(value: Any, depth: int = 0) -> bool:
    """Check the data model without building paths; True if every map key is ASCII."""
    if depth > _MAX_DEPTH:
        raise _UnfitError
    kind = type(value)
    if kind is str or kind is bool:
        return True
    if kind is int:
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise _UnfitError
        return True
    ascii_keys = True
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        for key, item in value.items():
            if type(key) is not str:
                raise _UnfitError
            if not key.isascii():
                ascii_keys = False
            if not _fast_check(item, depth + 1):
                ascii_keys = False
        return ascii_keys
    if kind is list or kind is tuple:
        for item in value:
            if not _fast_check(item, depth + 1):
                ascii_keys = False
        return ascii_keys
    raise _UnfitError


def _mapping_to_dict(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"type {type(value).__name__} is not serializable")


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes of ``value`` after checking it against the ledger data model.

    For values whose map keys are all ASCII, the standard library's encoder with
    sorted keys, no whitespace and no ASCII escaping produces exactly the RFC 8785
    bytes (integers only, so no number formatting differs; the same characters are
    escaped, with lowercase ``\\u00xx``); keys outside ASCII take the ``rfc8785``
    package, whose UTF-16 key order can differ from code-point order.
    """
    try:
        ascii_keys = _fast_check(value)
    except (_UnfitError, RecursionError):
        _check_value(value, "$")  # raises the precise error
        raise EncodingError("value is outside the ledger data model") from None
    if ascii_keys:
        try:
            text = json.dumps(
                value,
                sort_keys=True,
                separators=(",", ":"),
                ensure_ascii=False,
                allow_nan=False,
                default=_mapping_to_dict,
            )
            return text.encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: let rfc8785 report it
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, ValueError, TypeError) as exc:
        raise EncodingError(f"cannot canonicalize value: {exc}") from exc


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise EncodingError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _reject_float(text: str) -> Any:
    raise EncodingError(f"floats are not allowed (found {text})")


def _reject_constant(text: str) -> Any:
    raise EncodingError(f"non-standard JSON constant {text}")


def parse_json_strict(data: bytes) -> Any:
    """Parse UTF-8 JSON, rejecting duplicate keys, floats, NaN and out-of-range integers."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EncodingError(f"not UTF-8 at byte {exc.start}") from exc
    try:
        value = json.loads(
            text,
            object_pairs_hook=_reject_duplicates,
            parse_float=_reject_float,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as exc:
        raise EncodingError(f"not JSON: {exc.msg} at offset {exc.pos}") from exc
    except RecursionError as exc:
        raise EncodingError("JSON nested too deeply") from exc
    _check_value(value, "$")
    return value


def parse_canonical_json(data: bytes) -> Any:
    """Parse ``data`` and require it to be exactly its RFC 8785 form.

    Fast path: a plain parse followed by re-encoding. Bytes equal to the canonical
    encoding of what was parsed cannot hold duplicate keys (the re-encoding would
    have one key fewer), floats or whitespace. Anything else is parsed again with
    the strict hooks so the error names the precise fault.
    """
    try:
        value = json.loads(data, parse_float=_reject_float, parse_constant=_reject_constant)
        if canonical_json(value) == data:
            return value
    except (ValueError, EncodingError, RecursionError):
        pass
    value = parse_json_strict(data)
    if canonical_json(value) != data:
        raise EncodingError("bytes are valid JSON but not in RFC 8785 canonical form")
    return value


def encode_entry(entry: Entry) -> bytes:
    """Canonical bytes of ``entry``; raises :class:`EncodingError` on any invalid field."""
    _validate_fields(entry.seq, entry.kind, entry.at, entry.prev, entry.body)
    data = canonical_json(entry.to_json_value())
    if len(data) > MAX_ENTRY_BYTES:
        raise EntryTooLargeError(
            f"entry seq {entry.seq} is {len(data)} bytes; the limit is {MAX_ENTRY_BYTES}"
        )
    return data


def decode_entry(data: bytes) -> Entry:
    """Decode canonical entry bytes; raises :class:`EncodingError` with the reason."""
    if len(data) > MAX_ENTRY_BYTES:
        raise EntryTooLargeError(f"entry is {len(data)} bytes; the limit is {MAX_ENTRY_BYTES}")
    value = parse_canonical_json(data)
    if not isinstance(value, dict):
        raise EncodingError(f"entry must be a JSON object, found {type(value).__name__}")
    keys = set(value)
    if keys != _ENTRY_FIELDS:
        missing = sorted(_ENTRY_FIELDS - keys)
        extra = sorted(keys - _ENTRY_FIELDS)
        raise EncodingError(f"entry fields wrong: missing {missing}, unexpected {extra}")
    prev_hex = value["prev"]
    if not isinstance(prev_hex, str) or len(prev_hex) != 64:
        raise EncodingError(f"prev must be 64 lowercase hex characters, found {prev_hex!r}")
    try:
        prev = bytes.fromhex(prev_hex)
    except ValueError as exc:
        raise EncodingError(f"prev is not hex: {prev_hex!r}") from exc
    if prev.hex() != prev_hex:
        raise EncodingError("prev must be lowercase hex")
    _validate_fields(value["seq"], value["kind"], value["at"], prev, value["body"])
    return Entry(
        seq=value["seq"], kind=value["kind"], at=value["at"], prev=prev, body=value["body"]
    )


def _validate_fields(seq: Any, kind: Any, at: Any, prev: Any, body: Any) -> None:
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise EncodingError(f"seq must be a non-negative integer, found {seq!r}")
    if not isinstance(kind, str) or kind not in ENTRY_KINDS:
        raise EncodingError(f"unknown entry kind {kind!r}")
    if not isinstance(at, int) or isinstance(at, bool) or at < 0:
        raise EncodingError(f"at must be non-negative integer milliseconds, found {at!r}")
    if not isinstance(prev, bytes) or len(prev) != 32:
        raise EncodingError("prev must be a 32-byte hash")
    if seq == 0 and prev != ZERO_HASH:
        raise EncodingError("entry 0 must have prev = 32 zero bytes")
    if not isinstance(body, Mapping):
        raise EncodingError(f"body must be a map, found {type(body).__name__}")
