"""Fee lookup: ``/tarif`` (search and browse), ``/tarif/{code}`` (one service, with a
calculator) and ``/tarif/poster/{office}`` (a printable poster with a QR to the fee page).

Everything here is public and works without JavaScript: search and the calculator are
plain GET forms; ``static/js/fees.js`` makes them answer as the reader types.
"""

from __future__ import annotations

import io
from typing import Any

import qrcode
import qrcode.constants
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.web.fee_views import fee_view, fee_views, quote_or_problem, search_fees
from api.web.rendering import page_context, render
from api.web.sources import office_directory, schedule_in_force, services_of
from ledger.schedule import NoScheduleInForce, UnknownServiceError

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_BROWSER_STRINGS = ("fees.", "verdict.checking", "error.unavailable")


def _unavailable(request: Request) -> Response:
    page = page_context(request)
    return render(
        request, "error.html", {"message": page.t("error.unavailable")}, status_code=503, page=page
    )


@router.get("/tarif", response_class=HTMLResponse)
def fee_list(request: Request, q: str = "") -> Response:
    services = services_of(request)
    page = page_context(request)
    try:
        version = schedule_in_force(services)
    except NoScheduleInForce:
        return _unavailable(request)
    views = fee_views(version, page.t)
    query = q.strip()[:100]
    return render(
        request,
        "tarif_list.html",
        {
            "version": version,
            "query": query,
            "all_fees": views,
            "fees": search_fees(views, query),
            "offices": list(office_directory(services).values()),
            "page_data": {"strings": page.t.subset(_BROWSER_STRINGS)},
        },
        page=page,
    )


@router.get("/tarif/{code}", response_class=HTMLResponse)
def fee_item(request: Request, code: str) -> Response:
    services = services_of(request)
    page = page_context(request)
    try:
        version = schedule_in_force(services)
        item = version.item(code)
    except NoScheduleInForce:
        return _unavailable(request)
    except UnknownServiceError:
        return render(
            request,
            "error.html",
            {"message": page.t("error.not_found")},
            status_code=404,
            page=page,
        )
    view = fee_view(item, page.t)
    names = {spec.name for spec in item.tariff.inputs}
    values = {k: v.strip()[:40] for k, v in request.query_params.items() if k in names}
    context: dict[str, Any] = {
        "version": version,
        "fee": view,
        "values": values,
        "quote": None,
        "quote_error": None,
        "public_url": services.settings.public_url.rstrip("/"),
        "page_data": {"strings": page.t.subset(_BROWSER_STRINGS)},
    }
    if values:
        context["quote"], context["quote_error"] = quote_or_problem(
            version, code, values, services.clock(), page.t
        )
    return render(request, "tarif_item.html", context, page=page)


@router.get("/tarif/poster/{office}", response_class=HTMLResponse)
def fee_poster(request: Request, office: str) -> Response:
    services = services_of(request)
    page = page_context(request)
    found = office_directory(services).get(office)
    if found is None:
        return render(
            request,
            "error.html",
            {"message": page.t("error.not_found")},
            status_code=404,
            page=page,
        )
    try:
        version = schedule_in_force(services)
    except NoScheduleInForce:
        return _unavailable(request)
    return render(
        request,
        "tarif_poster.html",
        {
            "office": found,
            "version": version,
            "fees": fee_views(version, page.t),
            "fee_url": _fee_url(services.settings.public_url),
        },
        page=page,
    )


def _fee_url(public_url: str) -> str:
    return public_url.rstrip("/") + "/tarif"


@router.get("/tarif/poster/{office}/qr.png")
def fee_poster_qr(request: Request, office: str) -> Response:
    """The poster's QR code (PNG, error correction M) pointing at the fee page."""
    services = services_of(request)
    if office not in office_directory(services):
        return Response(status_code=404)
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(_fee_url(services.settings.public_url))
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return Response(
        buffer.getvalue(),
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
