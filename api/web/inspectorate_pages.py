"""``/inspektorat``: the inspectorate's dashboard (inspector role).

Latest checkpoint and log size; today's and this month's collections per office; refused
charges, voids and complaints with their status; undeposited collections past the deposit
deadline; running an audit of the live log and downloading its report.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.services.container import Services
from api.services.roles import Principal, Role
from api.web.forms import render_form_page
from api.web.rendering import page_context
from api.web.sources import ledger_stats, office_directory, services_of
from api.web.staff_session import current_principal
from api.web.stats import DayFigures, LedgerStats, MonthFigures, wib_date, wib_month

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class OfficeRow:
    code: str
    name: str
    today: DayFigures
    month: MonthFigures


def dashboard_context(services: Services, request: Request, principal: Principal) -> dict[str, Any]:
    """Everything the dashboard shows, read from the figures in one consistent pass."""
    now = services.clock()
    today, month = wib_date(now), wib_month(now)
    offices = office_directory(services)
    names = {code: office.name for code, office in offices.items()}

    def read(stats: LedgerStats) -> dict[str, Any]:
        codes = sorted(set(offices) | set(stats.offices()))
        return {
            "offices": [
                OfficeRow(
                    code,
                    names.get(code, code),
                    replace(stats.day_of(code, today)),
                    replace(stats.month_of(code, month)),
                )
                for code in codes
            ],
            "refusals": list(stats.refusals),
            "voids": list(stats.voids),
            "complaints": [replace(c) for c in stats.complaint_list()],
            "undeposited": stats.undeposited(now),
        }

    figures = ledger_stats(request, read)
    checkpoint = services.store.latest_checkpoint()
    return {
        "principal": principal,
        "office_name": "",
        "today": today,
        "month": month,
        "office_names": names,
        "log_size": checkpoint.checkpoint.size,
        "checkpoint": checkpoint.note.decode("utf-8"),
        "deadline_days": services.settings.deposit_deadline_working_days,
        "audit_result": None,
        "audit_report_url": None,
        "flash": None,
        "error": None,
        **figures,
    }


def _inspector(request: Request, services: Services) -> Principal | Response:
    principal = current_principal(request, services)
    page = page_context(request)
    if principal is None:
        return render_form_page(
            request,
            "loket_login.html",
            {"message": None, "next": "/inspektorat"},
            secure=services.settings.secure_cookies,
        )
    if principal.role is not Role.INSPECTOR:
        return render_form_page(
            request,
            "error.html",
            {"message": page.t("insp.forbidden")},
            secure=services.settings.secure_cookies,
            status_code=403,
        )
    return principal


@router.get("/inspektorat", response_class=HTMLResponse)
def dashboard(request: Request) -> Response:
    services = services_of(request)
    principal = _inspector(request, services)
    if isinstance(principal, Response):
        return principal
    return render_form_page(
        request,
        "inspektorat.html",
        dashboard_context(services, request, principal),
        secure=services.settings.secure_cookies,
    )
