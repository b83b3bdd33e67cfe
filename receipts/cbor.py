"""Deterministic CBOR for receipts: an encoder and a strict decoder for one small subset.

The subset is what the receipt format uses: unsigned and negative integers, byte strings,
text strings, arrays, maps and one top-level tag. Everything is encoded with the core
deterministic encoding requirements of RFC 8949 §4.2.1:

- arguments in their shortest form (§4.2.1, first bullet);
- definite lengths only (no indefinite-length strings, arrays or maps);
- map keys sorted by the bytewise lexicographic order of their encodings.

The decoder accepts exactly the bytes the encoder produces and nothing else: a
non-shortest argument, an indefinite length, unsorted map keys, a duplicate map key
(RFC 8949 §5.6), a float, a simple value, a nested tag or a byte after the one
top-level item each raise :class:`~receipts.errors.MalformedReceipt` with its own reason.
Because every accepted encoding is the unique deterministic one, two equal values
always have equal bytes, so keys are compared as bytes.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias

from receipts.errors import MalformedReceipt

__all__ = ["CborValue", "Tagged", "decode", "decode_tagged", "encode", "encode_small_int_map"]

CborValue: TypeAlias = "int | bytes | str | list[CborValue] | dict[CborKey, CborValue]"
CborKey: TypeAlias = int | bytes | str

# RFC 8949 §3.1 major types.
_UINT, _NINT, _BSTR, _TSTR, _ARRAY, _MAP, _TAG, _SIMPLE = range(8)
_MAX_DEPTH = 8
_MAX_UINT64 = 2**64 - 1


@dataclass(frozen=True, slots=True)
class Tagged:
    """A tagged data item (RFC 8949 §3.4); only ever used at the top level."""

    tag: int
    value: object


# ----------------------------------------------------------------------------- encoding


#: The one-byte heads: ``_SMALL_HEADS[major][argument]`` for arguments below 24.
_SMALL_HEADS: Final = tuple(tuple(bytes([major << 5 | n]) for n in range(24)) for major in range(8))


def _head(major: int, argument: int) -> bytes:
    # RFC 8949 §4.2.1: the argument in the shortest form that holds it.
    if 0 <= argument < 24:
        return _SMALL_HEADS[major][argument]
    if argument < 0 or argument > _MAX_UINT64:
        raise ValueError(f"CBOR argument {argument} outside 0..2**64-1")
    for additional, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * width):
            return bytes([major << 5 | additional]) + argument.to_bytes(width, "big")
    raise AssertionError("unreachable")  # pragma: no cover


def encode(value: object) -> bytes:
    """Deterministic CBOR (RFC 8949 §4.2.1) of ``value``.

    ``value`` may hold ``int`` (not ``bool``), ``bytes``, ``str``, lists or tuples,
    mappings and one :class:`Tagged`. Anything else is a programming error and raises
    :class:`TypeError`.
    """
    # Exact built-in types first (a receipt is made of nothing else); subclasses such as
    # an IntEnum or a read-only mapping take the general checks below.
    if type(value) is str:
        raw = value.encode("utf-8")
        return _head(_TSTR, len(raw)) + raw
    if type(value) is int:
        return _head(_UINT, value) if value >= 0 else _head(_NINT, -1 - value)
    if type(value) is bytes:
        return _head(_BSTR, len(value)) + value
    if type(value) is dict:
        return _encode_map(value)
    if type(value) is list:
        return _head(_ARRAY, len(value)) + b"".join([encode(item) for item in value])
    if isinstance(value, bool) or value is None:
        raise TypeError(f"{value!r} has no encoding in the receipt CBOR subset")
    if isinstance(value, int):
        return _head(_UINT, value) if value >= 0 else _head(_NINT, -1 - value)
    if isinstance(value, bytes):
        return _head(_BSTR, len(value)) + value
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _head(_TSTR, len(raw)) + raw
    if isinstance(value, list | tuple):
        return _head(_ARRAY, len(value)) + b"".join(encode(item) for item in value)
    if isinstance(value, Mapping):
        return _encode_map(value)
    if isinstance(value, Tagged):
        return _head(_TAG, value.tag) + encode(value.value)
    raise TypeError(f"type {type(value).__name__} has no encoding in the receipt CBOR subset")


def encode_small_int_map(pairs: Sequence[tuple[int, object]]) -> bytes:
    """Deterministic CBOR of a map whose keys are the integers 0..23, given in ascending
    order: equal to ``encode(dict(pairs))`` without encoding and sorting the keys.

    Each such key is one byte (RFC 8949 §3.1: argument below 24), so ascending numeric
    order is the bytewise order §4.2.1 requires. Raises :class:`ValueError` for a key out
    of range or out of order (which would also be a duplicate).
    """
    out = [_head(_MAP, len(pairs))]
    previous = -1
    for key, value in pairs:
        if type(key) is not int or not previous < key < 24:
            raise ValueError(f"expected ascending map keys 0..23, found {key!r} after {previous}")
        previous = key
        out.append(_SMALL_HEADS[_UINT][key])
        out.append(encode(value))
    return b"".join(out)


def _encode_map(value: Mapping[object, object]) -> bytes:
    # RFC 8949 §4.2.1: keys sorted bytewise by their deterministic encodings.
    pairs = sorted([(encode(k), encode(v)) for k, v in value.items()])
    for (key_a, _), (key_b, _) in itertools.pairwise(pairs):
        if key_a == key_b:
            raise ValueError("two map keys have the same encoding")
    return _head(_MAP, len(pairs)) + b"".join([k + v for k, v in pairs])


# ----------------------------------------------------------------------------- decoding


class _Reader:
    """A cursor over one buffer that enforces the deterministic subset as it reads."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise MalformedReceipt(
                "truncated",
                f"CBOR ends early: needed {n} byte(s) at offset {self.pos}, "
                f"only {len(self.data) - self.pos} left",
            )
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def head(self) -> tuple[int, int]:
        """Read one initial byte and its argument (RFC 8949 §3), shortest form only."""
        offset = self.pos
        initial = self._take(1)[0]
        major, additional = initial >> 5, initial & 0x1F
        if additional < 24:
            return major, additional
        if additional == 31:
            if major in (_BSTR, _TSTR, _ARRAY, _MAP):
                raise MalformedReceipt(
                    "non-canonical",
                    f"indefinite length at offset {offset}; deterministic CBOR "
                    "requires definite lengths (RFC 8949 §4.2.1)",
                )
            raise MalformedReceipt("not-cbor", f"unexpected break or indefinite at {offset}")
        if additional > 27:
            raise MalformedReceipt(
                "not-cbor", f"reserved additional information {additional} at offset {offset}"
            )
        if major == _SIMPLE:
            if additional == 24:
                raise MalformedReceipt("unsupported-type", f"simple value at offset {offset}")
            raise MalformedReceipt(
                "float", f"floating-point value at offset {offset}; the format has no floats"
            )
        width = 1 << (additional - 24)
        argument = int.from_bytes(self._take(width), "big")
        # RFC 8949 §4.2.1: the shortest form; 24 is the first value needing a byte.
        minimum = 24 if width == 1 else 1 << (4 * width)
        if argument < minimum:
            raise MalformedReceipt(
                "non-canonical",
                f"argument {argument} at offset {offset} uses {width + 1} bytes; "
                "the shortest form is required (RFC 8949 §4.2.1)",
            )
        return major, argument

    def item(self, depth: int) -> CborValue:
        if depth > _MAX_DEPTH:
            raise MalformedReceipt("structure", f"nesting deeper than {_MAX_DEPTH} levels")
        offset = self.pos
        major, argument = self.head()
        if major == _UINT:
            return argument
        if major == _NINT:
            return -1 - argument
        if major == _BSTR:
            return self._take(argument)
        if major == _TSTR:
            raw = self._take(argument)
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise MalformedReceipt(
                    "not-cbor", f"text string at offset {offset} is not valid UTF-8"
                ) from exc
        if major == _ARRAY:
            self._check_count(argument, 1, offset)
            return [self.item(depth + 1) for _ in range(argument)]
        if major == _MAP:
            self._check_count(argument, 2, offset)
            return self._map(argument, depth, offset)
        if major == _TAG:
            raise MalformedReceipt(
                "unsupported-type", f"tag {argument} at offset {offset}; only the outer tag"
            )
        # Major type 7 with a one-byte simple value: false, true, null, undefined, ….
        raise MalformedReceipt("unsupported-type", f"simple value {argument} at offset {offset}")

    def _check_count(self, count: int, min_bytes: int, offset: int) -> None:
        if count * min_bytes > len(self.data) - self.pos:
            raise MalformedReceipt(
                "truncated", f"container at offset {offset} claims {count} items; too few bytes"
            )

    def _map(self, count: int, depth: int, offset: int) -> dict[CborKey, CborValue]:
        out: dict[CborKey, CborValue] = {}
        seen: set[bytes] = set()
        previous = b""
        for _ in range(count):
            start = self.pos
            key = self.item(depth + 1)
            encoded_key = self.data[start : self.pos]
            if not isinstance(key, int | bytes | str):
                raise MalformedReceipt(
                    "unsupported-type", f"map key at offset {start} is not an int or string"
                )
            # RFC 8949 §5.6: a map with duplicate keys is not valid.
            if encoded_key in seen:
                raise MalformedReceipt(
                    "duplicate-key", f"map at offset {offset} repeats the key {key!r}"
                )
            # RFC 8949 §4.2.1: keys in bytewise lexicographic order of their encodings.
            if encoded_key < previous:
                raise MalformedReceipt(
                    "non-canonical",
                    f"map at offset {offset}: key {key!r} comes after a key that sorts later",
                )
            seen.add(encoded_key)
            previous = encoded_key
            out[key] = self.item(depth + 1)
        return out

    def finish(self) -> None:
        if self.pos != len(self.data):
            raise MalformedReceipt(
                "trailing-bytes",
                f"{len(self.data) - self.pos} byte(s) after the data item ending at offset "
                f"{self.pos}; expected exactly one item",
            )


