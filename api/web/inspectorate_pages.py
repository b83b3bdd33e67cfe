"""``/inspektorat``: the inspectorate's dashboard (inspector role).

Latest checkpoint and log size; today's and this month's collections per office; refused
charges, voids and complaints with their status, and a form that moves a complaint on
(``complaint.updated``, through :class:`api.services.complaints.ComplaintService`);
undeposited collections past the deposit deadline; running an audit of the live log and
downloading its report (both through :class:`api.services.inspection.InspectionService`,
the same path as ``POST /api/v1/audits``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.errors import ServiceError
from api.problems import problem_for
from api.services.complaints import CLOSED_STATUSES, UPDATE_STATUSES
from api.services.container import Services
from api.services.roles import Principal, Role
from api.web.errors import CsrfError, PageInputError
from api.web.forms import field, read_form, render_form_page
from api.web.i18n import Translator
from api.web.rendering import page_context
from api.web.sources import ledger_stats, office_directory, services_of
from api.web.staff_session import current_principal
from api.web.stats import DayFigures, LedgerStats, MonthFigures, wib_month
from audit import AuditResult
from audit.calendar import wib_date
from audit.report import render_pdf

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class OfficeRow:
    code: str
    name: str
    today: DayFigures
    month: MonthFigures


def _status_labels(t: Translator) -> dict[str, str]:
    return {
        "received": t("insp.status_received"),
        "investigating": t("insp.status_investigating"),
        "resolved": t("insp.status_resolved"),
        "rejected": t("insp.status_rejected"),
    }


def _message(error: ServiceError, t: Translator) -> str:
    return error.detail_id if t.lang == "id" else error.detail_en


def dashboard_context(services: Services, request: Request, principal: Principal) -> dict[str, Any]:
    """Everything the dashboard shows, read from the figures in one consistent pass."""
    t = page_context(request).t
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
    labels = _status_labels(t)
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
        "holiday_count": len(services.settings.holidays),
        "status_labels": labels,
        "status_choices": [(status, labels[status]) for status in UPDATE_STATUSES],
        "open_complaints": [c for c in figures["complaints"] if c.status not in CLOSED_STATUSES],
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


def _csrf_refused(request: Request, services: Services) -> Response:
    return render_form_page(
        request,
        "error.html",
        {"message": page_context(request).t("error.csrf")},
        secure=services.settings.secure_cookies,
        status_code=403,
    )


# ------------------------------------------------------------------------ complaints


@router.post("/inspektorat/pengaduan", response_class=HTMLResponse)
async def update_complaint(request: Request) -> Response:
    """Move a complaint on: a new status and an optional note (kept outside the log)."""
    services = services_of(request)
    try:
        form = await read_form(request)
    except CsrfError:
        return _csrf_refused(request, services)
    # The rest reads and writes the database: off the event loop.
    return await run_in_threadpool(_update_complaint, request, services, form)


def _update_complaint(request: Request, services: Services, form: FormData) -> Response:
    principal = _inspector(request, services)
    if isinstance(principal, Response):
        return principal
    page = page_context(request)
    try:
        tracking_no = field(form, "tracking_no", limit=32)
        status = field(form, "status", limit=16)
        note = field(form, "note", limit=4000) or None
    except PageInputError:
        return render_form_page(
            request,
            "error.html",
            {"message": page.t("error.bad_form")},
            secure=services.settings.secure_cookies,
            status_code=422,
        )
    status_code = 200
    flash = error = None
    try:
        view = services.complaints.update_status(principal, tracking_no, status, note)
    except ServiceError as exc:
        error = _message(exc, page.t)
        status_code = problem_for(exc).status  # as the API answers the same refusal
    else:
        label = _status_labels(page.t).get(view.status, view.status)
        flash = page.t("insp.complaint_updated", tracking=view.tracking_no, status=label)
    context = dashboard_context(services, request, principal)
    context["flash"], context["error"] = flash, error
    return render_form_page(
        request,
        "inspektorat.html",
        context,
        secure=services.settings.secure_cookies,
        status_code=status_code,
    )


# ------------------------------------------------------------------------ audits


@dataclass(frozen=True, slots=True)
class AuditSummary:
    ok: bool
    text: str


def _summary(result: AuditResult, request: Request) -> AuditSummary:
    t = page_context(request).t
    counts = Counter(f.severity.value for f in result.findings)
    by_severity = ", ".join(f"{severity}: {n}" for severity, n in sorted(counts.items()))
    size = result.verified_checkpoint[0] if result.verified_checkpoint else 0
    head = t("insp.audit_result_ok") if result.integrity_holds else t("insp.audit_result_bad")
    detail = t("insp.audit_detail", size=size, findings=len(result.findings))
    text = f"{head} {detail}" + (f" ({by_severity})" if by_severity else "")
    first = result.first_break
    if first is not None:
        text += f" — seq {first.seq}: {first.message}"
    return AuditSummary(ok=result.integrity_holds, text=text)


@router.post("/inspektorat/audit", response_class=HTMLResponse)
async def run_audit_now(request: Request) -> Response:
    services = services_of(request)
    try:
        await read_form(request)
    except CsrfError:
        return _csrf_refused(request, services)
    return await run_in_threadpool(_run_audit_now, request, services)


def _run_audit_now(request: Request, services: Services) -> Response:
    principal = _inspector(request, services)
    if isinstance(principal, Response):
        return principal
    context = dashboard_context(services, request, principal)
    try:
        result = services.inspection.run_audit()
    except ServiceError as exc:
        context["error"] = _message(exc, page_context(request).t)
    else:
        context["audit_result"] = _summary(result, request)
        context["audit_report_url"] = "/inspektorat/audit.pdf"
    return render_form_page(
        request, "inspektorat.html", context, secure=services.settings.secure_cookies
    )


@router.get("/inspektorat/audit.pdf")
def audit_report(request: Request) -> Response:
    """The PDF report of an audit of the log as it is now (the cover names its checkpoint)."""
    services = services_of(request)
    principal = _inspector(request, services)
    if isinstance(principal, Response):
        return principal
    try:
        result = services.inspection.run_audit()
    except ServiceError as exc:
        return render_form_page(
            request,
            "error.html",
            {"message": _message(exc, page_context(request).t)},
            secure=services.settings.secure_cookies,
            status_code=503,
        )
    pdf = render_pdf(result)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": 'attachment; filename="bukti-audit.pdf"',
            "Cache-Control": "no-store",
        },
    )
