"""The audit's fast paths tell exactly what the careful ones tell.

A large audit reads entries a run at a time (:mod:`audit.chunks`): the tree is grown from
whole runs (:mod:`audit.tree`), the chain checker skips entries that follow in line
(:meth:`audit.integrity.ChainChecker.observe_run`), and receipts are replayed from their
facts (:meth:`audit.compliance.ComplianceChecker.receipt_issued`). Each is checked here
against the entry-by-entry way it replaces, on honest and on tampered input.
"""

from __future__ import annotations

import marshal
import pickle
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.calendar import DAY_MS, OfficeHours
from audit.chunks import PackedEntries, TileRun, check_entry_chunk, split_entry_bundle
from audit.compliance import receipt_facts
from audit.entries import lenient_fields, read_entry
from audit.findings import FindingSink
from audit.integrity import ChainChecker
from audit.keys import ReceiptKeys
from audit.receipt_check import ReceiptEntry, ReceiptJob, check_receipts
from audit.receipt_entries import ReceiptReader
from audit.rejection_entries import RejectionReader
from audit.tree import RunTree, subtree_levels
from ledger.encoding import ZERO_HASH, Entry, decode_entry, encode_entry
from ledger.errors import EncodingError, TileError
from ledger.merkle import leaf_hash, root_from_leaves
from ledger.tiles import decode_entry_bundle, encode_entry_bundle
from receipts import (
    KeyPair,
    KeyPurpose,
    KeyRecord,
    ReceiptClaims,
    ReceiptKind,
    commitment_from_leaf_hash,
    sign_receipt,
)
from tests.audit.test_chain import CASES, chain_findings, honest

LEAVES = [leaf_hash(b"entry %d" % i) for i in range(300)]


def _chunked_chain_findings(stored: list[bytes], run: int) -> list[tuple[str, int | None, Any]]:
    sink = FindingSink()
    checker = ChainChecker(sink)
    for start in range(0, len(stored), run):
        checked = check_entry_chunk((stored[start : start + run], True))
        checker.observe_run(start, checked.leaves, checked.heads)
    checker.finish()
    return [(f.code, f.seq, f.kind) for f in sink.sorted()]


# -- the tree ------------------------------------------------------------------------------


@pytest.mark.parametrize("run", [1, 2, 4, 8, 64])
@pytest.mark.parametrize("count", [1, 2, 3, 7, 8, 9, 63, 64, 65, 255, 300])
def test_run_tree_heads_equal_the_rfc_9162_heads_at_every_size(run: int, count: int) -> None:
    tree = RunTree(run)
    for start in range(0, count, run):
        leaves = b"".join(LEAVES[start : min(count, start + run)])
        levels = subtree_levels(leaves)
        for size in range(start + 1, min(count, start + run) + 1):
            assert tree.root_within(size, leaves, levels) == root_from_leaves(LEAVES[:size])
        tree.complete(len(leaves) // 32, leaves, levels)
    assert tree.size == count


def test_run_tree_refuses_sizes_outside_the_run_and_misaligned_runs() -> None:
    tree = RunTree(4)
    leaves = b"".join(LEAVES[:4])
    levels = subtree_levels(leaves)
    with pytest.raises(ValueError, match="outside the run"):
        tree.root_within(5, leaves, levels)
    tree.complete(3, leaves[: 3 * 32], subtree_levels(leaves[: 3 * 32]))
    with pytest.raises(ValueError, match="cannot follow 3 leaves"):
        tree.complete(4, leaves, levels)
    with pytest.raises(ValueError, match="power of two"):
        RunTree(6)


def test_subtree_levels_hold_only_complete_nodes() -> None:
    levels = subtree_levels(b"".join(LEAVES[:7]))
    assert [len(level) // 32 for level in levels] == [3, 1]
    assert levels[1] == root_from_leaves(LEAVES[:4])


# -- the chain ------------------------------------------------------------------------------


@pytest.mark.parametrize("run", [1, 2, 3, 5, 8, 16, 64])
@pytest.mark.parametrize(("attack", "expected"), CASES)
def test_attack_found_alike_when_read_a_run_at_a_time(
    attack: Callable[[list[bytes]], list[bytes]], expected: Any, run: int
) -> None:
    stored = attack(honest())
    assert _chunked_chain_findings(stored, run) == chain_findings(stored)


@settings(max_examples=60, deadline=None)
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(["delete", "swap", "copy", "garble"]), st.integers(0, 39)),
        max_size=4,
    ),
    run=st.sampled_from([1, 2, 4, 7, 16, 64]),
)
def test_attack_any_tampering_found_alike_when_read_a_run_at_a_time(
    edits: list[tuple[str, int]], run: int
) -> None:
    stored = honest()
    for edit, where in edits:
        at = where % len(stored)
        if edit == "delete" and len(stored) > 1:
            del stored[at]
        elif edit == "swap":
            other = (at + 1 + where // 7) % len(stored)
            stored[at], stored[other] = stored[other], stored[at]
        elif edit == "copy":
            stored.insert(at, stored[(at + 3) % len(stored)])
        else:
            stored[at] = stored[at].replace(b"received", b"resolved")
    assert _chunked_chain_findings(stored, run) == chain_findings(stored)


def test_honest_run_lists_only_its_first_entry() -> None:
    checked = check_entry_chunk((honest(), False))
    assert list(checked.heads) == [0]
    assert checked.heads[0] == (0, "0" * 64, None)
    assert checked.problems == {}
    assert checked.kinds == {"complaint.updated": 40}


def test_a_non_canonical_entry_is_listed_with_its_reason() -> None:
    stored = honest()
    stored[7] = stored[7].replace(b'{"at"', b'{ "at"')
    checked = check_entry_chunk((stored, True))
    assert sorted(checked.heads) == [0, 7, 8]
    assert checked.heads[7][:2] == (7, leaf_hash(stored[6]).hex())
    assert "canonical" in str(checked.problems[7])
    assert checked.replay_records()[7] is None


# -- the records ------------------------------------------------------------------------------


def _receipt_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "receipt_no": "32.16.01-UPTD/L01/2025/000001",
        "office": "32.16.01-UPTD",
        "counter": "L01",
        "by": "u-1",
        "service": "RJU-SMP-01",
        "schedule": "2024.1",
        "inputs": {"bulan": 1},
        "official_fee": 10_000,
        "charged": 10_000,
        "verdict": "ok",
    }
    body.update(changes)
    return body