class _DeclinedError(Exception):
    """Internal: the fast decoder met something unusual; :class:`_Reader` decides."""


#: The least argument each width may carry in the shortest form (RFC 8949 §4.2.1).
_FAST_WIDTHS: Final = {24: (1, 24), 25: (2, 1 << 8), 26: (4, 1 << 16), 27: (8, 1 << 32)}


def _fast_item(data: bytes, pos: int, depth: int) -> tuple[CborValue, int]:
    """The item at ``pos`` and the offset after it, for well-formed deterministic input.

    Accepts only what :meth:`_Reader.item` accepts, with the same value; declines
    (:class:`_DeclinedError`) on anything else — an error, a tag, a simple value — so that the
    strict reader names the fault. Map keys must strictly increase bytewise, which is the
    reader's order rule and excludes duplicates (RFC 8949 §4.2.1, §5.6).
    """
    if depth > _MAX_DEPTH:
        raise _DeclinedError
    try:
        initial = data[pos]
    except IndexError:
        raise _DeclinedError from None
    major, argument = initial >> 5, initial & 0x1F
    pos += 1
    if argument >= 24:
        width, least = _FAST_WIDTHS.get(argument, (0, 0))
        end = pos + width
        if not width or end > len(data):
            raise _DeclinedError
        argument = int.from_bytes(data[pos:end], "big")
        if argument < least:
            raise _DeclinedError
        pos = end
    if major == _UINT:
        return argument, pos
    if major == _NINT:
        return -1 - argument, pos
    if major in (_BSTR, _TSTR):
        end = pos + argument
        if end > len(data):
            raise _DeclinedError
        if major == _BSTR:
            return data[pos:end], end
        try:
            return data[pos:end].decode("utf-8"), end
        except UnicodeDecodeError:
            raise _DeclinedError from None
    if major == _ARRAY:
        items: list[CborValue] = []
        for _ in range(argument):
            item, pos = _fast_item(data, pos, depth + 1)
            items.append(item)
        return items, pos
    if major == _MAP:
        out: dict[CborKey, CborValue] = {}
        previous = b""
        for _ in range(argument):
            start = pos
            if pos < len(data) and data[pos] < 24:  # a key 0..23: every claim and header label
                key: CborValue = data[pos]
                pos += 1
            else:
                key, pos = _fast_item(data, pos, depth + 1)
            encoded_key = data[start:pos]
            if encoded_key <= previous or not isinstance(key, int | bytes | str):
                raise _DeclinedError
            previous = encoded_key
            out[key], pos = _fast_item(data, pos, depth + 1)
        return out, pos
    raise _DeclinedError  # a tag or a simple value: the reader names it


