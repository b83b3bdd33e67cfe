"""Reading entry bytes at audit speed, with :func:`ledger.encoding.decode_entry` as the judge.

An audit reads every entry of the log, so decoding is its hot path. :func:`read_entry`
first tries a fast check that accepts only bytes :func:`~ledger.encoding.decode_entry`
is certain to accept: UTF-8 JSON that round-trips byte for byte through a sorted, compact
serialisation, with no float, no number of 16 digits or more, no character beyond the
Basic Multilingual Plane, no ``null``, shallow nesting and well-formed fields. For such
bytes the
sorted serialisation *is* the RFC 8785 form: code-point order equals UTF-16 order when
no key holds a supplementary character (RFC 8785 §3.2.3), both escape exactly the
control characters, ``"`` and ``\\`` (§3.2.2.2), and integers below 2**53 print the same
(§3.2.2.3). Anything else — a long number, a ``null`` (outside the ledger's data model), a
duplicate key (it would not round-trip), a field out of place — goes to ``decode_entry``,
whose verdict and message stand.

The result is the entry as a plain JSON object (``seq``, ``kind``, ``at``, ``prev`` as
lowercase hex, ``body``): cheaper to make than :class:`~ledger.encoding.Entry`, and all an
audit reads.
"""

from __future__ import annotations

import json
import json.encoder
import json.scanner
import re
from collections.abc import Callable
from typing import Any, Final

from ledger.encoding import ENTRY_KINDS, MAX_ENTRY_BYTES, decode_entry

__all__ = ["ZERO_PREV", "EntryValue", "lenient_fields", "read_entry"]

#: A decoded entry: ``{"seq": int, "kind": str, "at": int, "prev": hex str, "body": dict}``.
EntryValue = dict[str, Any]

#: ``prev`` of entry 0, as it appears in the entry.
ZERO_PREV: Final = "0" * 64
_FIELDS: Final = frozenset({"seq", "kind", "at", "prev", "body"})


def _byte_classes() -> bytes:
    """A ``bytes.translate`` table: digits to ``0``, the bytes a JSON number can follow
    (``:``, ``,``, ``-``) to ``:``, the openers ``{`` and ``[`` to ``{``, the UTF-8 lead
    bytes of characters beyond the BMP (and the bytes no UTF-8 text holds), ``0xf0`` to
    ``0xff``, to ``!``, all else to ``.``."""
    table = bytearray(b"." * 256)
    for byte in range(0xF0, 0x100):
        table[byte] = ord("!")
    for byte in b"0123456789":
        table[byte] = ord("0")
    for byte in b":,-":
        table[byte] = ord(":")
    for byte in b"{[":
        table[byte] = ord("{")
    return bytes(table)


_CLASSES: Final = _byte_classes()
#: A JSON number of 16 digits or more may leave the ±(2**53 - 1) range: let the judge decide.
#: Found in the byte classes: a run of 16 digits (rare: timestamps have 13), then whether
#: one follows a byte a number can follow (a digit run after ``{`` is never JSON, so ``[``
#: may share its class).
_DIGITS_16: Final = b"0" * 16
_LONG_AFTER_SEPARATOR: Final = b":" + _DIGITS_16
_LONG_AFTER_OPENER: Final = b"{" + _DIGITS_16
#: ``null`` is JSON but not in the ledger's data model (the bytes may also be inside a text).
_NULL: Final = b"null"
#: The class of a UTF-8 lead byte of a character beyond the BMP, where UTF-16 order (RFC 8785
#: §3.2.3) and code-point order of keys could differ (and of any byte no UTF-8 text holds).
_BEYOND_BMP: Final = b"!"
_HEX64: Final = re.compile(r"[0-9a-f]{64}")
#: Nesting the fast path accepts without counting levels (the ledger's limit is 32).
_MAX_OPENERS: Final = 32


class _DeclinedError(Exception):
    """Internal: the fast path declines; the authoritative decoder decides."""


def _no_float(text: str) -> Any:
    raise _DeclinedError(text)


