"""What a worker process does per entry, held to the plain way it replaces.

The receipt reader matches a whole receipt with the two recurring stretches of its body
each as one group, and takes those apart once per distinct value
(:mod:`audit.receipt_entries`); it may be told the ``prev`` to expect, and one reader
serves every run a process checks. Its readings must be those of the pattern with every
field a group (:data:`audit.receipt_entries._RECEIPT`) and of the careful path, whatever
it has read before. The tree levels are grown from the list of leaf hashes
(:func:`audit.tree.levels_above`), and a worker starts without the modules it needs only
at times.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from typing import Any
from zlib import crc32

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import receipt_entries
from audit.chunks import check_entry_chunk
from audit.receipt_entries import _RECEIPT, ReceiptBytesRead, ReceiptReader
from audit.tree import levels_above, subtree_levels
from ledger.encoding import MAX_ENTRY_BYTES, ZERO_HASH
from ledger.merkle import leaf_hash
from tests.audit.test_fast_paths import (
    _MUTATION,
    _PREV,
    _SHORT,
    _VALUE,
    _entries,
    _receipt_body,
    _receipt_bytes,
    _strict_receipt,
    mutate,
)

#: One reader for every test here: what it remembers must never change a reading.
_SHARED = ReceiptReader()


def _by_pattern(data: bytes) -> ReceiptBytesRead | None:
    """The reading of the pattern with every field a group, the reference."""
    match = _RECEIPT.fullmatch(data)
    if match is None or len(data) > MAX_ENTRY_BYTES:
        return None
    (at, by, charged, counter, items, office, official, number, schedule, service, waiver,
     prev, seq) = match.groups()  # fmt: skip
    if seq == b"0" and prev != receipt_entries._ZERO_PREV:
        return None
    inputs = receipt_entries._read_inputs(items)
    if inputs is None:
        return None
    facts = (
        office.decode(),
        counter.decode(),
        by.decode(),
        service.decode(),
        number.decode(),
        schedule.decode(),
        int(charged),
        int(official),
        inputs,
        None if waiver is None else waiver.decode(),
        crc32(number),
    )
    return int(seq), int(at), prev, facts


def _expectations(data: bytes) -> list[bytes | None]:
    """``prev`` values a caller may expect: none, the one the bytes hold (when hex digits),
    and other hex digits."""
    match = _RECEIPT.fullmatch(data)
    held = [match.group(12)] if match is not None else []
    return [None, *held, _PREV.hex().encode(), hashlib.sha256(data).hexdigest().encode()]


def _agree_everywhere(data: bytes) -> ReceiptBytesRead | None:
    """Read ``data`` with a fresh reader, the shared one and the reference, expecting any
    ``prev``: every reading is the same, and the careful path's when there is one."""
    reference = _by_pattern(data)
    for expected in _expectations(data):
        assert ReceiptReader().read_bytes(data, expected) == reference, (data, expected)
        assert _SHARED.read_bytes(data, expected) == reference, (data, expected)
    text = ReceiptReader().read(data)
    assert text == (
        None if reference is None else (*reference[:2], reference[2].decode(), reference[3])
    )
    if reference is not None:
        seq, at, prev, facts = reference
        assert (seq, at, prev.decode(), facts) == _strict_receipt(data), data
    return reference


def test_usual_and_unusual_receipts_read_as_the_reference_reads_them() -> None:
    for changes in (
        {},
        {"waiver": "SK-1", "verdict": "waived", "charged": 0},
        {"inputs": {}},
        {"inputs": {"LLt": "235", "It": "0.773", "Ibg": "1"}},
        {"inputs": {"a": -5, "b": 0, "c": ""}, "charged": -1, "official_fee": 0},
        {"receipt_no": "", "by": " ! #[]~", "office": "{}:,"},
        {"inputs": {"a": 1, "receipt_no": "x", "zz": '","kind":"receipt.issued"'}},
        {"office": '},"kind":"receipt.issued","prev":"'},
    ):
        _agree_everywhere(_receipt_bytes(**changes))
    assert _agree_everywhere(_receipt_bytes(seq=0, prev=ZERO_HASH)) is not None
    zero_after_a_hash = _receipt_bytes(seq=1).replace(b'"seq":1}', b'"seq":0}')
    assert _agree_everywhere(zero_after_a_hash) is None