def _entries(bodies: list[tuple[str, dict[str, Any]]]) -> list[bytes]:
    out: list[bytes] = []
    prev = ZERO_HASH
    for seq, (kind, body) in enumerate(bodies):
        data = encode_entry(Entry(seq, kind, 1_000 * seq, prev, body))
        out.append(data)
        prev = leaf_hash(data)
    return out


def test_records_from_a_worker_equal_records_kept_in_process() -> None:
    stored = _entries(
        [
            ("receipt.issued", _receipt_body()),
            ("receipt.issued", _receipt_body(receipt_no="x/2", inputs={"bulan": [1]})),
            ("receipt.issued", _receipt_body(charged="10000")),  # not facts: a body
            ("complaint.filed", {"tracking_no": "ADU-1", "paid_claimed": 5}),
        ]
    )
    here = check_entry_chunk((stored, True))
    there = check_entry_chunk((stored, False))
    assert there.records is None
    assert there.packed is not None
    assert there.replay_records() == here.replay_records()
    records = here.replay_records()
    assert records[0] is not None
    assert records[0][3] is None  # facts, no body
    assert records[2] is not None
    assert records[2][4] is None  # body, no facts
    assert here.kinds == {"receipt.issued": 3, "complaint.filed": 1}
    assert marshal.loads(marshal.dumps(records)) == records


def test_packed_entries_arrive_as_the_entries_they_were() -> None:
    entries = [*honest()[:5], b"", b"{}", bytes(range(256))]
    packed = PackedEntries(entries)
    assert pickle.loads(pickle.dumps(packed)) == entries  # what a worker process receives
    assert packed.unpack() == entries
    assert check_entry_chunk((packed, True)) == check_entry_chunk((entries, True))


def test_receipt_facts_read_every_field_the_rules_need() -> None:
    facts = receipt_facts(_receipt_body(waiver="SK-1"))
    assert facts is not None
    assert facts[:8] == (
        "32.16.01-UPTD",
        "L01",
        "u-1",
        "RJU-SMP-01",
        "32.16.01-UPTD/L01/2025/000001",
        "2024.1",
        10_000,
        10_000,
    )
    assert facts[8:10] == ((("bulan", 1),), "SK-1")
    broken: dict[str, Any]
    for broken in (
        {"charged": True},
        {"inputs": []},
        {"waiver": 5},
        {"office": None},
        {"schedule": 1},
    ):
        assert receipt_facts(_receipt_body(**broken)) is None


