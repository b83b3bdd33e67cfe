"""Reading a ``receipt.issued`` entry straight from its bytes, for the audit's hot path.

Most entries of a log are receipts, and they all have one shape: the service writes the
same ten body fields (and ``waiver`` on a waived charge) as plain text and integers. For
bytes of exactly that shape in canonical form, :class:`ReceiptReader` finds the fields with
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

Two stretches of the body recur from receipt to receipt: from ``by`` to ``official_fee``
(petugas, amounts, counter, inputs, office) and from ``schedule`` on. The pattern the
entry is matched with (:data:`_STRETCHES`) reads each of them as one group, and a reader
takes them apart once per distinct value and remembers the result; what differs in every
receipt (``at``, ``receipt_no``, ``prev``, ``seq``) is read each time. :data:`_RECEIPT`
is the same pattern with every field a group of its own, the reference the reader is held
to.

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

__all__ = ["ReceiptBytesRead", "ReceiptRead", "ReceiptReader", "read_receipt"]

#: ``(seq, at, prev hex, facts)`` of a receipt read from its bytes.
ReceiptRead = tuple[int, int, str, "ReceiptFacts"]
#: The same with ``prev`` as the ASCII bytes of its hex digits, as the entry holds them.
ReceiptBytesRead = tuple[int, int, bytes, "ReceiptFacts"]

#: Text RFC 8785 writes as itself: printable ASCII but ``"`` (0x22) and ``\\`` (0x5c).
_TEXT: Final = rb"[ !#-\[\]-~]*"
_INT: Final = rb"(?:0|-?[1-9][0-9]{0,14})"
_NAT: Final = rb"(?:0|[1-9][0-9]{0,14})"
_ITEM: Final = rb'"' + _TEXT + rb'":(?:"' + _TEXT + rb'"|' + _INT + rb")"
_PREV: Final = rb"[0-9a-f]{64}"
#: Where ``prev`` stands, any 64 bytes but ``"``: whether they are hex digits is settled
#: apart, and needs no look when they equal the digits expected (:meth:`ReceiptReader.read_bytes`).
_PREV_SPAN: Final = rb'[^"]{64}'

#: The body from ``by`` to ``official_fee``: by, charged, counter, inputs, office, official.
_FIRST: Final = (
    rb'"by":"(' + _TEXT + rb')",'
    rb'"charged":(' + _INT + rb"),"
    rb'"counter":"(' + _TEXT + rb')",'
    rb'"inputs":\{((?:' + _ITEM + rb"(?:," + _ITEM + rb")*)?)\},"
    rb'"office":"(' + _TEXT + rb')",'
    rb'"official_fee":(' + _INT + rb")"
)
#: The body after ``receipt_no``: schedule, service, (verdict,) waiver.
_SECOND: Final = (
    rb'"schedule":"(' + _TEXT + rb')",'
    rb'"service":"(' + _TEXT + rb')",'
    rb'"verdict":"' + _TEXT + rb'"'
    rb'(?:,"waiver":"(' + _TEXT + rb')")?'
)


def _shape(first: bytes, second: bytes, prev: bytes = _PREV) -> bytes:
    """The pattern of a whole receipt around the two stretches' patterns: at, (first),
    receipt_no, (second), prev, seq."""
    return (
        rb'\{"at":(' + _NAT + rb'),"body":\{'
        + first
        + rb',"receipt_no":"(' + _TEXT + rb')",'
        + second
        + rb'\},"kind":"receipt\.issued","prev":"(' + prev + rb')","seq":(' + _NAT + rb")\}"
    )  # fmt: skip


def _one_group(pattern: bytes) -> bytes:
    """``pattern`` (whose parts hold no escaped ``(``) as one group with none inside."""
    return b"(" + pattern.replace(b"(?:", b"(").replace(b"(", b"(?:") + b")"


#: Every field a group: at, by, charged, counter, inputs, office, official fee,
#: receipt_no, schedule, service, waiver, prev, seq.
_RECEIPT: Final = re.compile(_shape(_FIRST, _SECOND), re.DOTALL)


#: The same language, the two recurring stretches each one group: at, the stretch from
#: ``by``, receipt_no, the stretch from ``schedule``, prev, seq.
def _possessive(pattern: bytes) -> bytes:
    """``pattern`` with its runs of text and of digits taken whole, never given back: the
    same language, since what follows each run is a byte the run cannot hold (``"``
    after a text, a non-digit after digits), but a match keeps no state to backtrack."""
    return pattern.replace(_TEXT, _TEXT + b"+").replace(b"{0,14}", b"{0,14}+")


#: ``prev`` is matched as any 64 bytes but ``"`` (:data:`_PREV_SPAN`).
_STRETCHES: Final = re.compile(
    _possessive(_shape(_one_group(_FIRST), _one_group(_SECOND), _PREV_SPAN)), re.DOTALL
)
_HEX64: Final = re.compile(_PREV)
_FIRST_PARTS: Final = re.compile(_FIRST, re.DOTALL)
_SECOND_PARTS: Final = re.compile(_SECOND, re.DOTALL)
#: One ``name: value`` of the inputs: the name, and the value as text or as an integer.
_INPUT: Final = re.compile(rb'"(' + _TEXT + rb')":(?:"(' + _TEXT + rb')"|(' + _INT + rb"))")
_ZERO_PREV: Final = ZERO_PREV.encode("ascii")
#: How many values a reader remembers before it starts afresh (:meth:`ReceiptReader.trim`).
_REMEMBERED: Final = 1 << 13

#: The stretch from ``by``, read: by, charged, counter, inputs, office, official fee.
_First = tuple[str, int, str, "tuple[tuple[str, Any], ...]", str, int]
#: The stretch from ``schedule``, read: schedule, service, waiver.
_Second = tuple[str, str, str | None]


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


class _Firsts(dict[bytes, "_First | None"]):
    """The stretch from ``by`` by its bytes (which the whole pattern matched), each taken
    apart once; ``None``: its inputs are not in order."""

    def __init__(self, texts: _Texts, amounts: _Amounts, inputs: _Inputs) -> None:
        super().__init__()
        self._texts, self._amounts, self._inputs = texts, amounts, inputs

    def __missing__(self, raw: bytes) -> _First | None:
        match = _FIRST_PARTS.fullmatch(raw)
        if match is None:  # pragma: no cover - the whole pattern matched this stretch
            raise ValueError("not the stretch of a receipt from 'by'")
        by, charged, counter, items, office, official = match.groups()
        inputs = self._inputs[items]
        texts, amounts = self._texts, self._amounts
        found: _First | None = (
            None
            if inputs is None
            else (
                texts[by],
                amounts[charged],
                texts[counter],
                inputs,
                texts[office],
                amounts[official],
            )
        )
        self[raw] = found
        return found


class _Seconds(dict[bytes, _Second]):
    """The stretch from ``schedule`` by its bytes (which the whole pattern matched), each
    taken apart once."""

    def __init__(self, texts: _Texts) -> None:
        super().__init__()
        self._texts = texts

    def __missing__(self, raw: bytes) -> _Second:
        match = _SECOND_PARTS.fullmatch(raw)
        if match is None:  # pragma: no cover - the whole pattern matched this stretch
            raise ValueError("not the stretch of a receipt from 'schedule'")
        schedule, service, waiver = match.groups()
        texts = self._texts
        found = self[raw] = (
            texts[schedule],
            texts[service],
            None if waiver is None else waiver.decode("ascii"),
        )
        return found


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
    (office, counter, petugas, service, schedule version, amounts, inputs) and the
    stretches of the body that hold them: each is taken apart and decoded once, and equal
    values come out as one object. A reader may serve any number of runs of entries;
    :meth:`trim` bounds what it remembers."""

    __slots__ = ("_amounts", "_firsts", "_inputs", "_seconds", "_texts")

    def __init__(self) -> None:
        self._texts = _Texts()
        self._amounts = _Amounts()
        self._inputs = _Inputs()
        self._firsts = _Firsts(self._texts, self._amounts, self._inputs)
        self._seconds = _Seconds(self._texts)

    def trim(self) -> None:
        """Forget everything remembered if it has grown beyond a bound (between runs)."""
        firsts, seconds, texts = self._firsts, self._seconds, self._texts
        amounts, inputs = self._amounts, self._inputs
        if len(firsts) + len(seconds) + len(texts) + len(amounts) + len(inputs) > _REMEMBERED:
            firsts.clear()
            seconds.clear()
            texts.clear()
            amounts.clear()
            inputs.clear()

    def read(self, data: bytes) -> ReceiptRead | None:
        """``(seq, at, prev hex, facts)`` of a canonical ``receipt.issued`` entry of the
        usual shape, where ``facts`` equals :func:`audit.compliance.receipt_facts` of its
        body; ``None`` for any other bytes (see the module doc)."""
        found = self.read_bytes(data)
        if found is None:
            return None
        seq, at, prev, facts = found
        return seq, at, prev.decode("ascii"), facts

    def read_bytes(self, data: bytes, expected: bytes | None = None) -> ReceiptBytesRead | None:
        """:meth:`read`, with ``prev`` as the ASCII bytes of its hex digits. ``expected``:
        64 lowercase hex digits (ASCII) that ``prev`` is likely to be, such as those of the
        leaf hash of the entry before; a ``prev`` equal to them needs no further look."""
        if len(data) > MAX_ENTRY_BYTES:
            return None
        match = _STRETCHES.fullmatch(data)
        if match is None:
            return None
        at, first_raw, number, second_raw, prev, seq = match.groups()
        if (prev != expected and _HEX64.fullmatch(prev) is None) or (
            seq == b"0" and prev != _ZERO_PREV
        ):
            return None
        first = self._firsts[first_raw]
        if first is None:
            return None
        by, charged, counter, inputs, office, official = first
        schedule, service, waiver = self._seconds[second_raw]
        facts: ReceiptFacts = (
            office,
            counter,
            by,
            service,
            number.decode("ascii"),
            schedule,
            charged,
            official,
            inputs,
            waiver,
            crc32(number),  # audit.registry.number_crc: the number is ASCII, so UTF-8 too
        )
        return int(seq), int(at), prev, facts


def read_receipt(data: bytes) -> ReceiptRead | None:
    """:meth:`ReceiptReader.read` of one entry. Pure."""
    return ReceiptReader().read(data)