def _no_default(value: object) -> Any:
    raise TypeError(f"not JSON: {type(value).__name__}")  # pragma: no cover - parsed values


_DECODER = json.JSONDecoder(parse_float=_no_float, parse_constant=_no_float)
#: The C scanner and encoder behind ``json.loads``/``json.dumps``, built once: the per-call
#: set-up of the public functions costs as much as a short entry (falls back to them where
#: the C accelerator is absent).
_c_make_scanner: Callable[..., Any] | None = getattr(json.scanner, "c_make_scanner", None)
_c_make_encoder: Callable[..., Any] | None = getattr(json.encoder, "c_make_encoder", None)
_scan = _c_make_scanner(_DECODER) if _c_make_scanner is not None else None
_encode = (
    # (markers, default, encoder, indent, key sep, item sep, sort_keys, skipkeys, allow_nan)
    _c_make_encoder(
        None, _no_default, json.encoder.encode_basestring, None, ":", ",", True, False, False
    )
    if _c_make_encoder is not None
    else None
)
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def _parse(text: str) -> Any:
    if _scan is None:
        return _DECODER.decode(text)
    value, end = _scan(text, 0)
    if end != len(text):
        raise ValueError("trailing characters")
    return value


def _serialize(value: Any) -> str:
    return "".join(_encode(value, 0)) if _encode is not None else _dumps(value)


def _fast(data: bytes, expected_prev: str | None = None) -> EntryValue | None:
    if not data or len(data) > MAX_ENTRY_BYTES:
        return None
    classes = data.translate(_CLASSES)
    if (
        (
            _DIGITS_16 in classes
            and (_LONG_AFTER_SEPARATOR in classes or _LONG_AFTER_OPENER in classes)
        )
        or classes.count(b"{") > _MAX_OPENERS
        or _NULL in data
        or _BEYOND_BMP in classes
    ):
        return None
    try:
        text = data.decode("utf-8")
        value = _parse(text)
    except (_DeclinedError, ValueError, RecursionError, StopIteration):
        return None
    if type(value) is not dict or len(value) != len(_FIELDS):
        return None
    try:  # five keys, each of the five fields: exactly the fields
        seq, kind, at, prev, body = (
            value["seq"],
            value["kind"],
            value["at"],
            value["prev"],
            value["body"],
        )
    except KeyError:
        return None
    if (
        type(seq) is not int
        or seq < 0
        or type(at) is not int
        or at < 0
        or kind not in ENTRY_KINDS
        or type(prev) is not str
        or (prev != expected_prev and _HEX64.fullmatch(prev) is None)
        or (seq == 0 and prev != ZERO_PREV)
        or type(body) is not dict
    ):
        return None
    # The text, decoded strictly from UTF-8, equals the serialisation exactly when the
    # bytes equal its UTF-8 form; a lone surrogate escaped in the input comes back unescaped
    # and differs.
    if _serialize(value) != text:
        return None
    return value


def read_entry(data: bytes, expected_prev: str | None = None) -> EntryValue:
    """The entry in ``data``; raises :class:`~ledger.errors.EncodingError` if not canonical.

    ``expected_prev``: the hex leaf hash of the entry stored before, if known (a ``prev``
    equal to it is well-formed without a further look).
    """
    value = _fast(data, expected_prev)
    if value is not None:
        return value
    entry = decode_entry(data)  # the authoritative verdict, with its precise message
    return {
        "seq": entry.seq,
        "kind": entry.kind,
        "at": entry.at,
        "prev": entry.prev.hex(),
        "body": dict(entry.body),
    }


def lenient_fields(data: bytes) -> tuple[int | None, str | None]:
    """Best-effort ``(seq, prev hex)`` of bytes that are not a canonical entry.

    Used only to classify a break (which entry was changed, moved or inserted); never
    to accept anything.
    """
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(value, dict):
        return None, None
    seq = value.get("seq")
    prev = value.get("prev")
    return (
        seq if type(seq) is int else None,
        prev if isinstance(prev, str) and _HEX64.fullmatch(prev) else None,
    )