# -- canonical bytes ------------------------------------------------------------------------


def test_attack_null_in_a_body_is_refused_like_the_ledger_refuses_it() -> None:
    data = (
        b'{"at":1,"body":{"a":null},"kind":"complaint.filed","prev":"' + b"0" * 64 + b'","seq":0}'
    )
    with pytest.raises(EncodingError, match="null"):
        decode_entry(data)
    with pytest.raises(EncodingError, match="null"):
        read_entry(data)


def test_text_that_only_looks_like_null_or_a_long_number_still_reads() -> None:
    body = {"note": "nullable: 12345678901234567890", "n": -123456789012345}
    data = encode_entry(Entry(1, "complaint.filed", 7, bytes(32), body))
    assert read_entry(data)["body"] == body
    assert read_entry(data, expected_prev="00" * 32)["body"] == body


# -- office hours -----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(at=st.integers(0, 2**42), opens=st.integers(0, 1439), length=st.integers(1, 1440))
def test_day_window_agrees_with_contains(at: int, opens: int, length: int) -> None:
    hours = OfficeHours(opens, min(1440, opens + length))
    start, end, open_from, open_until = hours.day_window(at)
    assert start <= at < end == start + DAY_MS
    assert (open_from <= at < open_until) == hours.contains(at)


# -- receipts against their entries ------------------------------------------------------------

_KEY = KeyPair(bytes(range(32)))
_KEYS = ReceiptKeys((KeyRecord("receipts-test", KeyPurpose.RECEIPTS, _KEY.public_key, 0),), ())
_AT_MS = 1_735_783_200_000


def _receipt_entry(**changes: Any) -> tuple[ReceiptEntry, bytes]:
    """A receipt.issued entry as the main pass hands it over, and its signed receipt
    (with ``changes`` made to the claims only)."""
    facts = receipt_facts(_receipt_body())
    assert facts is not None
    leaf = leaf_hash(b"the entry")
    claims: dict[str, Any] = {
        "office_code": facts[0],
        "counter_code": facts[1],
        "number": facts[4],
        "ledger_index": 41,
        "issued_at": _AT_MS // 1000,
        "service_code": facts[3],
        "schedule_version": facts[5],
        "official_fee": facts[7],
        "amount_charged": facts[6],
        "kind": ReceiptKind.NORMAL,
        "commitment": commitment_from_leaf_hash(leaf),
    }
    claims.update(changes)
    cose = sign_receipt(ReceiptClaims(**claims), _KEY)
    return (41, 41, _AT_MS, leaf, facts, None), cose


def test_a_receipt_that_says_what_its_entry_says_gives_no_finding() -> None:
    entry, cose = _receipt_entry()
    assert check_receipts(ReceiptJob(_KEYS, [entry], [cose])) == []


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("ledger_index", 40),
        ("commitment", bytes(16)),
        ("issued_at", _AT_MS // 1000 + 1),
        ("office_code", "32.16.02-UPTD"),
        ("counter_code", "L02"),
        ("number", "32.16.01-UPTD/L01/2025/000002"),
        ("service_code", "RJU-SMP-02"),
        ("schedule_version", "2025.1"),
        ("official_fee", 9_000),
        ("amount_charged", 9_000),
        ("waiver_ref", "SK-1"),
    ],
)
def test_attack_a_receipt_that_differs_from_its_entry_in_one_claim(
    claim: str, value: object
) -> None:
    changes: dict[str, object] = {claim: value}
    if claim == "official_fee":  # keep the receipt's own fee rule satisfied
        changes["amount_charged"] = value
    elif claim == "amount_charged":
        changes["waiver_ref"] = "SK-1"
    entry, cose = _receipt_entry(**changes)
    findings = check_receipts(ReceiptJob(_KEYS, [entry], [cose]))
    assert [f.code for f in findings] == ["integrity.receipt_mismatch"]
    assert claim in findings[0].evidence["differences"]


def _void_entry(**changes: Any) -> tuple[ReceiptEntry, bytes]:
    body = {"receipt_seq": 7, "receipt_no": "x/1", "office": "32.16.01-UPTD"}
    leaf = leaf_hash(b"the void")
    claims: dict[str, Any] = {
        "office_code": "32.16.01-UPTD",
        "counter_code": "L01",
        "number": "x/1/B",
        "ledger_index": 9,
        "issued_at": _AT_MS // 1000,
        "service_code": "RJU-SMP-01",
        "schedule_version": "2024.1",
        "official_fee": 10_000,
        "amount_charged": 10_000,
        "kind": ReceiptKind.VOID,
        "commitment": commitment_from_leaf_hash(leaf),
        "voided_number": "x/1",
    }
    claims.update(changes)
    cose = sign_receipt(ReceiptClaims(**claims), _KEY)
    return (9, 9, _AT_MS, leaf, body, ("L01", 10_000)), cose


