"""Residents' pages: home, the verify page ``/v`` and the typed-code look-up ``/v/kode``.

The verify page itself is static for a given schedule: the receipt is in the URL fragment,
which browsers never send, and ``static/js/verify.js`` checks it in the browser. The page
embeds what the script needs to show a receipt in words: service names and their
unverified flags, office and counter names, and its strings.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.errors import NotFoundError
from api.web.fee_views import service_index
from api.web.rendering import page_context, render
from api.web.sources import office_directory, schedule_in_force, services_of
from ledger.schedule import NoScheduleInForce
from receipts import ShortCodeError, normalize_short_code, receipt_url

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_BROWSER_STRINGS = (
    "verdict.",
    "reason.",
    "mode.",
    "ledger.",
    "field.",
    "kind.",
    "warning.",
    "complaint.",
    "error.unavailable",
)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    return render(request, "home.html", {})


def _verify_page_data(request: Request) -> dict[str, Any]:
    services = services_of(request)
    page = page_context(request)
    try:
        services_by_code: dict[str, Any] = service_index(schedule_in_force(services))
    except NoScheduleInForce:
        services_by_code = {}
    offices = {
        code: {"name": office.name, "counters": {c.code: c.name for c in office.counters}}
        for code, office in office_directory(services).items()
    }
    return {
        "strings": page.t.subset(_BROWSER_STRINGS),
        "services": services_by_code,
        "offices": offices,
    }


@router.get("/v", response_class=HTMLResponse)
def verify_page(request: Request) -> Response:
    return render(
        request,
        "verify.html",
        {"page_data": _verify_page_data(request), "code": "", "code_error": None},
    )


@router.get("/v/kode", response_class=HTMLResponse)
def verify_by_code(request: Request, c: str = "") -> Response:
    """A typed verification code → the verify page for that receipt (fragment URL)."""
    services = services_of(request)
    page = page_context(request)
    typed = c.strip()[:32]
    try:
        code = normalize_short_code(typed)
        seq = services.reader.resolve(code)
        cose = services.reader.get(seq).cose
    except ShortCodeError:
        message = page.t("verify.code_malformed", code=typed)
    except NotFoundError:
        message = page.t("verify.code_not_found", code=typed)
    else:
        # The fragment carries the receipt; the browser checks it as if the QR was scanned.
        return RedirectResponse(receipt_url("", cose), status_code=303)
    return render(
        request,
        "verify.html",
        {"page_data": _verify_page_data(request), "code": typed, "code_error": message},
        status_code=404,
        page=page,
    )
