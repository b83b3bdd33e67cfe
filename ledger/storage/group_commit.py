"""Group commit: many threads submit, one leader at a time commits a whole batch.

A thread that submits work queues it, then either waits or — when no thread is leading —
becomes the leader: it takes up to ``batch_max`` queued items (its own and everyone
else's), commits them with one call, hands each waiter its outcome, and repeats until its
own items are done. Then it passes the lead to the thread whose items come next in the
queue, if any. While a leader is inside a commit (waiting for the disk), new work piles up
in the queue and goes into the next batch, so the number of commits — fsyncs and
checkpoint signatures — grows much slower than the number of appends.

Every waiting thread sleeps on its own lock and is woken exactly once: when its last item
is done, or when it is handed the lead. With many concurrent submitters this matters: a
shared condition variable would wake all of them after every commit just so that most can
go back to sleep, and on a busy interpreter those wake-ups cost more than the commit.

Coroutines submit with :meth:`GroupCommit.submit_async`. They have no thread to lead
with, so their batches are committed by one committer thread of the group's own (started
on first use), and they are woken with one ``call_soon_threadsafe`` per event loop and
batch. A server whose request handlers run on the event loop thus commits without handing
each request to a worker thread. Threads and coroutines may submit to the same group;
the queue stays first in, first out.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import Generic, TypeVar

from ledger.storage.errors import AppendError, StoreClosedError

__all__ = ["GroupCommit"]

T = TypeVar("T")
R = TypeVar("R")

_log = logging.getLogger("bukti.ledger.storage")


class _Slot(Generic[T, R]):
    """One submitted item. The submitter's last slot carries the lock its thread sleeps on
    (``None`` for the leader's own items: the leader does not sleep), or for a coroutine
    the future it awaits."""

    __slots__ = ("done", "future", "item", "outcome", "wake")

    def __init__(self, item: T) -> None:
        self.item = item
        self.outcome: R | Exception | None = None
        self.done = False
        self.wake: threading.Lock | None = None
        self.future: asyncio.Future[None] | None = None


class GroupCommit(Generic[T, R]):
    """Serializes calls of ``commit`` over batches of submitted items, FIFO.

    ``commit(batch)`` must return one outcome per item (a result or an exception for that
    item) and should not raise; if it does, every item of that batch fails with
    :class:`AppendError` and the exception propagates in the leader's thread.
    """

    def __init__(
        self,
        commit: Callable[[list[T]], Sequence[R | Exception]],
        *,
        batch_max: int,
        batch_wait_s: float = 0.0,
    ) -> None:
        if batch_max < 1:
            raise ValueError(f"batch_max must be at least 1, found {batch_max}")
        if batch_wait_s < 0:
            raise ValueError(f"batch wait must not be negative, found {batch_wait_s}")
        self._commit = commit
        self._batch_max = batch_max
        self._batch_wait_s = batch_wait_s
        self._mutex = threading.Lock()
        #: Signalled when the queue or the lead changes; waited on only by a lingering
        #: leader and by :meth:`close`, never by submitters.
        self._changed = threading.Condition(self._mutex)
        self._queue: deque[_Slot[T, R]] = deque()
        self._leading = False
        self._closed = False
        #: The committer thread (for coroutine submitters), started on first use; released
        #: once per hand-over of the lead to it.
        self._committer: threading.Thread | None = None
        self._committer_wake = threading.Semaphore(0)
        self._stopping = False

    @property
    def queued(self) -> int:
        """Items waiting for a commit (not counting the batch being committed)."""
        with self._mutex:
            return len(self._queue)

    def submit(self, items: Sequence[T]) -> list[R | Exception]:
        """Queue ``items`` and return their outcomes, in order, once all are committed."""
        slots: list[_Slot[T, R]] = [_Slot(item) for item in items]
        if not slots:
            return []
        last = slots[-1]
        wake: threading.Lock | None = None
        with self._mutex:
            if self._closed:
                raise StoreClosedError("the log store is closed; no further appends")
            self._queue.extend(slots)
            if self._leading:
                wake = _held_lock()
                last.wake = wake
            else:
                self._leading = True
            if self._batch_wait_s > 0:
                self._changed.notify_all()  # a lingering leader may now have a full batch
        if wake is not None:
            # Released once: when our last item is done, or when the lead is handed to us.
            try:
                wake.acquire()
            except BaseException:
                self._stop_waiting(last, wake)
                raise
        if not last.done:
            self._lead(last)
        return [self._outcome(s) for s in slots]

    async def submit_async(self, items: Sequence[T]) -> list[R | Exception]:
        """:meth:`submit` for a coroutine: queue ``items`` and await their outcomes.

        The calling event loop never blocks: the items are committed by the current leader
        or by the committer thread. If the awaiting task is cancelled, the items stay
        queued and are committed all the same (an append cannot be taken back).
        """
        slots: list[_Slot[T, R]] = [_Slot(item) for item in items]
        if not slots:
            return []
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        slots[-1].future = future
        with self._mutex:
            if self._closed:
                raise StoreClosedError("the log store is closed; no further appends")
            self._queue.extend(slots)
            if not self._leading:
                self._leading = True
                self._wake_committer()
            if self._batch_wait_s > 0:
                self._changed.notify_all()
        await future
        return [self._outcome(s) for s in slots]

    def _wake_committer(self) -> None:
        """Hand the lead to the committer thread (under the mutex; the lead is taken)."""
        if self._committer is None:
            self._committer = threading.Thread(
                target=self._commit_loop, name="group-commit", daemon=True
            )
            self._committer.start()
        self._committer_wake.release()

    def _commit_loop(self) -> None:
        """The committer thread: each time it is handed the lead, commit until the queue is
        empty, then hand the lead on."""
        while True:
            self._committer_wake.acquire()
            if self._stopping:
                return
            try:
                while batch := self._take_batch():
                    self._commit_batch(batch)
            except BaseException:  # pragma: no cover - _commit_batch has failed the batch
                _log.exception("group commit failed; its appends were answered with the error")
            finally:
                self._hand_over()

    def _stop_waiting(self, last: _Slot[T, R], wake: threading.Lock) -> None:
        """A waiting submitter was interrupted (Ctrl+C in a command): its items stay queued
        and are committed, but the lead must never be handed to a thread that is gone."""
        with self._mutex:
            if last.wake is wake and not last.done:
                last.wake = None  # not woken yet: skip it from now on
                return
        if not last.done:  # the lead was handed to this thread: pass it on
            self._hand_over()

    @staticmethod
    def _outcome(slot: _Slot[T, R]) -> R | Exception:
        if slot.outcome is None:  # pragma: no cover - every done slot has an outcome
            return AppendError("internal error: append finished without an outcome")
        return slot.outcome

    def _take_batch(self) -> list[_Slot[T, R]]:
        with self._mutex:
            if self._batch_wait_s > 0 and len(self._queue) < self._batch_max:
                # Linger briefly so that a burst of appends shares one commit.
                deadline = time.monotonic() + self._batch_wait_s
                while len(self._queue) < self._batch_max:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._changed.wait(remaining)
            count = min(self._batch_max, len(self._queue))
            return [self._queue.popleft() for _ in range(count)]

    def _lead(self, last: _Slot[T, R]) -> None:
        """Commit batches until ``last`` (this thread's last item) is done; pass the lead on."""
        try:
            # FIFO: once the submitter's last item is done, all of its items are.
            while not last.done:
                self._commit_batch(self._take_batch())
        finally:
            self._hand_over()

    def _commit_batch(self, batch: list[_Slot[T, R]]) -> None:
        try:
            outcomes = list(self._commit([s.item for s in batch]))
            if len(outcomes) != len(batch):
                raise AppendError(
                    f"commit returned {len(outcomes)} outcomes for {len(batch)} appends"
                )
        except BaseException as error:
            self._finish(batch, [_batch_failure(error) for _ in batch])
            raise
        self._finish(batch, outcomes)

    def _finish(self, batch: list[_Slot[T, R]], outcomes: Sequence[R | Exception]) -> None:
        woken: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        with self._mutex:
            for slot, outcome in zip(batch, outcomes, strict=True):
                slot.outcome = outcome
                slot.done = True
                if slot.wake is not None:
                    slot.wake.release()
                elif slot.future is not None:
                    woken.setdefault(slot.future.get_loop(), []).append(slot.future)
            self._changed.notify_all()
        for loop, futures in woken.items():
            with suppress(RuntimeError):  # a closed event loop: nobody waits there any more
                loop.call_soon_threadsafe(_resolve, futures)

    def _hand_over(self) -> None:
        """Pass the lead to the thread whose items are next in the queue, or to the
        committer thread when only coroutines wait."""
        with self._mutex:
            for slot in self._queue:
                if slot.wake is not None:
                    # Its last item is not done, so on waking that thread leads.
                    slot.wake.release()
                    slot.wake = None
                    return
            if self._queue and not self._stopping:
                self._wake_committer()  # only coroutines' items are queued
                return
            # Nobody is waiting (an empty queue, or only the items of a leader that failed).
            self._leading = False
            self._changed.notify_all()

    def close(self) -> None:
        """Refuse new work and wait until everything already queued is committed."""
        with self._mutex:
            self._closed = True
            while self._queue or self._leading:
                self._changed.wait()
            self._stopping = True
            committer, self._committer = self._committer, None
            self._committer_wake.release()
        if committer is not None and committer is not threading.current_thread():
            committer.join()


def _held_lock() -> threading.Lock:
    """A lock already acquired: its owner's next ``acquire`` sleeps until it is released."""
    lock = threading.Lock()
    lock.acquire()
    return lock


def _resolve(futures: list[asyncio.Future[None]]) -> None:
    """On the submitters' event loop: wake every coroutine whose items are done."""
    for future in futures:
        if not future.done():  # a cancelled submitter is no longer waiting
            future.set_result(None)


def _batch_failure(error: BaseException) -> AppendError:
    failure = AppendError(f"the append batch was abandoned: {error!r}")
    failure.__cause__ = error
    return failure