def test_a_void_receipt_is_held_against_the_receipt_it_cancels() -> None:
    entry, cose = _void_entry()
    assert check_receipts(ReceiptJob(_KEYS, [entry], [cose])) == []
    entry, cose = _void_entry(amount_charged=20_000, official_fee=20_000)
    findings = check_receipts(ReceiptJob(_KEYS, [entry], [cose]))
    assert [f.code for f in findings] == ["integrity.receipt_mismatch"]
    assert list(findings[0].evidence["differences"]) == ["amount_charged"]


# -- receipts read straight from their bytes -------------------------------------------------

_PREV = leaf_hash(b"the entry before")
#: Texts RFC 8785 writes as they are, and texts of any character (escapes, quotes, …).
_PLAIN = st.text(alphabet=st.sampled_from("aZ09 ./-_:,{}[]~!#"), max_size=6)
_SHORT = st.one_of(
    _PLAIN,
    _PLAIN,
    st.text(alphabet=st.sampled_from('aZ09 "\\\x00\x1f\x7fé€😀'), max_size=6),
)
_INT = st.one_of(st.integers(-999, 10**6), st.integers(-(2**53) + 1, 2**53 - 1))
_VALUE = st.one_of(_INT, _SHORT, st.booleans(), st.lists(st.integers(0, 9), max_size=2))


def _receipt_bytes(seq: int = 41, prev: bytes = _PREV, **changes: Any) -> bytes:
    return encode_entry(Entry(seq, "receipt.issued", _AT_MS, prev, _receipt_body(**changes)))


def _strict_receipt(data: bytes) -> tuple[int, int, str, Any] | str:
    """What the careful path makes of ``data``: the reading the fast path must match, or
    why it is not one (``"rejected"``: not canonical; ``"other"``: canonical, but not a
    receipt the rules read as facts)."""
    try:
        entry = decode_entry(data)
    except EncodingError:
        return "rejected"
    value = read_entry(data)  # the audit's own reader agrees with the ledger's
    assert value == {
        "seq": entry.seq,
        "kind": entry.kind,
        "at": entry.at,
        "prev": entry.prev.hex(),
        "body": dict(entry.body),
    }
    facts = receipt_facts(value["body"]) if value["kind"] == "receipt.issued" else None
    if facts is None:
        return "other"
    return value["seq"], value["at"], value["prev"], facts


def _agree(data: bytes, reader: ReceiptReader | None = None) -> tuple[int, int, str, Any] | None:
    """Read ``data`` fast and carefully; the fast reading must be the careful one, or none."""
    fast = (reader or ReceiptReader()).read(data)
    if fast is not None:
        assert fast == _strict_receipt(data), data
    return fast


def test_a_usual_receipt_is_read_fast_and_as_the_careful_path_reads_it() -> None:
    changes: dict[str, Any]
    for changes in (
        {},
        {"waiver": "SK-1", "verdict": "waived", "charged": 0},
        {"inputs": {}},
        {"inputs": {"LLt": "235", "It": "0.773", "Ibg": "1"}},
        {"inputs": {"a": -5, "b": 0, "c": ""}, "charged": -1, "official_fee": 0},
        {"receipt_no": "", "by": " ! #[]~", "office": "{}:,"},
        {"charged": 10**15 - 1},
    ):
        assert _agree(_receipt_bytes(**changes)) is not None, changes
    assert _agree(_receipt_bytes(seq=0, prev=ZERO_HASH)) is not None