def decode(data: bytes) -> CborValue:
    """Decode exactly one untagged data item of the deterministic subset; nothing may follow."""
    try:  # the usual, well-formed input, read without per-item bookkeeping
        value, end = _fast_item(data, 0, 0)
        if end == len(data):
            return value
    except (_DeclinedError, RecursionError):
        pass
    reader = _Reader(data)
    value = reader.item(0)
    reader.finish()
    return value


def decode_tagged(data: bytes, tag: int) -> CborValue:
    """Decode ``tag(item)`` (RFC 8949 §3.4) where ``tag`` must be the outermost tag."""
    if 0 <= tag < 24 and data[:1] == bytes([_TAG << 5 | tag]):
        try:  # the usual, well-formed input (see decode)
            value, end = _fast_item(data, 1, 0)
            if end == len(data):
                return value
        except (_DeclinedError, RecursionError):
            pass
    reader = _Reader(data)
    if not data:
        raise MalformedReceipt("truncated", "empty input; expected a tagged CBOR item")
    if data[0] >> 5 != _TAG:
        raise MalformedReceipt(
            "wrong-tag", f"expected CBOR tag {tag}; found an untagged item (byte 0x{data[0]:02x})"
        )
    _, found = reader.head()
    if found != tag:
        raise MalformedReceipt("wrong-tag", f"expected CBOR tag {tag}, found tag {found}")
    value = reader.item(0)
    reader.finish()
    return value
