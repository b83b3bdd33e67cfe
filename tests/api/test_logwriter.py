"""The batched log writer: every record written once, in order, a burst in one write."""

from __future__ import annotations

import io
import logging
import threading
import time

import pytest

from api.logwriter import BatchedLineHandler


class _CountingStream(io.StringIO):
    """A stream that counts its writes and can hold the writer thread at a gate."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0
        self.gate = threading.Event()
        self.gate.set()

    def write(self, text: str) -> int:
        self.gate.wait(timeout=5)
        self.writes += 1
        return super().write(text)


def _logger(handler: logging.Handler, name: str) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def test_a_burst_of_records_is_written_in_one_write_in_order() -> None:
    stream = _CountingStream()
    handler = BatchedLineHandler(stream, linger_s=0.2)
    logger = _logger(handler, "bukti.test.burst")
    for i in range(100):
        logger.info("request %d", i)
    handler.close()
    assert stream.getvalue().splitlines() == [f"request {i}" for i in range(100)]
    assert stream.writes == 1


def test_lines_arrive_without_close_after_the_linger() -> None:
    stream = _CountingStream()
    handler = BatchedLineHandler(stream, linger_s=0.01)
    logger = _logger(handler, "bukti.test.linger")
    try:
        logger.info("first")
        deadline = time.monotonic() + 5
        while "first" not in stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stream.getvalue() == "first\n"
    finally:
        handler.close()


def test_the_message_is_bound_when_queued_not_when_written() -> None:
    stream = _CountingStream()
    handler = BatchedLineHandler(stream, linger_s=0.05)
    logger = _logger(handler, "bukti.test.bound")
    value = ["before"]
    logger.info("value %s", value)
    value[0] = "after"  # changed while the record waits in the queue
    handler.close()
    assert stream.getvalue() == "value ['before']\n"


def test_records_queued_while_the_writer_is_busy_are_not_lost_on_close() -> None:
    stream = _CountingStream()
    handler = BatchedLineHandler(stream, linger_s=0.0)
    logger = _logger(handler, "bukti.test.busy")
    stream.gate.clear()  # the writer blocks inside its first write
    logger.info("one")
    time.sleep(0.05)
    for i in range(10):
        logger.info("more %d", i)
    closer = threading.Thread(target=handler.close)
    closer.start()
    stream.gate.set()
    closer.join(timeout=5)
    assert not closer.is_alive()
    assert stream.getvalue().splitlines() == ["one", *(f"more {i}" for i in range(10))]


def test_a_record_that_cannot_be_formatted_does_not_stop_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(logging, "raiseExceptions", False)  # handleError stays quiet
    stream = _CountingStream()
    handler = BatchedLineHandler(stream, linger_s=0.0)
    logger = _logger(handler, "bukti.test.bad")
    logger.info("good 1")
    logger.info("bad %d", "not a number")  # the message fails to bind
    logger.info("good 2")
    handler.close()
    assert stream.getvalue().splitlines() == ["good 1", "good 2"]


def test_close_twice_is_harmless() -> None:
    handler = BatchedLineHandler(_CountingStream())
    handler.close()
    handler.close()