@pytest.mark.parametrize(
    "data",
    [
        _receipt_bytes(seq=1).replace(b'"seq":1}', b'"seq":0}'),  # 0 follows the zero hash
        _receipt_bytes(charged=10**15),  # 16 digits: the careful path judges
        _receipt_bytes(inputs={"bulan": True}),
        _receipt_bytes(inputs={"bulan": [1]}),
        _receipt_bytes(inputs={"n": {"x": 1}}),
        _receipt_bytes(office="32.16.01-UPTD é"),
        _receipt_bytes(office='say "hi"'),
        _receipt_bytes(office="back\\slash"),
        _receipt_bytes(office="tab\there"),
        _receipt_bytes(note="an extra field"),
        _receipt_bytes(waiver=5),
        _receipt_bytes(charged="10000"),
        _receipt_bytes(seq=41).replace(b'"bulan":1', b'"bulan":01'),
        _receipt_bytes(seq=41).replace(b'"bulan":1', b'"bulan":1.0'),
        _receipt_bytes(seq=41).replace(b'"charged":10000', b'"charged":-0'),
        _receipt_bytes(inputs={"a": 1, "b": 2}).replace(b'"a":1,"b":2', b'"b":2,"a":1'),
        _receipt_bytes(inputs={"a": 1, "b": 2}).replace(b'"a":1,"b":2', b'"a":1,"a":2'),
        _receipt_bytes(seq=41).replace(b'"kind"', b' "kind"'),
        _receipt_bytes(seq=41).replace(b"L01", b"L\\u0030"),
        _receipt_bytes(seq=41) + b"\n",
        _receipt_bytes(seq=41, prev=bytes(32)).replace(b"0" * 64, b"0" * 63 + b"A"),
    ],
)
def test_attack_a_receipt_out_of_the_usual_shape_takes_the_careful_path(data: bytes) -> None:
    assert ReceiptReader().read(data) is None


def test_inputs_out_of_order_stay_refused_once_remembered() -> None:
    reader = ReceiptReader()
    honest = _receipt_bytes(inputs={"a": 1, "b": 2})
    swapped = honest.replace(b'"a":1,"b":2', b'"b":2,"a":1')
    for _ in range(2):
        assert reader.read(swapped) is None
        assert _agree(honest, reader) is not None


def test_one_reader_gives_equal_values_as_one_object() -> None:
    reader = ReceiptReader()
    first = reader.read(_receipt_bytes(seq=1, receipt_no="a/1"))
    second = reader.read(_receipt_bytes(seq=2, receipt_no="a/2"))
    assert first is not None
    assert second is not None
    for i in (0, 1, 2, 3, 5, 6, 7, 8):
        assert first[3][i] is second[3][i]


_MUTATION = st.tuples(
    st.sampled_from(["replace", "insert", "delete", "duplicate"]),
    st.integers(0, 10_000),
    st.sampled_from(list(b'"\\{}[],:-019 aAf.\x00\x1f\x7f\xc3\xa9\xf0')),
)


def mutate(data: bytes, mutations: list[tuple[str, int, int]]) -> bytes:
    """``data`` with each of :data:`_MUTATION`'s edits made in turn: a byte replaced,
    inserted or deleted, or eight bytes duplicated, at a position taken modulo the length."""
    edited = bytearray(data)
    for how, where, byte in mutations:
        at = where % (len(edited) + 1)
        if how == "replace" and at < len(edited):
            edited[at] = byte
        elif how == "insert":
            edited.insert(at, byte)
        elif how == "delete" and at < len(edited):
            del edited[at]
        else:
            edited[at:at] = edited[at : at + 8]
    return bytes(edited)


@settings(max_examples=600, deadline=None)
@given(
    mutations=st.lists(_MUTATION, min_size=1, max_size=3),
    inputs=st.dictionaries(_SHORT, _VALUE, max_size=3),
    waiver=st.one_of(st.none(), _SHORT),
)
def test_attack_mutated_receipt_bytes_read_fast_only_as_the_careful_path_reads_them(
    mutations: list[tuple[str, int, int]], inputs: dict[str, Any], waiver: str | None
) -> None:
    changes: dict[str, Any] = {"inputs": inputs}
    if waiver is not None:
        changes["waiver"] = waiver
    _agree(mutate(_receipt_bytes(**changes), mutations))


@settings(max_examples=300, deadline=None)
@given(
    inputs=st.dictionaries(_SHORT, _VALUE, max_size=4),
    texts=st.lists(_SHORT, min_size=6, max_size=6),
    amounts=st.lists(_INT, min_size=2, max_size=2),
    seq=st.one_of(st.integers(0, 10**6), st.integers(0, 2**53 - 1)),
)
def test_any_receipt_body_is_read_fast_only_as_the_careful_path_reads_it(
    inputs: dict[str, Any], texts: list[str], amounts: list[int], seq: int
) -> None:
    fields = ("office", "counter", "by", "service", "receipt_no", "schedule")
    changes: dict[str, Any] = dict(zip(fields, texts, strict=True))
    changes.update(inputs=inputs, charged=amounts[0], official_fee=amounts[1])
    data = _receipt_bytes(seq=seq, prev=ZERO_HASH if seq == 0 else _PREV, **changes)
    fast = _agree(data)
    plain = all(
        (type(v) is int and abs(v) < 10**15)
        or (isinstance(v, str) and all(" " <= c <= "~" and c not in '"\\' for c in v))
        for v in [*inputs, *inputs.values(), *texts, *amounts, seq]
    )
    assert (fast is not None) == plain  # the usual shape is always read fast


