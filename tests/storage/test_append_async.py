"""Appending from coroutines, and the batch observer that sees each batch from inside.

``LogStore.append_async`` queues into the same group commit as threads do; its batches
are committed by the store's committer thread and the event loop never blocks. A
``BatchObserver`` is told of every batch inside its transaction (with the committed size)
and of every entry appended, and learns whether the batch committed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest
from sqlalchemy import Connection

from ledger.note import NoteVerifier
from ledger.storage import (
    AppendContext,
    AppendedEntry,
    AppendError,
    AppendRequest,
    LogStore,
    StoreClosedError,
)
from ledger.storage.group_commit import GroupCommit
from tests.conftest import FixedClock, run_async

from .helpers import verify_store


def office(i: int, at: int) -> AppendRequest:
    return AppendRequest("office.added", at, {"code": f"32.16.{i:02d}", "name": f"Kantor {i}"})


class Recorder:
    """A batch observer that writes down what it is told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int | bool]] = []
        self.threads: set[str] = set()
        self.fail_start = False

    def batch_started(self, conn: Connection, size: int) -> None:
        self.threads.add(threading.current_thread().name)
        if self.fail_start:
            raise RuntimeError("observer refused the batch")
        self.events.append(("started", size))

    def entry_appended(self, entry: AppendedEntry) -> None:
        self.events.append(("appended", entry.seq))

    def batch_ended(self, committed: bool) -> None:
        self.events.append(("ended", committed))


def test_coroutines_append_without_blocking_the_loop(
    log_store: LogStore, fixed_clock: FixedClock, log_verifier: NoteVerifier
) -> None:
    async def main() -> tuple[list[AppendedEntry], int]:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:  # runs only while the loop is free
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0)

        tick_task = asyncio.create_task(ticker())
        entries = await asyncio.gather(
            *(log_store.append_async(office(i, fixed_clock.advance(1))) for i in range(40))
        )
        done.set()
        await tick_task
        return list(entries), ticks

    entries, ticks = run_async(main)
    assert sorted(e.seq for e in entries) == list(range(40))
    assert ticks > 0
    assert log_store.size() == 40
    verify_store(log_store, log_verifier)


