"""A logging handler that writes JSON lines from a thread of its own, in batches.

The access log gets one record per request, written from the event loop. Writing there
would give up the interpreter lock for the system call and wait to get it back while other
threads run, holding up every connection the loop serves. :class:`BatchedLineHandler` only
queues the record on the loop. Its writer thread wakes for the first record of a burst,
lets the burst gather for :data:`LINGER_S`, then formats everything queued and writes it
with one ``write`` and one ``flush``: under load that is one wake-up and one system call
per batch instead of one per request. A line reaches the stream at most ``LINGER_S`` after
its record; :meth:`BatchedLineHandler.close` writes out whatever is still queued.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Final, TextIO

__all__ = ["LINGER_S", "BatchedLineHandler"]

#: How long the writer lets a burst of records gather before writing it (seconds).
LINGER_S: Final = 0.05
#: At most this many records are formatted and written in one batch.
_MAX_BATCH: Final = 4096


class BatchedLineHandler(logging.Handler):
    """Queue records on the caller's thread; format and write them on a writer thread.

    ``stream`` receives one formatted line per record (the handler's formatter), each
    ending in a newline. The message is bound when the record is queued, so arguments
    that change afterwards do not change the line.
    """

    def __init__(self, stream: TextIO, *, linger_s: float = LINGER_S) -> None:
        super().__init__()
        self._stream = stream
        self._linger_s = linger_s
        self._records: queue.SimpleQueue[logging.LogRecord | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._write_loop, name="log-writer", daemon=True)
        self._closed = False
        self._thread.start()

    def handle(self, record: logging.LogRecord) -> bool:
        # Handler.handle takes the handler's lock around emit(); the queue is thread-safe
        # on its own, and this runs once per request.
        if not self.filter(record):
            return False
        self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        try:
            record.msg = record.getMessage()
        except Exception:  # a bad log call must not fail the request
            self.handleError(record)
            return
        record.args = None
        self._records.put(record)

    def close(self) -> None:
        """Write out every queued record, then stop the writer thread (idempotent)."""
        if not self._closed:
            self._closed = True
            self._records.put(None)
            self._thread.join()
        super().close()

    def _write_loop(self) -> None:
        while True:
            first = self._records.get()
            if first is not None:
                time.sleep(self._linger_s)  # let the rest of the burst arrive
            batch = [first]
            while len(batch) < _MAX_BATCH:
                try:
                    batch.append(self._records.get_nowait())
                except queue.Empty:
                    break
            stopping = None in batch
            self._write([record for record in batch if record is not None])
            if stopping:
                # Records queued after close() began are still written, not lost.
                rest: list[logging.LogRecord] = []
                while True:
                    try:
                        record = self._records.get_nowait()
                    except queue.Empty:
                        break
                    if record is not None:
                        rest.append(record)
                self._write(rest)
                return

    def _write(self, records: list[logging.LogRecord]) -> None:
        if not records:
            return
        lines: list[str] = []
        for record in records:
            try:
                lines.append(self.format(record))
            except Exception:  # one bad record must not stop the log
                self.handleError(record)
        if not lines:
            return
        try:
            self._stream.write("\n".join(lines) + "\n")
            self._stream.flush()
        except Exception:  # a full disk must not kill the writer thread
            self.handleError(records[0])