def test_a_run_with_receipts_of_every_shape_is_checked_as_entry_by_entry() -> None:
    stored = _entries(
        [
            ("receipt.issued", _receipt_body()),
            ("receipt.issued", _receipt_body(receipt_no="x/2", inputs={"bulan": [1]})),
            ("receipt.issued", _receipt_body(office="é")),
            ("complaint.filed", {"tracking_no": "ADU-1", "paid_claimed": 5}),
            ("receipt.issued", _receipt_body(waiver="SK-1")),
            ("receipt.issued", _receipt_body()),
        ]
    )
    stored[5] = stored[5].replace(b'"kind"', b' "kind"')  # not canonical
    stored[1], stored[2] = stored[2], stored[1]  # out of line
    for in_process in (True, False):
        checked = check_entry_chunk((stored, in_process))
        expected_heads = {}
        prev_hex, prev_seq = None, -2
        for i, data in enumerate(stored):
            strict = _strict_receipt(data)
            if strict == "rejected":
                expected_heads[i] = lenient_fields(data)
                prev_hex = None
                continue
            value = read_entry(data)
            if prev_hex is None or value["prev"] != prev_hex or value["seq"] != prev_seq + 1:
                expected_heads[i] = (value["seq"], value["prev"])
            prev_hex, prev_seq = leaf_hash(data).hex(), value["seq"]
            record = checked.replay_records()[i]
            assert record is not None
            assert record[:3] == (value["seq"], value["kind"], value["at"])
            assert record[3:] == (
                (None, strict[3]) if type(strict) is tuple else (value["body"], None)
            )
        assert {i: head[:2] for i, head in checked.heads.items()} == expected_heads
        assert checked.kinds == {"receipt.issued": 4, "complaint.filed": 1}


# -- refused charges read straight from their bytes ------------------------------------------


def _rejection_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "format": 1,
        "actor": "u-32.16.04-UPTD-L01",
        "office": "32.16.04-UPTD",
        "counter": "L01",
        "service": "RJU-KES-01",
        "inputs": {},
        "charged": 15000,
        "charged_at": _AT_MS,
        "verdict": {
            "code": "overcharge",
            "legal_ref": "Perda Kab. Bekasi 8/2023 (sedang direvisi)",
            "official_fee": 10000,
            "schedule_version": "bekasi-2024.1",
            "service_name": "Puskesmas – rawat jalan umum",
        },
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def _rejection_bytes(seq: int = 41, prev: bytes = _PREV, **changes: Any) -> bytes:
    return encode_entry(Entry(seq, "charge.rejected", _AT_MS, prev, _rejection_body(**changes)))


def _agree_rejection(data: bytes, reader: RejectionReader | None = None) -> Any:
    """Read ``data`` fast and carefully; the fast reading must be the careful one (the same
    value, its keys in the same order), or none."""
    fast = (reader or RejectionReader()).read(data)
    if fast is not None:
        try:
            entry = decode_entry(data)
        except EncodingError:
            pytest.fail(f"read fast, refused by the ledger: {data!r}")
        careful = read_entry(data)
        assert fast == careful, data
        assert list(fast["body"]) == list(careful["body"]) == sorted(entry.body)
        assert fast["prev"] == entry.prev.hex()
    return fast


def test_a_usual_refusal_is_read_fast_and_as_the_careful_path_reads_it() -> None:
    changes: dict[str, Any]
    for changes in (
        {},
        {"waiver_ref": "SK-1"},
        {"inputs": {"LLt": "235", "It": "0.773", "Ibg": "1"}},
        {"inputs": {"a": -5, "b": 0, "c": ""}, "charged": -1, "charged_at": 0},
        {"verdict": {}, "actor": "", "office": "{}:,", "counter": " ! #[]~"},
        {"verdict": {"x": "é€\u0080\u2028", "y": 10**15 - 1}},
        {"service": "ÀÉ – ū"},
    ):
        assert _agree_rejection(_rejection_bytes(**changes)) is not None, changes
    assert _agree_rejection(_rejection_bytes(seq=0, prev=ZERO_HASH)) is not None


