"""``LogVerifier.add_entries`` (the bulk path) reaches exactly the verdicts of ``add_entry``.

Every tampering the per-entry tests cover is replayed through both paths, with chunk sizes
that put chunk boundaries everywhere, in both modes (raise on the first break, collect all
breaks); then the quick canonical check is attacked directly with bytes that
``decode_entry`` refuses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import verify
from ledger.encoding import ZERO_HASH, Entry, decode_entry, encode_entry
from ledger.errors import ChainError, EncodingError
from ledger.merkle import leaf_hash
from ledger.verify import LogReport, LogVerifier

from .logs import LOG_VERIFIER, ORIGIN, OTHER_SIGNER, checkpoint_note, entry, make_log, rechain

N = 40
LOG = make_log(N)
EVERY_FIVE = [0, 5, 10, 15, 20, 25, 30, 35, 40]
CHUNKS = [1, 2, 3, 4, 5, 7, 16, 1024]

Rows = list[tuple[int, bytes]]


def stored(entries: Sequence[bytes]) -> Rows:
    return list(enumerate(entries))


def alter(data: bytes) -> bytes:
    e = decode_entry(data)
    fee = e.body["charged"]
    return data.replace(f'"charged":{fee}'.encode(), f'"charged":{fee + 1}'.encode())


def notes_for(entries: Sequence[bytes], sizes: Sequence[int]) -> list[bytes]:
    return [checkpoint_note(entries, s) for s in sizes]


@dataclass(frozen=True)
class Scenario:
    name: str
    rows: Rows
    notes: list[bytes]


def scenarios() -> Iterator[Scenario]:
    notes = notes_for(LOG, EVERY_FIVE)
    dense = notes_for(LOG, range(N + 1))
    yield Scenario("honest", stored(LOG), notes)
    yield Scenario("honest, dense checkpoints", stored(LOG), dense)
    yield Scenario("honest, no checkpoints", stored(LOG), [])
    yield Scenario("empty", [], notes_for([], [0]))
    for k in (0, 1, 7, 20, 38, 39):
        rows = stored(LOG)
        rows[k] = (k, alter(LOG[k]))
        yield Scenario(f"changed byte at {k}", rows, notes)
        yield Scenario(f"changed byte at {k}, dense", rows, dense)
        yield Scenario(f"changed byte at {k}, no checkpoints", rows, [])
        rows = stored(LOG)
        rows[k] = (k, LOG[k].replace(b'"at":', b'"at": '))
        yield Scenario(f"non-canonical at {k}", rows, notes)
    rows = stored(LOG)
    rows[9] = (9, entry(9, bytes(31) + b"\x01", charged=decode_entry(LOG[9]).body["charged"]))
    yield Scenario("changed prev", rows, notes)
    rows = stored(LOG)
    rows[9] = (9, LOG[9].replace(b'"seq":9}', b'"seq":90}'))
    yield Scenario("changed seq field", rows, notes)
    for k in (1, 14, 30):
        rows = stored(LOG)
        del rows[k]
        yield Scenario(f"deleted {k}", rows, notes)
        forged = entry(k, leaf_hash(LOG[k - 1]), charged=1)
        yield Scenario(f"inserted at {k}", stored([*LOG[:k], forged, *LOG[k:]]), notes)
    yield Scenario("deleted and renumbered", stored(LOG[:14] + LOG[17:]), notes)
    yield Scenario("deleted first", stored(LOG[1:]), notes)
    forged = entry(21, ZERO_HASH[:-1] + b"\x07", charged=1)
    yield Scenario("copied seq", stored([*LOG[:22], forged, *LOG[22:]]), notes)
    rows = stored(LOG)
    rows.insert(11, (10, LOG[10]))
    yield Scenario("duplicated row", rows, notes)
    for k in (0, 10, 38):
        swapped = list(LOG)
        swapped[k], swapped[k + 1] = swapped[k + 1], swapped[k]
        yield Scenario(f"swapped at {k}", stored(swapped), notes)
    yield Scenario(
        "moved two later", stored([*LOG[:10], LOG[11], LOG[12], LOG[10], *LOG[13:]]), notes
    )
    rows = stored(LOG)
    yield Scenario("renumbered column", [*rows[:20], *((s + 1, d) for s, d in rows[20:])], notes)
    for cut in (39, 33, 20, 1, 0):
        yield Scenario(f"truncated at {cut}", stored(LOG[:cut]), notes)
    rechained = stored(rechain([*LOG[:17], alter(LOG[17]), *LOG[18:]], 18))
    yield Scenario("rewritten and rechained", rechained, notes)
    yield Scenario("rewritten and rechained, dense", rechained, dense)
    forged_note = notes[3][:-20] + b"A" * 19 + b"\n"
    yield Scenario("forged signature", stored(LOG), [*notes[:3], forged_note, *notes[4:]])
    other = checkpoint_note(LOG, 25, signer=OTHER_SIGNER)
    yield Scenario("unknown key", stored(LOG), [*notes, other])
    yield Scenario("garbage checkpoint", stored(LOG), [*notes, b"not a note"])
    wrong = checkpoint_note(make_log(N + 3)[3:], 20)
    yield Scenario("root of another log", stored(LOG), [*notes, wrong])
    yield Scenario("checkpoint beyond the log", stored(LOG[:30]), notes)


SCENARIOS = list(scenarios())


def _outcome(run: Callable[[], LogReport]) -> object:
    try:
        report = run()
    except ChainError as error:
        return ("raised", error.seq, error.kind, error.detail)
    return report


def _run(scenario: Scenario, *, bulk: bool, collect: bool, stream: bool) -> object:
    def run() -> LogReport:
        verifier = LogVerifier(
            ORIGIN,
            [LOG_VERIFIER],
            checkpoints=() if stream else scenario.notes,
            collect=collect,
        )
        if stream:
            verifier.expect_checkpoints(sorted(scenario.notes, key=_size_or_zero))
        if bulk:
            verifier.add_entries(scenario.rows)
        else:
            for seq, data in scenario.rows:
                verifier.add_entry(seq, data)
        return verifier.finish()

    return _outcome(run)


def _size_or_zero(note: bytes) -> int:
    try:
        return int(note.split(b"\n")[1])
    except (IndexError, ValueError):
        return 0


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
@pytest.mark.parametrize("collect", [False, True], ids=["raise", "collect"])
def test_attack_bulk_verdicts_equal_per_entry_verdicts(
    scenario: Scenario, collect: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _run(scenario, bulk=False, collect=collect, stream=False)
    for chunk in CHUNKS:
        monkeypatch.setattr(verify, "_CHUNK", chunk)
        assert _run(scenario, bulk=True, collect=collect, stream=False) == expected, chunk


@pytest.mark.parametrize(
    "scenario",
    [s for s in SCENARIOS if "garbage" not in s.name],
    ids=[s.name for s in SCENARIOS if "garbage" not in s.name],
)
def test_attack_bulk_verdicts_equal_with_streamed_checkpoints(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _run(scenario, bulk=False, collect=True, stream=True)
    for chunk in (1, 3, 16):
        monkeypatch.setattr(verify, "_CHUNK", chunk)
        assert _run(scenario, bulk=True, collect=True, stream=True) == expected, chunk


def test_bulk_and_single_entries_mix() -> None:
    notes = notes_for(LOG, EVERY_FIVE)
    verifier = LogVerifier(ORIGIN, [LOG_VERIFIER], checkpoints=notes)
    verifier.add_entries(stored(LOG[:13]))
    assert verifier.add_entry(13, LOG[13]) == decode_entry(LOG[13])
    verifier.add_entries((seq, data) for seq, data in stored(LOG) if seq > 13)
    report = verifier.finish()
    assert report.ok
    assert (report.size, report.checkpoints_verified) == (N, len(notes))


def test_checkpoints_added_between_bulk_calls_are_checked() -> None:
    verifier = LogVerifier(ORIGIN, [LOG_VERIFIER])
    verifier.add_entries(stored(LOG[:10]))
    verifier.add_checkpoint(checkpoint_note(LOG, 10))
    verifier.add_checkpoint(checkpoint_note(LOG, 25))
    verifier.add_entries((s, d) for s, d in stored(LOG) if s >= 10)
    assert verifier.finish().checkpoints_verified == 2


def test_bulk_path_refuses_a_late_checkpoint_like_add_entry() -> None:
    verifier = LogVerifier(ORIGIN, [LOG_VERIFIER])
    verifier.add_entries(stored(LOG[:10]))
    with pytest.raises(ValueError, match="arrived after"):
        verifier.add_checkpoint(checkpoint_note(LOG, 5))


def test_unsorted_stream_is_refused_on_the_bulk_path_too() -> None:
    verifier = LogVerifier(ORIGIN, [LOG_VERIFIER])
    verifier.expect_checkpoints(notes_for(LOG, [10, 5]))
    with pytest.raises(ValueError, match="sorted by size"):
        verifier.add_entries(stored(LOG))


# -- the quick canonical check never accepts what decode_entry refuses ------------------------


_HEX64 = re.compile("[0-9a-f]{64}")


def _accepted(found: tuple[int, str] | None) -> bool:
    """Whether the verifier would take the quick verdict: it compares ``prev`` with a leaf
    hash's lowercase hex, so only a well-formed ``prev`` can ever match."""
    return found is not None and _HEX64.fullmatch(found[1]) is not None


