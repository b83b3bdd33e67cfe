"""``bukti serve``'s application factory: the start-up heap frozen, logs written off the loop."""

from __future__ import annotations

import gc
import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from api.commands import serve
from api.observability import access_log, error_log


@pytest.fixture
def restore_logging() -> Iterator[None]:
    switches = ("logThreads", "logProcesses", "logMultiprocessing", "_srcfile")
    saved = {name: getattr(logging, name) for name in switches}
    yield
    serve._stop_writer()
    for logger in (access_log, error_log):
        logger.handlers = []
        logger.propagate = True
    for name, value in saved.items():
        setattr(logging, name, value)


@pytest.mark.usefixtures("restore_logging")
def test_the_factory_freezes_what_start_up_left_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    built = FastAPI()
    monkeypatch.setattr(serve, "app_from_env", lambda: built)
    try:
        assert serve.app_factory() is built
        assert gc.get_freeze_count() > 0  # the start-up heap is out of the collector's reach
    finally:
        gc.unfreeze()


@pytest.mark.usefixtures("restore_logging")
def test_logs_are_json_lines_written_by_the_writer_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)  # in the test body: capture swaps it per phase
    serve._configure_logging()
    serve._configure_logging()  # reconfiguring replaces the writer; nothing is lost
    access_log.info("request", extra={"fields": {"route": "/api/v1/receipts", "status": 201}})
    try:
        raise ZeroDivisionError("boom")
    except ZeroDivisionError:
        error_log.exception("unhandled %s", "error", extra={"fields": {"path": "/x"}})
    serve._stop_writer()  # what is queued is written out on stop (and at exit)
    lines = [json.loads(line) for line in stderr.getvalue().splitlines()]
    assert [line["logger"] for line in lines] == ["bukti.access", "bukti.error"]
    assert lines[0]["route"] == "/api/v1/receipts"
    assert lines[0]["status"] == 201
    assert lines[1]["msg"] == "unhandled error"
    assert lines[1]["path"] == "/x"
    assert lines[1]["exc"].endswith("ZeroDivisionError: boom")