@pytest.mark.parametrize(
    "data",
    [
        _rejection_bytes(seq=1).replace(b'"seq":1}', b'"seq":0}'),  # 0 follows the zero hash
        _rejection_bytes(charged=10**15),  # 16 digits: the careful path judges
        _rejection_bytes(inputs={"bulan": True}),
        _rejection_bytes(inputs={"bulan": [1]}),
        _rejection_bytes(verdict={"problems": ["x"]}),
        _rejection_bytes(verdict={"n": {"x": 1}}),
        _rejection_bytes(verdict={"é": 1}),
        _rejection_bytes(office="smile 😀"),
        _rejection_bytes(office='say "hi"'),
        _rejection_bytes(office="back\\slash"),
        _rejection_bytes(office="tab\there"),
        _rejection_bytes(office="del\x7f"),
        _rejection_bytes(note="an extra field"),
        _rejection_bytes(waiver_ref=5),
        _rejection_bytes(charged="15000"),
        _rejection_bytes(format=None),
        _rejection_bytes(seq=41).replace(b'"charged":15000', b'"charged":015000'),
        _rejection_bytes(seq=41).replace(b'"charged":15000', b'"charged":1.5e4'),
        _rejection_bytes(seq=41).replace(b'"charged":15000', b'"charged":-0'),
        _rejection_bytes(inputs={"a": 1, "b": 2}).replace(b'"a":1,"b":2', b'"b":2,"a":1'),
        _rejection_bytes(inputs={"a": 1, "b": 2}).replace(b'"a":1,"b":2', b'"a":1,"a":2'),
        _rejection_bytes(seq=41).replace(b'"kind"', b' "kind"'),
        _rejection_bytes(seq=41).replace(b"L01", b"L\\u0030"),
        _rejection_bytes(seq=41).replace("–".encode(), b"\xe2\x80"),  # cut short
        _rejection_bytes(seq=41).replace("–".encode(), b"\xc0\xad"),  # overlong
        _rejection_bytes(seq=41).replace("–".encode(), b"\xed\xa0\x80"),  # a surrogate
        _rejection_bytes(seq=41).replace("–".encode(), b"\x80"),  # a stray continuation
        _rejection_bytes(seq=41) + b"\n",
        _rejection_bytes(seq=41, prev=bytes(32)).replace(b"0" * 64, b"0" * 63 + b"A"),
        _receipt_bytes(seq=41),
        _entries([("complaint.filed", {"tracking_no": "ADU-1", "paid_claimed": 5})])[0],
    ],
)
def test_attack_a_refusal_out_of_the_usual_shape_takes_the_careful_path(data: bytes) -> None:
    assert RejectionReader().read(data) is None


def test_a_map_out_of_order_stays_refused_once_remembered() -> None:
    reader = RejectionReader()
    honest = _rejection_bytes(inputs={"a": 1, "b": 2})
    swapped = honest.replace(b'"a":1,"b":2', b'"b":2,"a":1')
    for _ in range(2):
        assert reader.read(swapped) is None
        assert _agree_rejection(honest, reader) is not None


_TEXTY = st.one_of(
    _SHORT,
    st.text(alphabet=st.sampled_from("aé€–\x80\x9f\u2028\ufffd\uffff"), max_size=4),
)
_REFUSAL_VALUE = st.one_of(_INT, _TEXTY, st.booleans(), st.lists(st.integers(0, 9), max_size=2))


@settings(max_examples=600, deadline=None)
@given(
    mutations=st.lists(_MUTATION, min_size=1, max_size=3),
    inputs=st.dictionaries(_SHORT, _REFUSAL_VALUE, max_size=3),
    verdict=st.dictionaries(_SHORT, _REFUSAL_VALUE, max_size=3),
    waiver=st.one_of(st.none(), _TEXTY),
)
def test_attack_mutated_refusal_bytes_read_fast_only_as_the_careful_path_reads_them(
    mutations: list[tuple[str, int, int]],
    inputs: dict[str, Any],
    verdict: dict[str, Any],
    waiver: str | None,
) -> None:
    data = _rejection_bytes(inputs=inputs, verdict=verdict, waiver_ref=waiver)
    _agree_rejection(mutate(data, mutations))


