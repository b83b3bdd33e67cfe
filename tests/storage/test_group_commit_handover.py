"""Group commit under many submitters: each waiter wakes once, the lead passes on, FIFO holds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from ledger.storage import group_commit
from ledger.storage.group_commit import GroupCommit


def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not reached in time")
        time.sleep(0.001)


def test_many_submitters_each_get_their_own_outcome_once() -> None:
    committed: list[int] = []

    def commit(batch: list[int]) -> list[int | Exception]:
        time.sleep(0.002)  # a disk flush: work piles up meanwhile
        committed.extend(batch)
        return [i * 2 for i in batch]

    group: GroupCommit[int, int] = GroupCommit(commit, batch_max=64)
    results: dict[int, int | Exception] = {}

    def submit(n: int) -> None:
        for k in range(20):
            item = n * 100 + k
            results[item] = group.submit([item])[0]

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    expected = {n * 100 + k for n in range(32) for k in range(20)}
    assert sorted(committed) == sorted(expected)  # every item committed exactly once
    assert results == {i: i * 2 for i in expected}
    group.close()


def test_the_lead_passes_to_a_waiting_submitter_when_the_leaders_items_are_done() -> None:
    leaders: list[tuple[str, list[str]]] = []
    first_started = threading.Event()
    release = threading.Event()

    def commit(batch: list[str]) -> list[str | Exception]:
        leaders.append((threading.current_thread().name, list(batch)))
        if len(leaders) == 1:
            first_started.set()
            release.wait(10)
        return [f"ok {item}" for item in batch]

    group: GroupCommit[str, str] = GroupCommit(commit, batch_max=10)
    out: dict[str, list[str | Exception]] = {}

    def submit(name: str) -> None:
        out[name] = group.submit([name])

    first = threading.Thread(target=submit, args=("a",), name="a")
    first.start()
    first_started.wait(10)
    waiting = [threading.Thread(target=submit, args=(n,), name=n) for n in ("b", "c")]
    for t in waiting:
        t.start()
    _wait_until(lambda: group.queued == 2)
    release.set()
    for t in [first, *waiting]:
        t.join(10)
    assert leaders[0] == ("a", ["a"])
    # "a" stepped down once its own item was done; a waiting submitter committed the rest.
    assert leaders[1][0] in {"b", "c"}
    assert sorted(leaders[1][1]) == ["b", "c"]
    assert out == {"a": ["ok a"], "b": ["ok b"], "c": ["ok c"]}


def test_waiters_behind_a_failing_leader_still_commit() -> None:
    calls: list[list[int]] = []
    first_started = threading.Event()
    release = threading.Event()

    def commit(batch: list[int]) -> list[int | Exception]:
        calls.append(list(batch))
        if len(calls) == 1:
            first_started.set()
            release.wait(10)
            raise RuntimeError("driver bug")
        return list(batch)

    group: GroupCommit[int, int] = GroupCommit(commit, batch_max=10)
    failures: list[BaseException] = []
    results: dict[int, list[int | Exception]] = {}

    def lead() -> None:
        try:
            group.submit([1])
        except RuntimeError as error:
            failures.append(error)

    leader = threading.Thread(target=lead)
    leader.start()
    first_started.wait(10)
    followers = [
        threading.Thread(target=lambda i=i: results.__setitem__(i, group.submit([i])))
        for i in (2, 3)
    ]
    for t in followers:
        t.start()
    _wait_until(lambda: group.queued == 2)
    release.set()
    for t in [leader, *followers]:
        t.join(10)
    assert [str(e) for e in failures] == ["driver bug"]
    assert results == {2: [2], 3: [3]}
    assert sorted(calls[1]) == [2, 3]


def test_a_submitter_of_many_items_gets_them_back_in_order() -> None:
    def commit(batch: list[int]) -> list[int | Exception]:
        return [-i if i % 3 == 0 else i for i in batch]

    group: GroupCommit[int, int] = GroupCommit(commit, batch_max=4)
    outcomes: list[list[int | Exception]] = []
    threads = [
        threading.Thread(target=lambda n=n: outcomes.append(group.submit(list(range(n, n + 10)))))
        for n in (0, 100, 200)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(outcomes) == sorted(
        [[-i if i % 3 == 0 else i for i in range(n, n + 10)] for n in (0, 100, 200)]
    )


class _InterruptedLock:
    """A waiter's lock whose wait is cut short, as Ctrl+C cuts a command's wait."""

    def __init__(self) -> None:
        self.released = threading.Event()

    def acquire(self) -> bool:
        raise KeyboardInterrupt

    def release(self) -> None:
        self.released.set()


def test_an_interrupted_waiter_is_never_handed_the_lead(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[int]] = []
    first_started = threading.Event()
    release = threading.Event()

    def commit(batch: list[int]) -> list[int | Exception]:
        calls.append(list(batch))
        if len(calls) == 1:
            first_started.set()
            release.wait(10)
        return list(batch)

    group: GroupCommit[int, int] = GroupCommit(commit, batch_max=10)
    leader = threading.Thread(target=group.submit, args=([1],))
    leader.start()
    first_started.wait(10)
    monkeypatch.setattr(group_commit, "_held_lock", _InterruptedLock)
    with pytest.raises(KeyboardInterrupt):
        group.submit([2])  # gives up waiting; item 2 stays queued
    monkeypatch.undo()
    release.set()
    leader.join(10)
    # The lead did not go to the interrupted caller: the next submitter still gets through,
    # and the abandoned item is committed with it.
    assert group.submit([3]) == [3]
    assert [2] in calls or [2, 3] in calls
    group.close()


class _InterruptedOnWake:
    """A waiter's lock whose thread is interrupted just as it is woken."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()

    def acquire(self) -> bool:
        self._lock.acquire()
        raise KeyboardInterrupt

    def release(self) -> None:
        self._lock.release()


def test_a_waiter_interrupted_as_it_is_handed_the_lead_passes_it_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[list[int]] = []
    first_started = threading.Event()
    release = threading.Event()

    def commit(batch: list[int]) -> list[int | Exception]:
        calls.append(list(batch))
        if len(calls) == 1:
            first_started.set()
            release.wait(10)
        return list(batch)

    group: GroupCommit[int, int] = GroupCommit(commit, batch_max=10)
    leader = threading.Thread(target=group.submit, args=([1],))
    leader.start()
    first_started.wait(10)
    monkeypatch.setattr(group_commit, "_held_lock", _InterruptedOnWake)
    interrupted: list[BaseException] = []

    def waiter() -> None:
        try:
            group.submit([2])
        except KeyboardInterrupt as error:
            interrupted.append(error)

    second = threading.Thread(target=waiter)
    second.start()
    _wait_until(lambda: group.queued == 1)
    monkeypatch.undo()
    release.set()  # the leader finishes [1] and hands the lead to the waiter of [2]
    for t in (leader, second):
        t.join(10)
    assert len(interrupted) == 1
    assert group.submit([3]) == [3]  # the lead was passed on, not lost
    # [2] went to the committer thread (its submitter is gone) or into the batch of [3].
    assert [item for batch in calls[1:] for item in batch] == [2, 3]
    group.close()