def test_threads_and_coroutines_share_one_queue(
    log_store: LogStore, fixed_clock: FixedClock, log_verifier: NoteVerifier
) -> None:
    at = fixed_clock()
    thread_seqs: list[int] = []

    def from_thread(i: int) -> None:
        thread_seqs.append(log_store.append(office(100 + i, at)).seq)

    async def main() -> list[AppendedEntry]:
        threads = [threading.Thread(target=from_thread, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        entries = await asyncio.gather(*(log_store.append_async(office(i, at)) for i in range(24)))
        for t in threads:
            t.join(30)
        return list(entries)

    entries = run_async(main)
    assert sorted([e.seq for e in entries] + thread_seqs) == list(range(32))
    verify_store(log_store, log_verifier)


def test_a_failing_request_fails_only_its_coroutine(
    log_store: LogStore, fixed_clock: FixedClock
) -> None:
    def refuse(_ctx: AppendContext) -> dict[str, str]:
        raise ValueError("no such counter")

    async def main() -> list[AppendedEntry | BaseException]:
        at = fixed_clock()
        bad = AppendRequest("office.added", at, refuse)
        return await asyncio.gather(
            log_store.append_async(office(1, at)),
            log_store.append_async(bad),
            log_store.append_async(office(2, at)),
            return_exceptions=True,
        )

    first, failed, last = run_async(main)
    assert isinstance(failed, ValueError)
    assert str(failed) == "no such counter"
    assert isinstance(first, AppendedEntry)
    assert isinstance(last, AppendedEntry)
    assert (first.seq, last.seq) == (0, 1)  # the failed request took no seq


def test_a_cancelled_coroutines_entry_is_still_committed(
    log_store: LogStore, fixed_clock: FixedClock
) -> None:
    """An append cannot be taken back: cancelling the waiter loses the answer, never the
    entry (the client retries with its idempotency key and gets it)."""
    gate = threading.Event()

    def slow(_ctx: AppendContext) -> dict[str, str]:
        gate.wait(10)
        return {"code": "32.16.99", "name": "Kantor lambat"}

    async def main() -> None:
        task = asyncio.create_task(
            log_store.append_async(AppendRequest("office.added", fixed_clock(), slow))
        )
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        gate.set()

    run_async(main)
    log_store.close()  # waits for the queue: the entry is committed
    assert log_store.size() == 1


def test_the_observer_sees_each_batch_inside_its_transaction(
    log_store: LogStore, fixed_clock: FixedClock
) -> None:
    recorder = Recorder()
    log_store.observe(recorder)
    at = fixed_clock()
    log_store.append(office(0, at))
    log_store.append_many([office(1, at), office(2, at)])
    assert recorder.events == [
        ("started", 0),
        ("appended", 0),
        ("ended", True),
        ("started", 1),
        ("appended", 1),
        ("appended", 2),
        ("ended", True),
    ]
    recorder.fail_start = True
    outcome = log_store.append_many([office(3, at)])[0]
    assert isinstance(outcome, AppendError)
    assert "observer refused the batch" in str(outcome)
    assert recorder.events[-1] == ("ended", False)
    assert log_store.size() == 3  # the refused batch wrote nothing


def test_coroutine_batches_are_committed_by_the_committer_thread(
    log_store: LogStore, fixed_clock: FixedClock
) -> None:
    recorder = Recorder()
    log_store.observe(recorder)

    async def main() -> None:
        await asyncio.gather(*(log_store.append_async(office(i, fixed_clock())) for i in range(5)))

    run_async(main)
    assert recorder.threads == {"group-commit"}


def test_appending_to_a_closed_store_is_refused(
    log_store: LogStore, fixed_clock: FixedClock
) -> None:
    log_store.close()

    async def main() -> None:
        await log_store.append_async(office(0, fixed_clock()))

    with pytest.raises(StoreClosedError):
        run_async(main)


def test_close_stops_the_committer_thread() -> None:
    def commit(batch: list[int]) -> Sequence[int | Exception]:
        return [i * 2 for i in batch]

    group: GroupCommit[int, int] = GroupCommit(commit, batch_max=8)

    async def main() -> list[list[int | Exception]]:
        return list(
            await asyncio.gather(*(group.submit_async([i, i + 1]) for i in range(0, 20, 2)))
        )

    before = set(threading.enumerate())
    results = run_async(main)
    assert results == [[i * 2, (i + 1) * 2] for i in range(0, 20, 2)]
    started = [t for t in set(threading.enumerate()) - before if t.name == "group-commit"]
    assert len(started) == 1
    group.close()
    assert not started[0].is_alive()


def test_a_factory_sees_what_came_in_since_a_point_it_decided_on(
    log_store: LogStore, fixed_clock: FixedClock
) -> None:
    """``entries_since`` shows committed entries and the ones appended earlier in the same
    batch, up to (not including) the entry being built."""
    at = fixed_clock()
    log_store.append_many([office(i, at) for i in range(3)])
    seen: list[list[int]] = []

    def looking(ctx: AppendContext) -> dict[str, str]:
        seen.append([e.seq for e in ctx.entries_since(1)])
        return {"code": f"32.16.{ctx.seq:02d}", "name": "Kantor"}

    outcomes = log_store.append_many(
        [office(3, at), AppendRequest("office.added", at, looking), office(5, at)]
    )
    assert [getattr(o, "seq", None) for o in outcomes] == [3, 4, 5]
    assert seen == [[1, 2, 3]]  # two committed before the batch, one earlier in it


def test_entries_since_refuses_a_point_after_the_entry(
    log_store: LogStore, fixed_clock: FixedClock
) -> None:
    def ahead(ctx: AppendContext) -> dict[str, str]:
        ctx.entries_since(ctx.seq + 1)
        return {}

    with pytest.raises(ValueError, match="expected 0 <= start <= 0, found 1"):
        log_store.append(AppendRequest("office.added", fixed_clock(), ahead))
