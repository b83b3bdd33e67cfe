"""``bukti serve`` — run the web service with uvicorn.

Each worker process builds the application with :func:`app_factory`: the application of
``api.app.app_from_env``, after which everything alive at start-up — modules, routes,
schemas, the service container — is moved out of the cyclic garbage collector's reach
(:func:`gc.freeze`). Those objects live as long as the process, yet a full collection
would otherwise walk all of them again and again while holding the interpreter lock,
stalling every request in flight for as long as it takes (over 100 ms on a small server).
The access and error logs are JSON lines on stderr, written in batches by a thread of their own.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import logging
import sys

import uvicorn
from fastapi import FastAPI

from api.app import app_from_env
from api.logwriter import BatchedLineHandler
from api.observability import JsonLogFormatter
from api.settings import Settings

__all__ = ["app_factory", "freeze_start_up_heap", "register"]

EPILOG = """examples:
  bukti serve                          http://127.0.0.1:8000
  bukti serve --host 0.0.0.0 --port 8080 --workers 4
Run `bukti init` first. Settings come from BUKTI_ environment variables.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "serve",
        help="serve the web service and API",
        description="Serve the Bukti web pages, API and transparency-log endpoints.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.set_defaults(handler=run)


_writer: BatchedLineHandler | None = None


def _configure_logging() -> None:
    """JSON lines on stderr for the access and error logs, written by a thread of their own
    in batches (:mod:`api.logwriter`): the event loop only queues each record."""
    global _writer  # noqa: PLW0603 - one writer thread per process
    _stop_writer()
    atexit.unregister(_stop_writer)
    atexit.register(_stop_writer)  # writes out what is queued when the worker exits
    # The JSON lines name neither process, thread nor source line: do not look them up
    # for every record (the Logging HOWTO's "Optimization" switches).
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None
    _writer = BatchedLineHandler(sys.stderr)
    _writer.setFormatter(JsonLogFormatter())
    for name in ("bukti.access", "bukti.error"):
        logger = logging.getLogger(name)
        logger.handlers = [_writer]
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _stop_writer() -> None:
    global _writer  # noqa: PLW0603 - one writer thread per process
    if _writer is not None:
        _writer.close()
        _writer = None


def freeze_start_up_heap() -> None:
    """Collect once, then exempt every surviving object from later collections.

    Objects created afterwards (requests, responses, caches filling up) are collected as
    usual; only the start-up heap, which never becomes garbage, is no longer traversed.
    """
    gc.collect()
    gc.freeze()


def app_factory() -> FastAPI:
    """The application each worker serves (uvicorn factory): see the module documentation.

    Runs in every worker process, so each one writes its own access and error log.
    """
    _configure_logging()
    app = app_from_env()
    freeze_start_up_heap()
    return app


def run(args: argparse.Namespace) -> int:
    Settings()  # unusable BUKTI_ settings are reported before anything starts
    print(f"Bukti serving on http://{args.host}:{args.port}  (Ctrl+C to stop)", flush=True)
    uvicorn.run(
        "api.commands.serve:app_factory",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_level="warning",
    )
    return 0
