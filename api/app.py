"""The FastAPI application factory. Nothing is built at import time.

``create_app(settings)`` wires the service container, the routers, the problem handlers
and the observability middleware; uvicorn runs ``api.app:app_from_env`` with
``factory=True`` (``bukti serve``).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import ServiceError
from api.observability import ObservabilityMiddleware
from api.problems import PROBLEM_MEDIA_TYPE, Problem, problem_for, validation_problem
from api.routes import admin, auth, counter, inspector, ops, public, tlog
from api.security import install_security
from api.services.container import build_services
from api.settings import Settings
from ledger.errors import LedgerError
from receipts.errors import ReceiptsError

__all__ = ["app_from_env", "create_app"]

DESCRIPTION = """
Bukti — the fee-transparency ledger of Kabupaten Bekasi.

Every fee a counter collects is checked against the official *retribusi* schedule,
written to an append-only, publicly verifiable log, and receipted with a signed QR code.
Errors are RFC 9457 `application/problem+json` with `detail` in Bahasa Indonesia and
`detail_en` in English; every problem `type` is listed in `docs/api.md`.

Staff authenticate with `Authorization: Bearer <token>` (from `/api/v1/auth/login` or
`bukti users token`) or the session cookie set at login.
"""


def _problem_response(problem: Problem, request: Request) -> Response:
    body = json.dumps(problem.body(request.url.path), ensure_ascii=False).encode("utf-8")
    return Response(
        body,
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(problem.headers),
    )


async def _domain_error(request: Request, exc: Exception) -> Response:
    return _problem_response(problem_for(exc), request)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors: list[dict[str, Any]] = []
    for error in exc.errors():
        location = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(location) or str(error.get("loc", ("request",))[0])
        errors.append(
            {
                "field": field,
                "detail": f"Isian {field} tidak valid.",
                "detail_en": str(error.get("msg", "invalid")),
            }
        )
    return _problem_response(validation_problem(errors), request)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "invalid-request")
    if slug == "not-found":
        problem = Problem(slug, "Alamat tidak ditemukan.", f"no route for {request.url.path}")
    elif slug == "method-not-allowed":
        problem = Problem(
            slug,
            f"Metode {request.method} tidak didukung di alamat ini.",
            f"expected another HTTP method for {request.url.path}, found {request.method}",
        )
    else:
        problem = Problem(slug, "Permintaan tidak valid.", str(exc.detail))
    response = _problem_response(problem, request)
    if exc.status_code == 405 and exc.headers:
        response.headers.update(exc.headers)
    return response


_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_app(settings: Settings, *, clock: Callable[[], int] | None = None) -> FastAPI:
    """A new application with its own service container (engine, log store, keys, caches)."""
    services = build_services(settings, clock=clock)
    pages = _pages_module()

    @asynccontextmanager
    async def lifespan(started: FastAPI) -> AsyncIterator[None]:
        if pages is not None:
            pages.start(started)
        try:
            yield
        finally:
            if pages is not None:
                pages.stop(started)
            services.close()

    app = FastAPI(
        title="Bukti",
        version="1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # FastAPI's native OpenTelemetry looks the global providers up on every request;
        # off unless the deployment asks for it (BUKTI_OPENTELEMETRY).
        telemetry=None if settings.opentelemetry else _NO_TELEMETRY,
        openapi_tags=[
            {"name": "public", "description": "No login; rate-limited per client address."},
            {"name": "transparency log", "description": "C2SP tlog-tiles read endpoints."},
            {"name": "counter", "description": "Counter, supervisor and treasurer operations."},
            {"name": "inspectorate", "description": "Audits and exports (inspector)."},
            {"name": "administration", "description": "Accounts, offices, schedules (admin)."},
            {"name": "auth", "description": "Login, logout, current user."},
            {"name": "operations", "description": "Health and metrics."},
        ],
    )
    app.state.services = services
    for error_class in (ServiceError, LedgerError, ReceiptsError, SQLAlchemyError):
        app.add_exception_handler(error_class, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)

    # Routes are matched in order: the counter's (receipt issuance, the busiest) first.
    # No path of one router can match another's, so the order changes nothing else.
    _add_routes(app, counter.router)
    app.include_router(ops.router)
    app.include_router(auth.router)
    app.include_router(public.router)
    app.include_router(public.well_known)
    app.include_router(admin.router)
    app.include_router(inspector.router)
    app.include_router(tlog.build_router(settings.normalized_tile_prefix))
    if pages is not None:
        app.include_router(pages.router)
        for page_error, handler in pages.exception_handlers.items():
            app.add_exception_handler(page_error, handler)
    app.add_middleware(ObservabilityMiddleware, metrics=services.metrics)
    install_security(app, settings)
    return app


def _add_routes(app: FastAPI, router: APIRouter) -> None:
    """Put ``router``'s routes in the app's own route table, in order.

    ``include_router`` keeps a router as a nested branch whose route contexts FastAPI
    resolves again on every request it matches — about 90,000 instructions per receipt
    issued, 4% of the request. A router that sets nothing at include time (no
    dependencies, no callbacks: its prefix and tags are already on each route) serves
    the same requests with its routes added as they are. Such routes do not take the
    app's ``dependency_overrides``, which Bukti does not use.
    """
    if router.dependencies or router.callbacks:
        raise ValueError("a router with dependencies or callbacks must be included")
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise ValueError(f"expected only API routes, found {type(route).__name__}")
    app.router.routes.extend(router.routes)


def _pages_module() -> ModuleType | None:
    """The server-rendered pages (``api.web``: ``router``, ``exception_handlers``, ``start``
    and ``stop``), when that package is installed."""
    try:
        return importlib.import_module("api.web")
    except ModuleNotFoundError as exc:
        if exc.name != "api.web":
            raise  # a broken page module must fail loudly, not vanish
        return None


def app_from_env() -> FastAPI:
    """The application configured from ``BUKTI_`` environment variables (uvicorn factory)."""
    return create_app(Settings())