def _plain_text(value: str, key: bool) -> bool:
    """Whether a text is of the usual shape: no escape, no character beyond the BMP, and
    ASCII only for a key."""
    return all(
        (" " <= c <= "~" and c not in '"\\') or (not key and "\x80" <= c <= "\uffff") for c in value
    ) and not any("\ud800" <= c <= "\udfff" for c in value)


@settings(max_examples=300, deadline=None)
@given(
    inputs=st.dictionaries(_SHORT, _REFUSAL_VALUE, max_size=4),
    verdict=st.dictionaries(_SHORT, _REFUSAL_VALUE, max_size=4),
    texts=st.lists(_TEXTY, min_size=4, max_size=4),
    amounts=st.lists(_INT, min_size=2, max_size=2),
    seq=st.one_of(st.integers(0, 10**6), st.integers(0, 2**53 - 1)),
)
def test_any_refusal_body_is_read_fast_only_as_the_careful_path_reads_it(
    inputs: dict[str, Any],
    verdict: dict[str, Any],
    texts: list[str],
    amounts: list[int],
    seq: int,
) -> None:
    fields = ("actor", "office", "counter", "service")
    changes: dict[str, Any] = dict(zip(fields, texts, strict=True))
    changes.update(inputs=inputs, verdict=verdict, charged=amounts[0], charged_at=amounts[1])
    data = _rejection_bytes(seq=seq, prev=ZERO_HASH if seq == 0 else _PREV, **changes)
    fast = _agree_rejection(data)
    maps = [*inputs.items(), *verdict.items()]
    plain = all(_plain_text(k, key=True) for k, _ in maps) and all(
        (type(v) is int and abs(v) < 10**15) or (type(v) is str and _plain_text(v, False))
        for v in [*(v for _, v in maps), *texts, *amounts, seq]
    )
    assert (fast is not None) == plain  # the usual shape is always read fast


def test_a_run_with_refusals_is_checked_as_entry_by_entry() -> None:
    stored = _entries(
        [
            ("charge.rejected", _rejection_body()),
            ("charge.rejected", _rejection_body(verdict={"problems": ["x"]})),
            ("receipt.issued", _receipt_body()),
            ("charge.rejected", _rejection_body(waiver_ref="SK-1")),
        ]
    )
    for in_process in (True, False):
        records = check_entry_chunk((stored, in_process)).replay_records()
        for data, record in zip(stored, records, strict=True):
            value = read_entry(data)
            assert record is not None
            assert record[:3] == (value["seq"], value["kind"], value["at"])
            if value["kind"] == "charge.rejected":
                assert record[3] == value["body"]


def test_a_worker_process_imports_no_database_driver() -> None:
    code = "import sys, audit.parallel; print('sqlalchemy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert done.stdout.strip() == "False"


# -- entry bundles split where they are checked ----------------------------------------------


def _split_or_error(split: Callable[[], list[bytes]]) -> list[bytes] | str:
    try:
        return split()
    except TileError as exc:
        return str(exc)


@settings(max_examples=400, deadline=None)
@given(
    entries=st.lists(st.binary(max_size=40), max_size=8),
    width=st.integers(0, 9),
    cut=st.integers(-3, 3),
    edits=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=2),
)
def test_attack_a_tile_splits_as_the_ledger_splits_it_or_fails_alike(
    entries: list[bytes], width: int, cut: int, edits: list[tuple[int, int]]
) -> None:
    data = bytearray(encode_entry_bundle(entries))
    for where, byte in edits:
        if data:
            data[where % len(data)] = byte
    tile = bytes(data[: len(data) + cut] if cut < 0 else data + bytes(cut))
    assert _split_or_error(lambda: split_entry_bundle(tile, width)) == _split_or_error(
        lambda: decode_entry_bundle(tile, width=width)
    )


def test_a_tile_run_reports_its_first_broken_tile() -> None:
    good = encode_entry_bundle([b"a", b"bc"])
    run = TileRun([(2, good), (2, good[:-1]), (2, good)])
    entries, bad = run.split()
    assert entries == [b"a", b"bc"]
    assert bad is not None
    assert bad[0] == 1
    assert bad[1].startswith("is not an entry bundle of 2 entries: ")
    assert pickle.loads(pickle.dumps(run)).tiles == run.tiles
    checked = check_entry_chunk((run, False))
    assert checked.count == 2
    assert checked.bad_tile == bad
