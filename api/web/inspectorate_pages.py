"""``/inspektorat``: the inspectorate's dashboard (inspector role).

Latest checkpoint and log size; today's and this month's collections per office; refused
charges, voids and complaints with their status; undeposited collections past the deposit
deadline; running an audit of the live log and downloading its report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.services.container import Services
from api.services.roles import Principal, Role
from api.settings import Settings
from api.web.errors import CsrfError
from api.web.forms import read_form, render_form_page
from api.web.rendering import page_context
from api.web.sources import ledger_stats, office_directory, services_of
from api.web.staff_session import current_principal
from api.web.stats import DayFigures, LedgerStats, MonthFigures, wib_date, wib_month
from audit import AuditError, AuditOptions, AuditResult, DatabaseSource, run_audit
from audit.report import render_pdf

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


# ------------------------------------------------------------------------ audits


def audit_live_log(settings: Settings) -> AuditResult:
    """Audit the deployment's own database with the published trust list (DESIGN §5).

    The audit opens its own read-only connection; nothing of the running service is
    trusted beyond the database file and ``keys.json``.
    """
    with DatabaseSource.open(
        settings.resolved_database_url,
        origin=settings.origin,
        trust_list=settings.trust_list_path.read_bytes(),
    ) as source:
        options = AuditOptions(
            deposit_deadline_days=settings.deposit_deadline_working_days, workers=0
        )
        return run_audit(source, options)


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
        page = page_context(request)
        return render_form_page(
            request,
            "error.html",
            {"message": page.t("error.csrf")},
            secure=services.settings.secure_cookies,
            status_code=403,
        )
    principal = _inspector(request, services)
    if isinstance(principal, Response):
        return principal
    context = dashboard_context(services, request, principal)
    try:
        result = await run_in_threadpool(audit_live_log, services.settings)
    except (AuditError, OSError) as exc:
        context["error"] = str(exc)
    else:
        context["audit_result"] = _summary(result, request)
        context["audit_report_url"] = "/inspektorat/audit.pdf"
    return render_form_page(
        request, "inspektorat.html", context, secure=services.settings.secure_cookies
    )


@router.get("/inspektorat/audit.pdf")
async def audit_report(request: Request) -> Response:
    """The PDF report of an audit of the log as it is now (the cover names its checkpoint)."""
    services = services_of(request)
    principal = _inspector(request, services)
    if isinstance(principal, Response):
        return principal
    result = await run_in_threadpool(audit_live_log, services.settings)
    pdf = await run_in_threadpool(render_pdf, result)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": 'attachment; filename="bukti-audit.pdf"',
            "Cache-Control": "no-store",
        },
    )
