"""Reading a ``charge.rejected`` entry straight from its bytes.

After receipts, the entries a log holds most are refused charges. The service writes them
in one shape: the petugas, the amounts and the place as texts and integers, the
``inputs`` map and the recorded ``verdict`` map (texts and integers), and ``waiver_ref``
where a waiver was cited. For bytes of exactly that shape in canonical form,
:meth:`RejectionReader.read` finds the fields with one precompiled pattern instead of
parsing the JSON and serialising it again (:func:`audit.entries.read_entry`), and returns
the same entry value.

As for receipts (:mod:`audit.receipt_entries`), the pattern accepts only bytes that *are*
the RFC 8785 form of what it reads, so that the careful path would accept them and read
the same value:

- every field is spelled out in sorted order, so there is no other field, no duplicate
  and no whitespace; the two maps, whose keys vary, are checked to list them in strictly
  increasing order; keys are printable ASCII, whose byte order is the UTF-16 order of
  RFC 8785 §3.2.3;
- a map holds texts and integers only: no list, map, ``null``, ``true`` or fraction;
- a text holds printable ASCII but ``"`` and ``\\``, and UTF-8 of characters within the
  Basic Multilingual Plane above U+007F (no byte from ``0xf0`` up): the characters
  RFC 8785 writes as themselves (§3.2.2.2), so no escape can appear; every text is
  decoded as strict UTF-8, and bytes that are not (a stray or missing continuation byte,
  an overlong form, a surrogate) are declined;
- every integer has no leading zero, no ``-0`` and at most 15 digits (§3.2.2.3); ``seq``
  and ``at`` are not negative; ``prev`` is 64 lowercase hex digits (32 zero bytes at
  ``seq`` 0); the entry is not larger than the ledger's limit.

Anything else returns ``None`` and the entry takes the careful path, whose verdict and
message stand. ``tests/audit/test_fast_paths.py`` holds the two paths to the same
verdicts and values on mutated bytes and arbitrary bodies.
"""

from __future__ import annotations

import re
from typing import Any, Final

from audit.entries import ZERO_PREV, EntryValue
from ledger.encoding import MAX_ENTRY_BYTES

__all__ = ["RejectionReader"]

#: A key: printable ASCII but ``"`` (0x22) and ``\\`` (0x5c).
_KEY: Final = rb"[ !#-\[\]-~]*"
#: A text: the key's characters, and the bytes of UTF-8 of BMP characters beyond ASCII
#: (``0x80`` to ``0xef``; whether they are strict UTF-8 is settled by decoding each text).
_TEXT: Final = rb"[ !#-\[\]-~\x80-\xef]*"
_INT: Final = rb"(?:0|-?[1-9][0-9]{0,14})"
_NAT: Final = rb"(?:0|[1-9][0-9]{0,14})"
_ITEM: Final = rb'"' + _KEY + rb'":(?:"' + _TEXT + rb'"|' + _INT + rb")"
_ITEMS: Final = rb"((?:" + _ITEM + rb"(?:," + _ITEM + rb")*)?)"

_REJECTION: Final = re.compile(
    rb'\{"at":(' + _NAT + rb'),"body":\{'
    rb'"actor":"(' + _TEXT + rb')",'
    rb'"charged":(' + _INT + rb"),"
    rb'"charged_at":(' + _INT + rb"),"
    rb'"counter":"(' + _TEXT + rb')",'
    rb'"format":(' + _INT + rb"),"
    rb'"inputs":\{' + _ITEMS + rb"\},"
    rb'"office":"(' + _TEXT + rb')",'
    rb'"service":"(' + _TEXT + rb')",'
    rb'"verdict":\{' + _ITEMS + rb"\}"
    rb'(?:,"waiver_ref":"(' + _TEXT + rb')")?'
    rb'\},"kind":"charge\.rejected","prev":"([0-9a-f]{64})","seq":(' + _NAT + rb")\}",
    re.DOTALL,
)
#: One item of a map: its key, and its value as text or as an integer.
_ITEM_PARTS: Final = re.compile(
    rb'"(' + _KEY + rb')":(?:"(' + _TEXT + rb')"|(' + _INT + rb"))", re.DOTALL
)
_ZERO_PREV: Final = ZERO_PREV.encode("ascii")


class _Declined(Exception):  # noqa: N818 - internal control flow, never raised out
    """Internal: the bytes are not of the shape read here."""


class _Texts(dict[bytes, str]):
    """Recurring texts by their bytes, each decoded once (on first sight); raises
    :class:`_Declined` for bytes that are not strict UTF-8."""

    def __missing__(self, raw: bytes) -> str:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _Declined from None
        self[raw] = text
        return text


class _Maps(dict[bytes, "tuple[tuple[str, str | int], ...] | None"]):
    """The items of a map by their bytes, each read once (``None``: not canonical)."""

    def __init__(self, texts: _Texts) -> None:
        super().__init__()
        self._texts = texts

    def __missing__(self, raw: bytes) -> tuple[tuple[str, str | int], ...] | None:
        parts = _ITEM_PARTS.findall(raw)
        items: tuple[tuple[str, str | int], ...] | None = None
        if all(parts[i - 1][0] < parts[i][0] for i in range(1, len(parts))):  # in order, once
            try:
                texts = self._texts
                items = tuple(
                    (key.decode("ascii"), texts[text] if number == b"" else int(number))
                    for key, text, number in parts
                )
            except _Declined:
                items = None
        self[raw] = items
        return items


class RejectionReader:
    """Reads ``charge.rejected`` entries with :meth:`read`, remembering recurring texts and
    maps (each decoded once). Use one reader for a run of entries."""

    __slots__ = ("_maps", "_texts")

    def __init__(self) -> None:
        self._texts = _Texts()
        self._maps = _Maps(self._texts)

    def read(self, data: bytes) -> EntryValue | None:
        """:func:`audit.entries.read_entry` of a canonical ``charge.rejected`` entry of the
        usual shape; ``None`` for any other bytes (see the module doc)."""
        if len(data) > MAX_ENTRY_BYTES:
            return None
        match = _REJECTION.fullmatch(data)
        if match is None:
            return None
        (at, actor, charged, charged_at, counter, form, inputs, office, service, verdict,
         waiver, prev, seq) = match.groups()  # fmt: skip
        if seq == b"0" and prev != _ZERO_PREV:
            return None
        maps, texts = self._maps, self._texts
        inputs_read, verdict_read = maps[inputs], maps[verdict]
        if inputs_read is None or verdict_read is None:
            return None
        try:
            body: dict[str, Any] = {
                "actor": texts[actor],
                "charged": int(charged),
                "charged_at": int(charged_at),
                "counter": texts[counter],
                "format": int(form),
                "inputs": dict(inputs_read),
                "office": texts[office],
                "service": texts[service],
                "verdict": dict(verdict_read),
            }
            if waiver is not None:
                body["waiver_ref"] = texts[waiver]
        except _Declined:
            return None
        return {
            "at": int(at),
            "body": body,
            "kind": "charge.rejected",
            "prev": prev.decode("ascii"),
            "seq": int(seq),
        }
