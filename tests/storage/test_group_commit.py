"""Group commit in isolation: one leader, FIFO batches, outcomes to the right callers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from ledger.storage import AppendError, StoreClosedError
from ledger.storage.group_commit import GroupCommit


def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not reached in time")
        time.sleep(0.001)


def test_waiting_callers_share_the_next_commit_in_order() -> None:
    batches: list[list[int]] = []
    first_commit_started = threading.Event()
    release = threading.Event()

    def commit(batch: list[int]) -> list[str | Exception]:
        batches.append(list(batch))
        if len(batches) == 1:
            first_commit_started.set()
            release.wait(10)
        return [f"done {i}" if i % 5 else ValueError(f"refused {i}") for i in batch]

    group: GroupCommit[int, str] = GroupCommit(commit, batch_max=100)
    results: dict[int, str | Exception] = {}

    def submit(i: int) -> None:
        results[i] = group.submit([i])[0]

    leader = threading.Thread(target=submit, args=(1,))
    leader.start()
    first_commit_started.wait(10)
    followers = [threading.Thread(target=submit, args=(i,)) for i in range(2, 12)]
    for t in followers:
        t.start()
    _wait_until(lambda: group.queued == 10)  # all queued while the leader commits
    release.set()
    for t in [leader, *followers]:
        t.join()

    assert batches[0] == [1]
    assert sorted(batches[1]) == list(range(2, 12))  # ONE commit for everyone who waited
    assert len(batches) == 2
    assert results[3] == "done 3"
    assert isinstance(results[5], ValueError)  # each caller gets its own outcome
    assert isinstance(results[10], ValueError)


def test_batches_never_exceed_batch_max_and_keep_fifo_order() -> None:
    batches: list[list[int]] = []

    def commit(batch: list[int]) -> list[int | Exception]:
        batches.append(list(batch))
        return [i * 10 for i in batch]

    group: GroupCommit[int, int] = GroupCommit(commit, batch_max=3)
    assert group.submit(list(range(8))) == [i * 10 for i in range(8)]
    assert batches == [[0, 1, 2], [3, 4, 5], [6, 7]]
    assert group.submit([]) == []


def test_a_crashing_commit_fails_its_batch_and_the_queue_moves_on() -> None:
    calls = 0

    def commit(batch: list[int]) -> list[int | Exception]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("driver bug")
        return list(batch)

    group: GroupCommit[int, int] = GroupCommit(commit, batch_max=2)
    with pytest.raises(RuntimeError, match="driver bug"):
        group.submit([1, 2])
    assert group.submit([3]) == [3]


def test_close_waits_for_queued_work_then_refuses() -> None:
    release = threading.Event()
    started = threading.Event()

    def commit(batch: list[int]) -> list[int | Exception]:
        started.set()
        release.wait(10)
        return list(batch)

    group: GroupCommit[int, int] = GroupCommit(commit, batch_max=10)
    out: list[list[int | Exception]] = []
    worker = threading.Thread(target=lambda: out.append(group.submit([7])))
    worker.start()
    started.wait(10)
    closer = threading.Thread(target=group.close)
    closer.start()
    time.sleep(0.01)
    assert closer.is_alive()  # still waiting for the commit in flight
    release.set()
    closer.join(10)
    worker.join(10)
    assert out == [[7]]
    with pytest.raises(StoreClosedError):
        group.submit([8])


def test_batch_wait_lingers_for_a_fuller_batch() -> None:
    batches: list[list[int]] = []

    def commit(batch: list[int]) -> list[int | Exception]:
        batches.append(list(batch))
        return list(batch)

    group: GroupCommit[int, int] = GroupCommit(commit, batch_max=4, batch_wait_s=5.0)
    threads = [threading.Thread(target=group.submit, args=([i],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    # A full batch ends the linger at once; all four share one commit.
    assert [sorted(b) for b in batches] == [[0, 1, 2, 3]]


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="batch_max"):
        GroupCommit(list, batch_max=0)
    with pytest.raises(ValueError, match="negative"):
        GroupCommit(list, batch_max=1, batch_wait_s=-1)


def test_outcome_count_mismatch_is_an_append_error() -> None:
    group: GroupCommit[int, int] = GroupCommit(lambda b: [], batch_max=4)
    with pytest.raises(AppendError, match="0 outcomes for 2"):
        group.submit([1, 2])
