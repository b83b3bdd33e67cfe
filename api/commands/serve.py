"""``bukti serve`` — run the web service with uvicorn."""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from api.observability import JsonLogFormatter

__all__ = ["register"]

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


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    for name in ("bukti.access", "bukti.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False


def run(args: argparse.Namespace) -> int:
    _configure_logging()
    print(f"Bukti serving on http://{args.host}:{args.port}  (Ctrl+C to stop)", flush=True)
    uvicorn.run(
        "api.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_level="warning",
    )
    return 0
