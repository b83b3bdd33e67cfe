"""The streaming log verifier: an honest log passes, every tampering is found and localized."""

from __future__ import annotations

import pytest

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.encoding import ZERO_HASH, decode_entry
from ledger.errors import ChainError
from ledger.merkle import EMPTY_ROOT, leaf_hash, root_from_leaves
from ledger.note import NoteSigner
from ledger.verify import BreakKind, Finding, LogVerifier

from .logs import (
    LOG_SIGNER,
    LOG_VERIFIER,
    ORIGIN,
    OTHER_SIGNER,
    checkpoint_note,
    checkpoint_notes,
    entry,
    make_log,
    rechain,
    verify_log,
)

N = 40
LOG = make_log(N)
EVERY_FIVE = [0, 5, 10, 15, 20, 25, 30, 35, 40]
NOTES = checkpoint_notes(LOG, EVERY_FIVE)
DENSE = checkpoint_notes(LOG, range(N + 1))


def stored(entries: list[bytes]) -> list[tuple[int, bytes]]:
    return list(enumerate(entries))


def broken(
    rows: list[tuple[int, bytes]], notes: list[bytes] = NOTES, **kwargs: object
) -> ChainError:
    with pytest.raises(ChainError) as caught:
        verify_log(rows, notes, **kwargs)  # type: ignore[arg-type]
    return caught.value


def alter(data: bytes) -> bytes:
    """Change one byte of an entry while keeping it canonical: the charged amount."""
    e = decode_entry(data)
    fee = e.body["charged"]
    altered = data.replace(f'"charged":{fee}'.encode(), f'"charged":{fee + 1}'.encode())
    assert altered != data
    decode_entry(altered)
    return altered


# -- honest logs ------------------------------------------------------------------------


def test_honest_log_passes() -> None:
    report = verify_log(stored(LOG), NOTES)
    assert report.ok
    assert report.size == N
    assert report.root == root_from_leaves(leaf_hash(e) for e in LOG)
    assert report.checkpoints_verified == len(EVERY_FIVE)
    assert report.latest_checkpoint is not None
    assert report.latest_checkpoint.checkpoint.size == N
    assert report.unvouched == 0
    assert report.findings == ()


def test_honest_log_passes_with_dense_checkpoints_in_any_order() -> None:
    report = verify_log(stored(LOG), list(reversed(DENSE)))
    assert report.checkpoints_verified == N + 1


def test_entries_after_the_latest_checkpoint_are_reported_unvouched() -> None:
    report = verify_log(stored(LOG), checkpoint_notes(LOG, [10, 30]))
    assert report.ok
    assert report.unvouched == 10


def test_empty_log() -> None:
    report = verify_log([], [checkpoint_note([], 0)])
    assert report.size == 0
    assert report.root == EMPTY_ROOT
    assert report.checkpoints_verified == 1


def test_checkpoints_streamed_lazily_sorted_by_size() -> None:
    pulled: list[int] = []

    def stream() -> object:
        for size, note in zip(EVERY_FIVE, NOTES, strict=True):
            pulled.append(size)
            yield note

    verifier = LogVerifier(ORIGIN, [LOG_VERIFIER])
    verifier.expect_checkpoints(stream())  # type: ignore[arg-type]
    for seq, data in stored(LOG)[:12]:
        verifier.add_entry(seq, data)
    assert max(pulled) <= 15  # read lazily, not all at once
    for seq, data in stored(LOG)[12:]:
        verifier.add_entry(seq, data)
    assert verifier.finish().checkpoints_verified == len(EVERY_FIVE)


def test_checkpoints_added_while_entries_stream() -> None:
    verifier = LogVerifier(ORIGIN, [LOG_VERIFIER])
    for seq, data in stored(LOG):
        verifier.add_entry(seq, data)
        if seq % 7 == 0:
            verifier.add_checkpoint(checkpoint_note(LOG, seq + 1))
    report = verifier.finish()
    assert report.ok
    assert report.checkpoints_verified == len(range(0, N, 7))


def test_add_entry_returns_the_decoded_entry() -> None:
    verifier = LogVerifier(ORIGIN, [LOG_VERIFIER])
    first = verifier.add_entry(0, LOG[0])
    assert first is not None
    assert first.seq == 0
    assert first.prev == ZERO_HASH


def test_late_checkpoint_is_a_usage_error() -> None:
    verifier = LogVerifier(ORIGIN, [LOG_VERIFIER])
    for seq, data in stored(LOG):
        verifier.add_entry(seq, data)
    with pytest.raises(ValueError, match="arrived after the verifier passed that size"):
        verifier.add_checkpoint(checkpoint_note(LOG, 5))


