"""Server-rendered pages of Bukti (``docs/pages.md``).

``router`` holds every page route; :func:`api.app.create_app` includes it. Pages:
``/`` and ``/v`` (verify a receipt in the browser), ``/v/kode`` (typed verification code),
``/tarif`` (official fees, calculator, office posters), ``/loket`` (counter staff),
``/inspektorat`` (inspectorate dashboard), ``/transparansi`` (public figures and CSV), and
``/static/…`` (the one stylesheet and the small scripts).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, FastAPI, Request, Response

from api.web import (
    assets,
    counter_pages,
    fee_pages,
    inspectorate_pages,
    sources,
    transparency_pages,
    verify_pages,
)
from api.web.errors import FiguresNotReadyError
from api.web.rendering import page_context, render

__all__ = ["exception_handlers", "router", "start", "stop"]

router = APIRouter(include_in_schema=False)
for _module in (
    assets,
    verify_pages,
    fee_pages,
    counter_pages,
    inspectorate_pages,
    transparency_pages,
):
    router.include_router(_module.router)


def start(app: FastAPI) -> None:
    """At app start-up: begin folding the log's figures in the background, so that the
    first page that shows them does not wait for a long log (:mod:`api.web.sources`)."""
    sources.stats_follower(app).start_catch_up(app.state.services.store)


def stop(app: FastAPI) -> None:
    """At shutdown, before the storage closes: stop the background folding and save the
    figures for the next start."""
    follower = getattr(app.state, "web_stats", None)
    if follower is not None:
        follower.stop(app.state.services.store)


async def _figures_pending(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FiguresNotReadyError)
    page = page_context(request)
    return render(
        request,
        "error.html",
        {"message": page.t("error.figures_pending"), "refresh_s": exc.retry_after_s},
        status_code=503,
        page=page,
        headers={"Retry-After": str(exc.retry_after_s)},
    )


#: Errors of the page layer the app answers with a page of their own.
exception_handlers: Mapping[type[Exception], Callable[[Request, Exception], Awaitable[Response]]]
exception_handlers = {FiguresNotReadyError: _figures_pending}
