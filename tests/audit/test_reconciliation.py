"""A counter-day's tally: the figures a closing must carry up to its ``last_seq``."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from audit.findings import FindingSink
from audit.reconciliation import _RECENT, DayBook, Tally
from audit.registry import Registry

#: (is_void, amount) contributions, taken in increasing seq order.
contributions = st.lists(
    st.tuples(st.booleans(), st.integers(min_value=0, max_value=2**53 - 1)), max_size=80
)


def _brute(tally_rows: list[tuple[int, bool, int]], last_seq: int) -> tuple[int, int, int, int]:
    kept = [(void, amount) for seq, void, amount in tally_rows if seq <= last_seq]
    receipts = [amount for void, amount in kept if not void]
    voids = [amount for void, amount in kept if void]
    return len(receipts), sum(receipts), len(voids), sum(voids)


@given(contributions, st.integers(min_value=0, max_value=_RECENT), st.integers(0, 5))
def test_figures_upto_take_back_the_latest_contributions_exactly(
    rows: list[tuple[bool, int]], after: int, gap: int
) -> None:
    tally = Tally()
    seqs = [10 + i * (gap + 1) for i in range(len(rows))]
    for seq, (void, amount) in zip(seqs, rows, strict=True):
        if void:
            tally.voids += 1
            tally.voided += amount
        else:
            tally.receipts += 1
            tally.gross += amount
        tally.remember(seq, void, amount)
    # A closing whose last_seq leaves out the newest ``after`` contributions (at most
    # _RECENT of them: the tally always remembers that many).
    cut = len(seqs) - min(after, len(seqs))
    last_seq = seqs[cut - 1] if cut else 0
    table = [(seq, void, amount) for seq, (void, amount) in zip(seqs, rows, strict=True)]
    assert tally.figures_upto(last_seq) == _brute(table, last_seq)
    assert len(tally.recent) <= 4 * 2 * _RECENT  # bounded, however many contributions


def test_receipts_in_a_batch_are_remembered_as_one_at_a_time() -> None:
    registry = Registry()
    one, batch = DayBook(registry, FindingSink(), 1), DayBook(registry, FindingSink(), 1)
    at = 1_735_873_200_000  # 2025-01-03 10:00 WIB
    rows = [(seq, 0, 0, at + seq, 1000 + seq, 0) for seq in range(50)]
    for seq, loket, _, when, charged, _ in rows:
        one.receipt(seq, loket, when, charged)
    batch.receipts(rows)
    (day,) = {key[1] for key in one._tallies}
    first, second = one.tally(0, day), batch.tally(0, day)
    assert first.recent == second.recent
    for last_seq in (0, 30, 40, 49):
        assert first.figures_upto(last_seq) == second.figures_upto(last_seq)