def test_unsorted_checkpoint_stream_is_a_usage_error() -> None:
    verifier = LogVerifier(ORIGIN, [LOG_VERIFIER])
    verifier.expect_checkpoints(checkpoint_notes(LOG, [10, 5]))
    rows = stored(LOG)
    for seq, data in rows[:12]:
        verifier.add_entry(seq, data)
    with pytest.raises(ValueError, match="must be sorted by size"):
        verifier.add_entry(*rows[12])


def test_finished_verifier_refuses_more_input() -> None:
    verifier = LogVerifier(ORIGIN, [LOG_VERIFIER])
    verifier.finish()
    with pytest.raises(ValueError, match="finished"):
        verifier.add_entry(0, LOG[0])


def test_a_trusted_key_is_required() -> None:
    with pytest.raises(ValueError, match="at least one trusted log key"):
        LogVerifier(ORIGIN, [])


# -- attacks on entries -----------------------------------------------------------------


@pytest.mark.parametrize("k", [0, 1, 7, 20, 37, 38])
def test_attack_changed_byte(k: int) -> None:
    rows = stored(LOG)
    rows[k] = (k, alter(LOG[k]))
    error = broken(rows)
    assert (error.seq, error.kind) == (k, BreakKind.CHANGED)


@pytest.mark.parametrize("k", [0, 13, 39])
def test_attack_changed_byte_without_checkpoints_is_found_by_the_chain(k: int) -> None:
    rows = stored(LOG)
    rows[k] = (k, alter(LOG[k]))
    if k == N - 1:
        # The last entry has no successor: only a checkpoint can vouch for it.
        assert verify_log(rows, []).ok
        return
    error = broken(rows, [])
    assert (error.seq, error.kind) == (k, BreakKind.CHANGED)


def test_attack_changed_last_entry_is_found_by_its_checkpoint() -> None:
    rows = stored(LOG)
    rows[N - 1] = (N - 1, alter(LOG[N - 1]))
    error = broken(rows, DENSE)
    assert (error.seq, error.kind) == (N - 1, BreakKind.CHANGED)
    error = broken(rows, NOTES)
    assert (error.seq, error.kind) == (35, BreakKind.ROOT_MISMATCH)
    assert "entries 35..39" in error.detail


@pytest.mark.parametrize("k", [0, 12, 38])
def test_attack_changed_byte_breaking_canonical_form(k: int) -> None:
    rows = stored(LOG)
    rows[k] = (k, LOG[k].replace(b'"at":', b'"at": '))
    error = broken(rows)
    assert (error.seq, error.kind) == (k, BreakKind.NON_CANONICAL)


def test_attack_changed_prev_field() -> None:
    rows = stored(LOG)
    e = decode_entry(LOG[9])
    rows[9] = (9, entry(9, bytes(31) + b"\x01", charged=e.body["charged"]))
    error = broken(rows)
    assert (error.seq, error.kind) == (9, BreakKind.CHANGED)


def test_attack_changed_seq_field() -> None:
    rows = stored(LOG)
    rows[9] = (9, LOG[9].replace(b'"seq":9}', b'"seq":90}'))
    error = broken(rows)
    assert (error.seq, error.kind) == (9, BreakKind.CHANGED)


@pytest.mark.parametrize("k", [1, 14, 30])
def test_attack_deleted_entry(k: int) -> None:
    rows = stored(LOG)
    del rows[k]
    error = broken(rows)
    assert (error.seq, error.kind) == (k, BreakKind.MISSING)


def test_attack_deleted_entries_with_renumbered_rows() -> None:
    remaining = LOG[:14] + LOG[17:]
    error = broken(stored(remaining))
    assert (error.seq, error.kind) == (14, BreakKind.MISSING)
    assert "entries 14..16 are missing" in error.detail


def test_attack_deleted_first_entry() -> None:
    error = broken(stored(LOG[1:]))
    assert (error.seq, error.kind) == (0, BreakKind.MISSING)


@pytest.mark.parametrize("k", [1, 14, 33])
def test_attack_inserted_entry_that_links_to_its_predecessor(k: int) -> None:
    forged = entry(k, leaf_hash(LOG[k - 1]), charged=1)
    error = broken(stored([*LOG[:k], forged, *LOG[k:]]))
    assert (error.seq, error.kind) == (k, BreakKind.INSERTED)


def test_attack_inserted_entry_after_the_original() -> None:
    k = 14
    forged = entry(k, leaf_hash(LOG[k - 1]), charged=1)
    error = broken(stored([*LOG[: k + 1], forged, *LOG[k + 1 :]]))
    assert (error.seq, error.kind) == (k + 1, BreakKind.INSERTED)


def test_attack_inserted_entry_with_a_copied_seq() -> None:
    forged = entry(21, ZERO_HASH[:-1] + b"\x07", charged=1)
    error = broken(stored([*LOG[:22], forged, *LOG[22:]]))
    assert (error.seq, error.kind) == (22, BreakKind.INSERTED)


