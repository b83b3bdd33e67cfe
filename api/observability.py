"""Structured JSON request logs, Prometheus metrics, and the last-resort 500 problem.

:class:`ObservabilityMiddleware` is the outermost layer of the app. For every request it
logs one JSON line on the ``bukti.access`` logger — method, route template, status,
duration, client address and the staff user id when one authenticated — never headers,
query strings, bodies, tokens or passwords. It counts requests and their durations per
route in the app's own Prometheus registry, and turns any exception that escaped every
handler into a bare ``internal`` problem (the traceback goes to the ``bukti.error`` log).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_MEDIA_TYPE, problem_for

__all__ = ["JsonLogFormatter", "Metrics", "ObservabilityMiddleware"]

access_log = logging.getLogger("bukti.access")
error_log = logging.getLogger("bukti.error")


class Metrics:
    """The app's Prometheus collectors, in a registry of its own (no global state)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "bukti_http_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "bukti_http_request_duration_seconds",
            "HTTP request duration by route template.",
            ["route", "method"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )
        self.receipts_issued = Counter(
            "bukti_receipts_issued", "Receipts issued.", registry=self.registry
        )
        self.charges_rejected = Counter(
            "bukti_charges_rejected",
            "Charges refused by the schedule check, by verdict.",
            ["verdict"],
            registry=self.registry,
        )
        self.log_size = Gauge(
            "bukti_log_size", "Entries in the log at the last scrape.", registry=self.registry
        )
        # The labelled children of the request collectors, looked up once per label set
        # (``labels()`` validates and locks on every call; a request only needs ``inc``).
        self._request_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one request of ``route`` (its template) and record its duration."""
        children = self._request_children.get((route, method, status))
        if children is None:
            children = (
                self.requests.labels(route, method, str(status)),
                self.latency.labels(route, method),
            )
            self._request_children[(route, method, status)] = children
        children[0].inc()
        children[1].observe(seconds)


#: One encoder for every log line (``json.dumps`` with options builds a new one each call).
_LINE_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return _LINE_ENCODER.encode(out)


def _route_template(scope: Scope) -> str:
    """The matched route's path template (``/api/v1/receipts/{ref}``), never the raw path."""
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return str(route.path)
    app = scope.get("app")
    router = getattr(app, "router", None)
    for route in getattr(router, "routes", ()):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(getattr(route, "path", "?"))
    return "<unmatched>"


class ObservabilityMiddleware:
    """Pure ASGI middleware: access log, metrics, and a 500 problem for escaped exceptions."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        started = False

        async def wrapped_send(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = int(message["status"])
                started = True
            await send(message)

        try:
            await self.app(scope, receive, wrapped_send)
        except Exception as exc:
            error_log.exception("unhandled error", extra={"fields": {"path": scope["path"]}})
            if started:
                raise
            await self._internal_error(exc, send)
            status = 500
        finally:
            elapsed = time.perf_counter() - start
            self._record(scope, status, elapsed)

    async def _internal_error(self, exc: Exception, send: Send) -> None:
        problem = problem_for(exc)
        body = json.dumps(problem.body(), ensure_ascii=False).encode("utf-8")
        headers = [
            (b"content-type", PROBLEM_MEDIA_TYPE.encode("ascii")),
            (b"content-length", str(len(body)).encode("ascii")),
            *(
                (k.lower().encode("latin-1"), v.encode("latin-1"))
                for k, v in problem.headers.items()
            ),
        ]
        await send({"type": "http.response.start", "status": problem.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route = _route_template(scope)
        method = scope.get("method", "?")
        self.metrics.observe_request(route, method, status, elapsed)
        state = scope.get("state") or {}
        principal = state.get("principal") if isinstance(state, dict) else None
        fields: dict[str, Any] = {
            "method": method,
            "route": route,
            "status": status,
            "ms": round(elapsed * 1000, 2),
            "client": (scope.get("client") or ("?", 0))[0],
        }
        if principal is not None:
            fields["user"] = principal.user_id
        access_log.info("request", extra={"fields": fields})
