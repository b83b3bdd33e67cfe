"""Reading a ``receipt.issued`` entry straight from its bytes, for the audit's hot path.

Most entries of a log are receipts, and they all have one shape: the service writes the
same ten body fields (and ``waiver`` on a waived charge) as plain text and integers. For
bytes of exactly that shape in canonical form, :func:`read_receipt` finds the fields with
one precompiled pattern instead of parsing the JSON and serialising it again
(:func:`audit.entries.read_entry`), and returns what the chain and the rules need.

The pattern accepts only bytes that *are* the RFC 8785 form of what it reads, so that the
careful path would accept them and read the same values:

- every key is spelled out in sorted order, so there is no other key, no duplicate and no
  whitespace; the ``inputs`` map, whose keys vary, is checked to list them in strictly
  increasing order (for ASCII, byte order is the UTF-16 order of RFC 8785 §3.2.3);
- every text is printable ASCII without ``"`` or ``\\``: the characters RFC 8785 writes as
  themselves, so no escape can appear (§3.2.2.2);
- every integer has no leading zero, no ``-0`` and at most 15 digits, well inside the
  ±(2**53 - 1) the ledger allows, printed as RFC 8785 prints it (§3.2.2.3); ``seq`` and
  ``at`` are not negative;
- ``prev`` is 64 lowercase hex digits (32 zero bytes at ``seq`` 0), and the entry is not
  larger than the ledger's limit.

Anything else — another field, an escaped character, a list or a map or ``true`` among
the inputs, a long number, a field out of order — returns ``None`` and the entry takes the
careful path, whose verdict and message stand. ``tests/audit/test_fast_paths.py`` holds
the two paths to the same verdicts on mutated bytes.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final
from zlib import crc32

from audit.entries import ZERO_PREV
from ledger.encoding import MAX_ENTRY_BYTES

if TYPE_CHECKING:
    from audit.compliance import ReceiptFacts

__all__ = ["ReceiptRead", "ReceiptReader", "read_receipt"]

#: ``(seq, at, prev hex, facts)`` of a receipt read from its bytes.
ReceiptRead = tuple[int, int, str, "ReceiptFacts"]

#: Text RFC 8785 writes as itself: printable ASCII but ``"`` (0x22) and ``\\`` (0x5c).
_TEXT: Final = rb"[ !#-\[\]-~]*"
_INT: Final = rb"(?:0|-?[1-9][0-9]{0,14})"
_NAT: Final = rb"(?:0|[1-9][0-9]{0,14})"
_ITEM: Final = rb'"' + _TEXT + rb'":(?:"' + _TEXT + rb'"|' + _INT + rb")"

_RECEIPT: Final = re.compile(
    rb'\{"at":(' + _NAT + rb'),"body":\{'
    rb'"by":"(' + _TEXT + rb')",'
    rb'"charged":(' + _INT + rb"),"
    rb'"counter":"(' + _TEXT + rb')",'
    rb'"inputs":\{((?:' + _ITEM + rb"(?:," + _ITEM + rb")*)?)\},"
    rb'"office":"(' + _TEXT + rb')",'
    rb'"official_fee":(' + _INT + rb"),"
    rb'"receipt_no":"(' + _TEXT + rb')",'
    rb'"schedule":"(' + _TEXT + rb')",'
    rb'"service":"(' + _TEXT + rb')",'
    rb'"verdict":"' + _TEXT + rb'"'
    rb'(?:,"waiver":"(' + _TEXT + rb')")?'
    rb'\},"kind":"receipt\.issued","prev":"([0-9a-f]{64})","seq":(' + _NAT + rb")\}",
    re.DOTALL,
)
#: One ``name: value`` of the inputs: the name, and the value as text or as an integer.
_INPUT: Final = re.compile(rb'"(' + _TEXT + rb')":(?:"(' + _TEXT + rb')"|(' + _INT + rb"))")
_ZERO_PREV: Final = ZERO_PREV.encode("ascii")


class _Texts(dict[bytes, str]):
    """Recurring texts by their bytes, each decoded once (on first sight)."""

    def __missing__(self, raw: bytes) -> str:
        text = self[raw] = raw.decode("ascii")
        return text


class _Amounts(dict[bytes, int]):
    """Recurring amounts by their bytes, each read once: equal amounts come out as one
    object, which :mod:`marshal` then sends once per run."""

    def __missing__(self, raw: bytes) -> int:
        amount = self[raw] = int(raw)
        return amount


class _Inputs(dict[bytes, "tuple[tuple[str, Any], ...] | None"]):
    """The inputs by their bytes, each read once (``None``: names out of order)."""

    def __missing__(self, raw: bytes) -> tuple[tuple[str, Any], ...] | None:
        inputs = self[raw] = _read_inputs(raw)
        return inputs


def _read_inputs(items: bytes) -> tuple[tuple[str, Any], ...] | None:
    """The ``(name, value)`` pairs of the inputs' bytes in order; ``None`` if the names are
    not in strictly increasing order (not canonical)."""
    pairs = _INPUT.findall(items)
    for i in range(1, len(pairs)):
        if pairs[i - 1][0] >= pairs[i][0]:  # out of order, or twice
            return None
    return tuple(
        (name.decode("ascii"), text.decode("ascii") if number == b"" else int(number))
        for name, text, number in pairs
    )


class ReceiptReader:
    """Reads receipts with :meth:`read`, remembering the values of recurring fields
    (office, counter, petugas, service, schedule version, amounts, inputs): each is decoded
    once, and equal values come out as one object. Use one reader for a run of entries."""

    __slots__ = ("_amounts", "_inputs", "_texts")

    def __init__(self) -> None:
        self._texts = _Texts()
        self._amounts = _Amounts()
        self._inputs = _Inputs()

    def read(self, data: bytes) -> ReceiptRead | None:
        """``(seq, at, prev hex, facts)`` of a canonical ``receipt.issued`` entry of the
        usual shape, where ``facts`` equals :func:`audit.compliance.receipt_facts` of its
        body; ``None`` for any other bytes (see the module doc)."""
        if len(data) > MAX_ENTRY_BYTES:
            return None
        match = _RECEIPT.fullmatch(data)
        if match is None:
            return None
        (at, by, charged, counter, items, office, official, number, schedule, service, waiver,
         prev, seq) = match.groups()  # fmt: skip
        if seq == b"0" and prev != _ZERO_PREV:
            return None
        inputs = self._inputs[items]
        if inputs is None:
            return None
        texts, amounts = self._texts, self._amounts
        facts: ReceiptFacts = (
            texts[office],
            texts[counter],
            texts[by],
            texts[service],
            number.decode("ascii"),
            texts[schedule],
            amounts[charged],
            amounts[official],
            inputs,
            None if waiver is None else waiver.decode("ascii"),
            crc32(number),  # audit.registry.number_crc: the number is ASCII, so UTF-8 too
        )
        return int(seq), int(at), prev.decode("ascii"), facts


def read_receipt(data: bytes) -> ReceiptRead | None:
    """:meth:`ReceiptReader.read` of one entry. Pure."""
    return ReceiptReader().read(data)