def test_attack_duplicated_row() -> None:
    rows = stored(LOG)
    rows.insert(11, (10, LOG[10]))
    error = broken(rows)
    assert (error.seq, error.kind) == (11, BreakKind.INSERTED)


def test_attack_inserted_entry_at_the_end_is_unvouched() -> None:
    forged = entry(N, leaf_hash(LOG[-1]), charged=1)
    report = verify_log(stored([*LOG, forged]), NOTES)
    assert report.ok
    assert report.unvouched == 1


@pytest.mark.parametrize("k", [0, 10, 38])
def test_attack_swapped_entries(k: int) -> None:
    swapped = list(LOG)
    swapped[k], swapped[k + 1] = swapped[k + 1], swapped[k]
    error = broken(stored(swapped))
    assert (error.seq, error.kind) == (k, BreakKind.REORDERED)


def test_attack_entry_moved_two_places_later() -> None:
    moved = [*LOG[:10], LOG[11], LOG[12], LOG[10], *LOG[13:]]
    error = broken(stored(moved))
    assert (error.seq, error.kind) == (10, BreakKind.REORDERED)


def test_attack_renumbered_seq_column() -> None:
    rows = stored(LOG)
    rows = [*rows[:20], *((s + 1, d) for s, d in rows[20:])]
    error = broken(rows)
    assert (error.seq, error.kind) == (20, BreakKind.MISNUMBERED)


@pytest.mark.parametrize("cut", [39, 33, 20, 1, 0])
def test_attack_truncated_log(cut: int) -> None:
    error = broken(stored(LOG[:cut]))
    assert (error.seq, error.kind) == (cut, BreakKind.TRUNCATED)
    assert "signed for size 40" in error.detail


def test_attack_rewritten_and_rechained_history() -> None:
    rows = stored(rechain([*LOG[:17], alter(LOG[17]), *LOG[18:]], 18))
    error = broken(rows)
    assert (error.seq, error.kind) == (15, BreakKind.ROOT_MISMATCH)
    assert "entries 15..19" in error.detail
    error = broken(rows, DENSE)
    assert (error.seq, error.kind) == (17, BreakKind.CHANGED)


# -- attacks on checkpoints -------------------------------------------------------------


def test_attack_forged_checkpoint_signature() -> None:
    notes = list(NOTES)
    cp = notes[4]  # size 20
    head, sig = cp.rsplit(b" ", 1)
    raw = bytearray(sig)
    raw[10] = ord("A") if raw[10] != ord("A") else ord("B")
    notes[4] = head + b" " + bytes(raw)
    error = broken(stored(LOG), notes)
    assert (error.seq, error.kind) == (19, BreakKind.BAD_SIGNATURE)


def test_attack_checkpoint_with_a_forged_root() -> None:
    # A genuine signature (of the size-20 checkpoint) put under a forged body.
    forged = Checkpoint(ORIGIN, 20, root_from_leaves([leaf_hash(b"palsu")])).to_text()
    genuine_signature = NOTES[4].split(b"\n\n")[1]
    note = forged.encode() + b"\n" + genuine_signature
    error = broken(stored(LOG), [*NOTES[:4], note, *NOTES[5:]])
    assert (error.seq, error.kind) == (19, BreakKind.BAD_SIGNATURE)


def test_attack_checkpoint_by_unknown_key() -> None:
    rogue = checkpoint_note(LOG, 25, signer=OTHER_SIGNER)
    error = broken(stored(LOG), [*NOTES, rogue])
    assert (error.seq, error.kind) == (24, BreakKind.UNKNOWN_KEY)


def test_attack_checkpoint_of_another_origin() -> None:
    other = NoteSigner("lain.example/log", bytes(range(32)))
    note = checkpoint_note(LOG, 25, signer=other, origin="lain.example/log")
    error = broken(stored(LOG), [*NOTES, note], verifiers=(LOG_VERIFIER, other.verifier()))
    assert (error.seq, error.kind) == (24, BreakKind.BAD_CHECKPOINT)


def test_attack_unparseable_checkpoint() -> None:
    with pytest.raises(ChainError) as caught:
        LogVerifier(ORIGIN, [LOG_VERIFIER], checkpoints=[b"bukan checkpoint"])
    assert (caught.value.seq, caught.value.kind) == (0, BreakKind.BAD_CHECKPOINT)


def test_attack_log_signed_two_inconsistent_checkpoints() -> None:
    fork = sign_checkpoint(
        Checkpoint(ORIGIN, 20, root_from_leaves([leaf_hash(b"cabang")])), LOG_SIGNER
    ).note
    for notes in ([*NOTES, fork], [fork, *NOTES]):
        error = broken(stored(LOG), notes)
        assert (error.seq, error.kind) == (19, BreakKind.ROOT_MISMATCH)
        assert "disagree" in error.detail


