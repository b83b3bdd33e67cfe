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
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from ledger.storage.errors import AppendError, StoreClosedError

__all__ = ["GroupCommit"]

T = TypeVar("T")
R = TypeVar("R")


class _Slot(Generic[T, R]):
    """One submitted item. The submitter's last slot carries the lock its thread sleeps on
    (``None`` for the leader's own items: the leader does not sleep)."""

    __slots__ = ("done", "item", "outcome", "wake")

    def __init__(self, item: T) -> None:
        self.item = item
        self.outcome: R | Exception | None = None
        self.done = False
        self.wake: threading.Lock | None = None


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
                batch = self._take_batch()
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
        finally:
            self._hand_over()

    def _finish(self, batch: list[_Slot[T, R]], outcomes: Sequence[R | Exception]) -> None:
        with self._mutex:
            for slot, outcome in zip(batch, outcomes, strict=True):
                slot.outcome = outcome
                slot.done = True
                if slot.wake is not None:
                    slot.wake.release()
            self._changed.notify_all()

    def _hand_over(self) -> None:
        """Wake the submitter whose items are next in the queue as the new leader."""
        with self._mutex:
            for slot in self._queue:
                if slot.wake is not None:
                    # Its last item is not done, so on waking that thread leads.
                    slot.wake.release()
                    slot.wake = None
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


def _held_lock() -> threading.Lock:
    """A lock already acquired: its owner's next ``acquire`` sleeps until it is released."""
    lock = threading.Lock()
    lock.acquire()
    return lock


def _batch_failure(error: BaseException) -> AppendError:
    failure = AppendError(f"the append batch was abandoned: {error!r}")
    failure.__cause__ = error
    return failure