def _quick(data: bytes) -> tuple[int, str] | None:
    return verify._canonical_fields([data])[0]


def _agrees(data: bytes) -> None:
    """If the quick check accepts ``data``, ``decode_entry`` accepts it with the same fields."""
    for batch in ([data], [LOG[0], data, LOG[1]]):
        found = verify._canonical_fields(batch)[len(batch) // 2]
        if not _accepted(found):
            continue
        e = decode_entry(data)
        assert found == (e.seq, e.prev.hex())


GOOD = LOG[5]
TAMPERED = [
    GOOD.replace(b'"at":', b'"at": '),  # whitespace
    GOOD.replace(b'{"at"', b'{"at":1,"at"'),  # duplicate key
    GOOD.replace(b'"charged":12500', b'"charged":12500.0'),  # float
    GOOD.replace(b'"charged":12500', b'"charged":1.25e4'),  # exponent
    GOOD.replace(b'"charged":12500', b'"charged":NaN'),
    GOOD.replace(b'"charged":12500', b'"charged":null'),
    GOOD.replace(b'"charged":12500', b'"charged":9007199254740993'),  # beyond 2**53 - 1
    GOOD.replace(b'"charged":12500', b'"charged":-0'),
    GOOD.replace(b'"charged":12500', b'"charged":012500'),
    GOOD.replace(b'"counter":"L01"', b'"counter":"L\\u0030"'),  # needless escape
    GOOD.replace(b'"counter":"L01"', b'"counter":"L\\/1"'),
    GOOD.replace(b'"counter":"L01"', b'"counter":"L\\ud800"'),  # lone surrogate
    GOOD.replace(b'"counter":"L01"', b'"counter":"L\x01"'),  # raw control character
    GOOD.replace(b'"office"', '"\U0001f600"'.encode()),  # key beyond the BMP, misordered
    GOOD.replace(b'"seq":5}', b'"seq":true}'),
    GOOD.replace(b'"seq":5}', b'"seq":-5}'),
    GOOD.replace(b'"at":', b'"at":-'),
    GOOD.replace(b'"kind":"receipt.issued"', b'"kind":"receipt.forged"'),
    GOOD.replace(b'"kind":"receipt.issued"', b'"kind":["receipt.issued"]'),
    GOOD.replace(b'"body":{', b'"body":[{').replace(b',"kind"', b'],"kind"'),
    GOOD.replace(b'"prev":"', b'"prev":"A'),
    GOOD.replace(b',"seq":5}', b',"seq":5,"zz":1}'),  # extra field
    GOOD.replace(b'"at":', b'"xt":'),  # missing field
    b"\xef\xbb\xbf" + GOOD,  # byte-order mark
    GOOD + b" ",
    b" " + GOOD,
    GOOD + b"\n",
    GOOD[:-1],
    b"[" + GOOD + b"]",
    b"",
    b"{}",
    GOOD.replace(b'"counter":"L01"', b'"counter":"L01' + b"\xff" + b'"'),  # not UTF-8
]


@pytest.mark.parametrize("data", TAMPERED, ids=range(len(TAMPERED)))
def test_attack_tampered_bytes_are_left_to_decode_entry(data: bytes) -> None:
    assert not _accepted(_quick(data))
    with pytest.raises(EncodingError):
        decode_entry(data)


def test_attack_deep_nesting_is_left_to_decode_entry() -> None:
    body: dict[str, object] = {}
    inner = body
    for _ in range(40):
        inner["x"] = {}
        inner = inner["x"]  # type: ignore[assignment]
    data = json.dumps(
        {"at": 1, "body": body, "kind": "office.added", "prev": "0" * 64, "seq": 0},
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    assert not _accepted(_quick(data))
    with pytest.raises(EncodingError):
        decode_entry(data)


def test_valid_but_unusual_entries_are_left_to_decode_entry() -> None:
    """Characters beyond the BMP are valid, but their key order is RFC 8785's to judge."""
    value = '"counter":"L\U0001f600"'.encode()
    data = GOOD.replace(b'"counter":"L01"', value)
    assert _quick(data) is None
    assert decode_entry(data).body["counter"] == "L\U0001f600"


def test_attack_entry_zero_with_a_nonzero_prev_is_left_to_decode_entry() -> None:
    """A forged first entry that links to something: canonical bytes, but ``decode_entry``
    refuses entry 0 with a ``prev`` other than the zero hash, so the quick check must not
    report its fields either (found by the property test below)."""
    data = encode_entry(Entry(7, "complaint.filed", 1, leaf_hash(b"x"), {"a": 1}))
    forged = data.replace(b'"seq":7', b'"seq":0')
    assert _quick(forged) is None
    with pytest.raises(EncodingError):
        decode_entry(forged)
    honest = encode_entry(Entry(0, "complaint.filed", 1, ZERO_HASH, {"a": 1}))
    assert _quick(honest) == (0, ZERO_HASH.hex())


def test_attack_entries_that_only_parse_when_joined() -> None:
    """Rows that are not entries, but joined with commas read as a list of as many
    canonical entries as there are rows: the first row ends inside a list that the second
    closes, and the third holds two entries. Parsing the chunk as one list would take them;
    the quick check parses each row alone and leaves all three to ``decode_entry``."""
    a, b, c, d = LOG[0], LOG[1], LOG[2], LOG[3]
    cut = a.index(b'"inputs":{') + len(b'"inputs":{')
    host = a[:cut] + b'"list":[1,' + b + b"]," + a[cut:]
    decode_entry(host)  # canonical: an entry whose body holds another entry
    split = host.index(b"," + b)
    rows = [host[:split], host[split + 1 :], c + b"," + d]
    joined = b"[" + b",".join(rows) + b"]"
    compact = [json.dumps(v, sort_keys=True, separators=(",", ":")) for v in json.loads(joined)]
    assert [v.encode() for v in compact] == [host, c, d]  # the joined chunk looks honest
    fields = verify._canonical_fields(rows)
    assert not any(_accepted(found) for found in fields)
    for row in rows:
        with pytest.raises(EncodingError):
            decode_entry(row)


@settings(max_examples=300, deadline=None)
@given(
    seq=st.integers(0, 2**53 - 1),
    at=st.integers(0, 2**53 - 1),
    body=st.dictionaries(
        st.text(max_size=6),
        st.one_of(
            st.integers(-(2**53) + 1, 2**53 - 1),
            st.text(max_size=12),
            st.booleans(),
            st.lists(st.integers(-5, 5), max_size=3),
        ),
        max_size=5,
    ),
)
def test_quick_check_agrees_with_decode_entry_on_valid_entries(
    seq: int, at: int, body: dict[str, object]
) -> None:
    prev = ZERO_HASH if seq == 0 else leaf_hash(b"%d" % seq)
    data = encode_entry(Entry(seq, "complaint.filed", at, prev, body))
    _agrees(data)
    if data.isascii() and b"null" not in data and len(str(max(seq, at))) < 16:
        ascii_keys = all(key.isascii() for key in body)
        small = all(not isinstance(v, int) or abs(v) < 10**15 for v in body.values())
        if ascii_keys and small:
            assert _quick(data) == (seq, prev.hex())  # the common case takes the quick path


@settings(max_examples=500, deadline=None)
@given(
    position=st.integers(0, len(GOOD)),
    cut=st.integers(0, 4),
    insert=st.binary(max_size=4) | st.sampled_from([b" ", b'"', b"\\", b"{", b"]", b",", b"0"]),
)
def test_attack_mutated_bytes_never_pass_the_quick_check_wrongly(
    position: int, cut: int, insert: bytes
) -> None:
    data = GOOD[:position] + insert + GOOD[position + cut :]
    _agrees(data)


def test_an_honest_log_takes_the_quick_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """No entry of an honest log is decoded one by one: the bulk path really runs."""
    calls: list[bytes] = []

    def counting(data: bytes) -> Entry:
        calls.append(data)
        return decode_entry(data)

    monkeypatch.setattr(verify, "decode_entry", counting)
    verifier = LogVerifier(ORIGIN, [LOG_VERIFIER], checkpoints=notes_for(LOG, EVERY_FIVE))
    verifier.add_entries(stored(LOG))
    assert verifier.finish().checkpoints_verified == len(EVERY_FIVE)
    assert calls == []