@pytest.mark.parametrize(
    "prev",
    [b"0" * 63 + b"A", b"0" * 63 + b"g", b"0" * 63 + b"\xe9", b"0" * 63 + b"\n", b"0" * 65],
)
def test_attack_a_prev_that_is_not_hex_digits_is_refused_unless_expected(prev: bytes) -> None:
    data = _receipt_bytes(seq=41, prev=bytes(32)).replace(b"0" * 64, prev)
    assert _agree_everywhere(data) is None


@settings(max_examples=600, deadline=None)
@given(
    mutations=st.lists(_MUTATION, min_size=1, max_size=3),
    inputs=st.dictionaries(_SHORT, _VALUE, max_size=3),
    waiver=st.one_of(st.none(), _SHORT),
)
def test_attack_mutated_receipts_read_as_the_reference_reads_them(
    mutations: list[tuple[str, int, int]], inputs: dict[str, Any], waiver: str | None
) -> None:
    changes: dict[str, Any] = {"inputs": inputs}
    if waiver is not None:
        changes["waiver"] = waiver
    _agree_everywhere(mutate(_receipt_bytes(**changes), mutations))


@settings(max_examples=300, deadline=None)
@given(
    inputs=st.dictionaries(_SHORT, _VALUE, max_size=4),
    texts=st.lists(_SHORT, min_size=6, max_size=6),
    amounts=st.lists(st.integers(-(2**53) + 1, 2**53 - 1), min_size=2, max_size=2),
    seq=st.integers(0, 2**53 - 1),
)
def test_any_receipt_body_reads_as_the_reference_reads_it(
    inputs: dict[str, Any], texts: list[str], amounts: list[int], seq: int
) -> None:
    fields = ("office", "counter", "by", "service", "receipt_no", "schedule")
    changes: dict[str, Any] = dict(zip(fields, texts, strict=True))
    changes.update(inputs=inputs, charged=amounts[0], official_fee=amounts[1])
    _agree_everywhere(_receipt_bytes(seq=seq, prev=ZERO_HASH if seq == 0 else _PREV, **changes))


def test_a_reader_forgets_beyond_its_bound_and_reads_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(receipt_entries, "_REMEMBERED", 8)
    reader = ReceiptReader()
    receipts = [
        _receipt_bytes(seq=i + 1, office=f"office {i % 5}", receipt_no=f"n/{i}", inputs={})
        for i in range(40)
    ]
    first = [reader.read_bytes(data) for data in receipts]
    assert sum(map(len, (reader._firsts, reader._seconds, reader._texts))) > 8
    reader.trim()
    assert not reader._firsts
    assert not reader._texts
    assert [reader.read_bytes(data) for data in receipts] == first
    assert first == [_by_pattern(data) for data in receipts]


def test_runs_checked_one_after_another_in_one_process_are_checked_alike() -> None:
    stored = _entries(
        [("receipt.issued", _receipt_body(receipt_no=f"x/{i}", by=f"u-{i % 3}")) for i in range(50)]
    )
    stored[20] = stored[20].replace(b'"kind"', b' "kind"')  # not canonical
    stored[30], stored[31] = stored[31], stored[30]  # out of line
    for in_process in (True, False):
        once = check_entry_chunk((stored, in_process))
        again = check_entry_chunk((stored, in_process))
        assert once.heads == again.heads
        assert once.replay_records() == again.replay_records()
        assert set(once.heads) == {0, 20, 21, 30, 31, 32}
        assert once.heads[30] == (31, leaf_hash(stored[31]).hex(), None)


@pytest.mark.parametrize("count", [*range(0, 18), 31, 32, 33, 255, 256, 257, 2048])
def test_levels_from_the_list_of_leaves_are_the_levels_of_their_concatenation(
    count: int,
) -> None:
    leaves = [leaf_hash(b"%d" % i) for i in range(count)]
    assert levels_above(leaves) == subtree_levels(b"".join(leaves))
    if count:
        assert len(levels_above(leaves)) == count.bit_length() - 1


def test_a_worker_starts_without_the_rules_and_the_receipt_formats() -> None:
    script = (
        "import sys, audit.parallel, audit.chunks;"
        "print(sorted(m for m in ('audit.compliance', 'audit.integrity', 'audit.keys',"
        " 'audit.receipt_check', 'receipts') if m in sys.modules))"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"
