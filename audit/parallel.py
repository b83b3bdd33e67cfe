"""Running the per-entry and per-receipt checks on every core, or inline.

The checks themselves are pure functions of their arguments
(:func:`audit.chunks.check_entry_chunk`, :func:`audit.receipt_check.check_receipts`); this
module only decides *where* they run: in a :class:`concurrent.futures.ProcessPoolExecutor`
(``forkserver`` where available, so workers never inherit a database connection or a
thread) or in the calling process when ``workers == 0``. Results are consumed in
submission order, so the audit stays a deterministic function of its input however many
workers run.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

from audit.chunks import EntryChunk, check_entry_chunk

__all__ = ["EntryChunk", "Workers", "check_entry_chunk"]

T = TypeVar("T")

#: Modules every worker needs, imported once by the fork server. The receipt signature
#: checks (:mod:`audit.receipt_check`, which brings in the rules and the receipt formats)
#: are left to the first job that asks for them: an audit without signatures never does,
#: and its workers start sooner and smaller.
_PRELOAD = ("audit.parallel", "audit.chunks")


class _Done(Future[Any]):
    """A future that already holds its result (inline execution)."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.set_result(value)


def _worker_init() -> None:
    # A worker's jobs build no reference cycles, and freeing by reference counting is
    # enough: the cyclic collector would only re-scan each chunk's objects.
    gc.disable()


def _started(_: object) -> bool:
    """A job that only proves a worker is up."""
    return True


class Workers:
    """Where the parallel checks run. Use as a context manager.

    Worker processes take a moment to start (a fork server imports the checks once). They
    are started on a background thread, and until the first of them answers, jobs run in
    the calling process (:attr:`inline` says which way the next job goes): a short audit
    never waits for a pool and a long one loses no time to its start-up. If the pool
    cannot start at all, everything runs in the calling process.
    """

    def __init__(self, workers: int | None) -> None:
        count = (os.cpu_count() or 1) if workers is None else workers
        self.count = count
        self._pool: Executor | None = None
        self._ready = threading.Event()
        self._starter: threading.Thread | None = None
        if count > 0:
            self._starter = threading.Thread(target=self._start, name="audit-workers")
            self._starter.start()

    def _start(self) -> None:
        context: BaseContext
        if "forkserver" in multiprocessing.get_all_start_methods():
            forkserver = multiprocessing.get_context("forkserver")
            forkserver.set_forkserver_preload(list(_PRELOAD))
            context = forkserver
        else:
            context = multiprocessing.get_context("spawn")
        try:
            pool = ProcessPoolExecutor(
                max_workers=self.count, mp_context=context, initializer=_worker_init
            )
            self._pool = pool
            if pool.submit(_started, None).result():
                self._ready.set()
        except Exception:  # a pool that cannot start means: run inline  # noqa: S110
            pass

    @property
    def inline(self) -> bool:
        """Whether the next job runs in this process (its result need not be pickled)."""
        return not self._ready.is_set()

    def ready(self, timeout: float | None = None) -> bool:
        """Wait until the worker processes answer; whether they do (``False`` if none)."""
        if self._starter is None:
            return False
        return self._ready.wait(timeout)

    def submit(self, fn: Callable[[Any], T], arg: Any) -> Future[T]:
        pool = self._pool
        if pool is None or not self._ready.is_set():
            return _Done(fn(arg))
        return pool.submit(fn, arg)

    def close(self) -> None:
        if self._starter is not None:
            self._starter.join()
            self._starter = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._ready.clear()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
