"""Running the per-entry and per-receipt checks on every core, or inline.

The checks themselves are pure functions of their arguments (:func:`check_entry_chunk`,
:func:`audit.receipt_check.check_receipts`); this module only decides *where* they run:
in a :class:`concurrent.futures.ProcessPoolExecutor` (``forkserver`` where available, so
workers never inherit a database connection or a thread) or in the calling process when
``workers == 0``. Results are consumed in submission order, so the audit stays a
deterministic function of its input however many workers run.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

from audit.entries import EntryValue, read_entry
from ledger.errors import EncodingError

__all__ = ["EntryChunk", "Workers", "check_entry_chunk"]

T = TypeVar("T")

#: Modules a worker needs, imported once by the fork server.
_PRELOAD = ("audit.parallel", "audit.receipt_check")


@dataclass(frozen=True, slots=True)
class EntryChunk:
    """Leaf hashes of a run of entries (32 bytes each, concatenated); by index in the run,
    why an entry is not canonical; and, when asked for (in-process runs, where nothing has
    to be pickled), the decoded entries (``None`` where not canonical)."""

    leaves: bytes
    problems: dict[int, str]
    values: list[EntryValue | None] | None = None


def check_entry_chunk(job: tuple[Sequence[bytes], bool]) -> EntryChunk:
    """Canonical-form check and RFC 9162 §2.1.1 leaf hash of each entry of ``job[0]``;
    ``job[1]``: keep the decoded entries."""
    datas, keep = job
    leaves = bytearray()
    problems: dict[int, str] = {}
    values: list[EntryValue | None] = []
    for i, data in enumerate(datas):
        leaves += hashlib.sha256(b"\x00" + data).digest()
        try:
            values.append(read_entry(data))
        except EncodingError as exc:
            problems[i] = str(exc)
            values.append(None)
    return EntryChunk(bytes(leaves), problems, values if keep else None)


class _Done(Future[Any]):
    """A future that already holds its result (inline execution)."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.set_result(value)


class Workers:
    """Where the parallel checks run. Use as a context manager."""

    def __init__(self, workers: int | None) -> None:
        count = (os.cpu_count() or 1) if workers is None else workers
        self.count = count
        #: Whether work runs in this process (results need not be pickled).
        self.inline = count == 0
        self._pool: Executor | None = None
        if count > 0:
            context: BaseContext
            if "forkserver" in multiprocessing.get_all_start_methods():
                forkserver = multiprocessing.get_context("forkserver")
                # Workers fork from a server that imported the checks once.
                forkserver.set_forkserver_preload(list(_PRELOAD))
                context = forkserver
            else:
                context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=count, mp_context=context)

    def submit(self, fn: Callable[[Any], T], arg: Any) -> Future[T]:
        if self._pool is None:
            return _Done(fn(arg))
        return self._pool.submit(fn, arg)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