def test_attack_checkpoint_root_for_a_different_log_of_the_same_size() -> None:
    other = make_log(N)
    other[3] = alter(other[3])
    note = checkpoint_note(rechain(other, 4), 10)
    error = broken(stored(LOG), [*NOTES[:1], note])
    assert (error.seq, error.kind) == (0, BreakKind.ROOT_MISMATCH)


def test_attack_forged_checkpoint_beyond_the_log_is_not_truncation() -> None:
    rogue = checkpoint_note(make_log(50), 50, signer=OTHER_SIGNER)
    error = broken(stored(LOG), [*NOTES, rogue])
    assert (error.seq, error.kind) == (49, BreakKind.UNKNOWN_KEY)


# -- ordering and collection ------------------------------------------------------------


def test_first_break_wins() -> None:
    rows = stored(LOG)
    rows[30] = (30, alter(LOG[30]))
    rows[8] = (8, alter(LOG[8]))
    del rows[20]
    error = broken(rows)
    assert (error.seq, error.kind) == (8, BreakKind.CHANGED)


def test_entry_break_before_a_later_bad_signature_comes_first() -> None:
    rogue = checkpoint_note(LOG, 30, signer=OTHER_SIGNER)
    rows = stored(LOG)
    rows[12] = (12, alter(LOG[12]))
    error = broken(rows, [*NOTES, rogue])
    assert (error.seq, error.kind) == (12, BreakKind.CHANGED)


def test_collect_mode_records_findings_without_raising() -> None:
    rows = stored(LOG)
    rows[8] = (8, alter(LOG[8]))
    del rows[30]
    rows[3] = (3, b"{not json")
    rogue = checkpoint_note(LOG, 2, signer=OTHER_SIGNER)
    report = verify_log(rows, [*NOTES, rogue], collect=True)
    assert not report.ok
    kinds = [(f.seq, f.kind) for f in report.findings]
    assert kinds[:3] == [
        (1, BreakKind.UNKNOWN_KEY),
        (3, BreakKind.NON_CANONICAL),
        (8, BreakKind.CHANGED),
    ]
    assert (30, BreakKind.MISSING) in kinds
    assert all(isinstance(f, Finding) for f in report.findings)
    assert report.findings[0].to_error().kind == BreakKind.UNKNOWN_KEY


def test_collect_mode_returns_none_for_undecodable_entries() -> None:
    verifier = LogVerifier(ORIGIN, [LOG_VERIFIER], collect=True)
    assert verifier.add_entry(0, b"\xff") is None
    report = verifier.finish()
    assert [(f.seq, f.kind) for f in report.findings] == [(0, BreakKind.NON_CANONICAL)]


def test_chain_error_carries_seq_kind_and_detail() -> None:
    error = broken(stored(LOG[:5]))
    assert str(error) == f"seq 5: truncated: {error.detail}"
    assert error.kind == "truncated"


def test_collect_mode_reports_a_swap_once() -> None:
    swapped = list(LOG)
    swapped[10], swapped[11] = swapped[11], swapped[10]
    report = verify_log(stored(swapped), [], collect=True)
    assert [(f.seq, f.kind) for f in report.findings] == [(10, BreakKind.REORDERED)]


def test_collect_mode_resumes_after_a_break_and_finds_the_next() -> None:
    rows = stored(LOG)
    rows[8] = (8, alter(LOG[8]))
    rows[30] = (30, alter(LOG[30]))
    report = verify_log(rows, [], collect=True)
    assert [(f.seq, f.kind) for f in report.findings] == [
        (8, BreakKind.CHANGED),
        (30, BreakKind.CHANGED),
    ]
    assert report.size == N


def test_attack_checkpoint_for_the_empty_log_with_a_wrong_root() -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 0, leaf_hash(b"")), LOG_SIGNER).note
    error = broken(stored(LOG), [note])
    assert (error.seq, error.kind) == (0, BreakKind.ROOT_MISMATCH)
    assert "empty" in error.detail


def test_attack_inconsistent_checkpoint_added_after_a_matching_one() -> None:
    verifier = LogVerifier(ORIGIN, [LOG_VERIFIER])
    for seq, data in stored(LOG):
        verifier.add_entry(seq, data)
    verifier.add_checkpoint(checkpoint_note(LOG, 37))
    fork = sign_checkpoint(Checkpoint(ORIGIN, 37, leaf_hash(b"cabang")), LOG_SIGNER).note
    with pytest.raises(ChainError) as caught:
        verifier.add_checkpoint(fork)
    assert (caught.value.seq, caught.value.kind) == (36, BreakKind.ROOT_MISMATCH)
