"""Group commit: many threads submit, one leader at a time commits a whole batch.

A thread that submits work queues it, then either waits or — when no thread is leading —
becomes the leader: it takes up to ``batch_max`` queued items (its own and everyone
else's), commits them with one call, hands each waiter its outcome, and repeats until its
own items are done. Then it steps down and another waiting thread takes over. While a
leader is inside a commit (waiting for the disk), new work piles up in the queue and goes
into the next batch, so the number of commits — fsyncs and checkpoint signatures — grows
much slower than the number of appends.
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
    __slots__ = ("done", "item", "outcome")

    def __init__(self, item: T) -> None:
        self.item = item
        self.outcome: R | Exception | None = None
        self.done = False


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
        self._cond = threading.Condition()
        self._queue: deque[_Slot[T, R]] = deque()
        self._leading = False
        self._closed = False

    @property
    def queued(self) -> int:
        """Items waiting for a commit (not counting the batch being committed)."""
        with self._cond:
            return len(self._queue)

    def submit(self, items: Sequence[T]) -> list[R | Exception]:
        """Queue ``items`` and return their outcomes, in order, once all are committed."""
        slots: list[_Slot[T, R]] = [_Slot(item) for item in items]
        if not slots:
            return []
        last = slots[-1]
        with self._cond:
            if self._closed:
                raise StoreClosedError("the log store is closed; no further appends")
            self._queue.extend(slots)
            if self._batch_wait_s > 0:
                self._cond.notify_all()  # a lingering leader may now have a full batch
            while not last.done and self._leading:
                self._cond.wait()
            if not last.done:
                self._leading = True
        if not last.done:
            try:
                self._lead(last)
            finally:
                with self._cond:
                    self._leading = False
                    self._cond.notify_all()
        return [self._outcome(s) for s in slots]

    @staticmethod
    def _outcome(slot: _Slot[T, R]) -> R | Exception:
        if slot.outcome is None:  # pragma: no cover - every done slot has an outcome
            return AppendError("internal error: append finished without an outcome")
        return slot.outcome

    def _take_batch(self) -> list[_Slot[T, R]]:
        with self._cond:
            if self._batch_wait_s > 0 and len(self._queue) < self._batch_max:
                # Linger briefly so that a burst of appends shares one commit.
                deadline = time.monotonic() + self._batch_wait_s
                while len(self._queue) < self._batch_max:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
            count = min(self._batch_max, len(self._queue))
            return [self._queue.popleft() for _ in range(count)]

    def _lead(self, last: _Slot[T, R]) -> None:
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

    def _finish(self, batch: list[_Slot[T, R]], outcomes: Sequence[R | Exception]) -> None:
        with self._cond:
            for slot, outcome in zip(batch, outcomes, strict=True):
                slot.outcome = outcome
                slot.done = True
            self._cond.notify_all()

    def close(self) -> None:
        """Refuse new work and wait until everything already queued is committed."""
        with self._cond:
            self._closed = True
            while self._queue or self._leading:
                self._cond.wait()


def _batch_failure(error: BaseException) -> AppendError:
    failure = AppendError(f"the append batch was abandoned: {error!r}")
    failure.__cause__ = error
    return failure
