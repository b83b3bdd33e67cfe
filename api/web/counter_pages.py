"""The counter (``/loket``): sign in, pick a service, compute the official fee, issue,
print, reprint, void with a supervisor's approval, close the day.

The page calls the same services as the JSON API (:mod:`api.services`); what it adds is
the flow a petugas follows with the keyboard alone: type a few letters of the service,
Enter, type the inputs, Enter (the official fee and its legal basis appear), Enter (the
receipt is issued and its print buttons appear). A refused charge is shown in the words
of the schedule check (:class:`ledger.schedule.Verdict`), and the attempt is in the log.
Once the counter's day is closed the page says so and offers no issue form; the service
refuses a receipt at a closed counter-day anyway (``day-closed``).

A void records who asked for it and who approved it: a petugas asks and their supervisor
approves by typing their credentials in; a supervisor voiding from their own session may
name the petugas who asked (``requested_by``), else the void is on their own initiative.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import partial
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.deps import SESSION_COOKIE
from api.errors import (
    ChargeRefusedError,
    DayClosedError,
    LoginFailedError,
    LoginThrottledError,
    ServiceError,
    WrongRoleError,
)
from api.services.cashier import ClosingCommand
from api.services.container import Services
from api.services.issuance import IssueCommand
from api.services.roles import Principal, Role, require_role
from api.web.errors import CsrfError, PageInputError
from api.web.fee_views import fee_view, fee_views, quote_or_problem
from api.web.forms import field, inputs_of, read_form, render_form_page, rupiah_field
from api.web.i18n import Translator
from api.web.rendering import PageContext, page_context
from api.web.sources import (
    OfficeInfo,
    ledger_stats,
    office_directory,
    schedule_in_force,
    services_of,
)
from api.web.staff_session import current_principal, end_session, safe_next, start_session
from api.web.stats import LedgerStats
from audit.calendar import wib_date
from ledger.schedule import (
    NoScheduleInForce,
    ScheduleVersion,
    UnknownServiceError,
    format_rupiah,
)

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

COUNTER_COOKIE: Final = "bukti_counter"
_RECENT_SHOWN: Final = 10
#: Roles that work at a counter page at all (inspectors and admins have their own pages).
_COUNTER_PAGE_ROLES: Final = frozenset({Role.COUNTER, Role.SUPERVISOR})


def _message(error: ServiceError, t: Translator) -> str:
    return error.detail_id if t.lang == "id" else error.detail_en


def _login_page(
    request: Request,
    services: Services,
    *,
    message: str | None = None,
    next_page: str = "/loket",
    status_code: int = 200,
) -> Response:
    return render_form_page(
        request,
        "loket_login.html",
        {"message": message, "next": safe_next(next_page)},
        secure=services.settings.secure_cookies,
        status_code=status_code,
    )


def _forbidden(request: Request, services: Services, text: str) -> Response:
    return render_form_page(
        request,
        "error.html",
        {"message": text},
        secure=services.settings.secure_cookies,
        status_code=403,
    )


def _csrf_failed(request: Request, services: Services) -> Response:
    return _forbidden(request, services, page_context(request).t("error.csrf"))


def _bad_form(request: Request, services: Services) -> Response:
    return render_form_page(
        request,
        "error.html",
        {"message": page_context(request).t("error.bad_form")},
        secure=services.settings.secure_cookies,
        status_code=422,
    )


# ------------------------------------------------------------------------ form posts

#: What a form post does once its form is read: runs on a worker thread.
FormHandler = Callable[[Request, Services, FormData], Response]
#: The same for a form that needs a signed-in staff member.
StaffFormHandler = Callable[[Request, Services, FormData, Principal], Response]


async def _form_post(request: Request, handle: FormHandler) -> Response:
    """Read a posted form and check its CSRF token on the event loop; run the rest —
    password checks, the service call, the page — on a worker thread, so that hashing a
    password or committing to the log never holds up the other requests."""
    services = services_of(request)
    try:
        form = await read_form(request)
    except CsrfError:
        return _csrf_failed(request, services)
    return await run_in_threadpool(handle, request, services, form)


def _signed_in(handle: StaffFormHandler) -> FormHandler:
    """``handle`` for the signed-in staff member; the sign-in page when there is none."""

    def run(request: Request, services: Services, form: FormData) -> Response:
        principal = _staff_or_login(request, services)
        if isinstance(principal, Response):
            return principal
        return handle(request, services, form, principal)

    return run


# ------------------------------------------------------------------------ sign in / out


@router.post("/loket/masuk")
async def sign_in(request: Request) -> Response:
    return await _form_post(request, _sign_in)


def _sign_in(request: Request, services: Services, form: FormData) -> Response:
    page = page_context(request)
    try:
        next_page = safe_next(field(form, "next", limit=40))
        username = field(form, "username", limit=64)
        password = field(form, "password", limit=256)
    except PageInputError:
        return _bad_form(request, services)
    try:
        result = services.auth.login(username, password)
    except (LoginFailedError, LoginThrottledError) as exc:
        status = 429 if isinstance(exc, LoginThrottledError) else 401
        return _login_page(
            request,
            services,
            message=_message(exc, page.t),
            next_page=next_page,
            status_code=status,
        )
    response = RedirectResponse(next_page, status_code=303)
    start_session(response, result, services)
    return response


@router.post("/loket/keluar")
async def sign_out(request: Request) -> Response:
    return await _form_post(request, _sign_out)


def _sign_out(request: Request, services: Services, _form: FormData) -> Response:
    principal = current_principal(request, services)
    if principal is not None:
        services.auth.logout(principal)
    response = RedirectResponse("/loket", status_code=303)
    end_session(response, services)
    return response


# ------------------------------------------------------------------------ the counter


def _office(services: Services, principal: Principal) -> OfficeInfo | None:
    return office_directory(services).get(principal.office or "")


def _chosen_counter(request: Request, office: OfficeInfo | None, wanted: str | None) -> str:
    codes = [c.code for c in office.counters] if office else []
    for candidate in (wanted, request.cookies.get(COUNTER_COOKIE)):
        if candidate in codes:
            return str(candidate)
    return codes[0] if codes else ""


def _recent(request: Request, office: str, counter: str) -> list[dict[str, Any]]:
    def read(stats: LedgerStats) -> list[dict[str, Any]]:
        facts = stats.recent_for(office, counter)[:_RECENT_SHOWN]
        return [
            {
                "seq": f.seq,
                "number": f.number,
                "service": f.service,
                "charged": f.charged,
                "at": f.at,
                "voided": f.seq in stats.voided,
            }
            for f in facts
        ]

    return ledger_stats(request, read)


def _service_code(text: str, version: ScheduleVersion) -> str | None:
    """The service a petugas typed: a code, ``CODE — name`` from the list, or an exact name."""
    head = text.split("—", maxsplit=1)[0].strip().upper()
    if head in version:
        return head
    folded = text.strip().casefold()
    for item in version.items:
        if item.name.casefold() == folded:
            return item.code
    return None


def _counter_context(
    request: Request,
    services: Services,
    principal: Principal,
    page: PageContext,
    *,
    counter: str | None,
    service_text: str,
    values: dict[str, str],
    charged: int | None = None,
    waiver: str | None = None,
) -> dict[str, Any]:
    office = _office(services, principal)
    chosen = _chosen_counter(request, office, counter)
    context: dict[str, Any] = {
        "principal": principal,
        "office_name": office.name if office else (principal.office or ""),
        "counters": office.counters if office else (),
        "counter": chosen,
        "can_issue": principal.role is Role.COUNTER,
        "fees": (),
        "fee": None,
        "service_text": service_text,
        "values": values,
        "quote": None,
        "quote_error": None,
        "charged": charged,
        "waiver": waiver,
        "refusal": None,
        "flash": None,
        "error": None,
        "idem": secrets.token_urlsafe(18),
        "recent": _recent(request, principal.office or "", chosen) if chosen else [],
        "day_closed": bool(chosen)
        and services.follower.current().state.day_closed(
            principal.office or "", chosen, wib_date(services.clock())
        ),
    }
    try:
        version = schedule_in_force(services)
    except NoScheduleInForce:
        context["error"] = page.t("error.unavailable")
        return context
    context["fees"] = fee_views(version, page.t)
    code = _service_code(service_text, version) if service_text else None
    if service_text and code is None:
        context["error"] = page.t("fees.none", q=service_text)
    if code is None:
        return context
    item = version.item(code)
    context["fee"] = fee_view(item, page.t)
    context["service_text"] = f"{item.code} — {item.name}"
    needs_values = any(spec.default is None for spec in item.tariff.inputs)
    if values or not needs_values:
        context["quote"], context["quote_error"] = quote_or_problem(
            version, code, values, services.clock(), page.t
        )
    return context


def _counter_page(
    request: Request, services: Services, context: dict[str, Any], *, status_code: int = 200
) -> Response:
    response = render_form_page(
        request,
        "loket.html",
        context,
        secure=services.settings.secure_cookies,
        status_code=status_code,
    )
    if context["counter"]:
        response.set_cookie(
            COUNTER_COOKIE,
            context["counter"],
            httponly=True,
            samesite="lax",
            path="/loket",
            secure=services.settings.secure_cookies,
        )
    return response


@router.get("/loket", response_class=HTMLResponse)
def counter_page(request: Request, counter: str | None = None, service: str = "") -> Response:
    services = services_of(request)
    principal = current_principal(request, services)
    if principal is None:
        expired = bool(request.cookies.get(SESSION_COOKIE))
        page = page_context(request)
        return _login_page(
            request, services, message=page.t("counter.session_expired") if expired else None
        )
    if principal.role is Role.INSPECTOR:
        return RedirectResponse("/inspektorat", status_code=303)
    page = page_context(request)
    if principal.role not in _COUNTER_PAGE_ROLES:
        return _forbidden(request, services, page.t("counter.no_role"))
    context = _counter_context(
        request,
        services,
        principal,
        page,
        counter=counter,
        service_text=service.strip()[:120],
        values=inputs_of(request.query_params),
    )
    return _counter_page(request, services, context)


def _staff_or_login(request: Request, services: Services) -> Principal | Response:
    principal = current_principal(request, services)
    if principal is None:
        page = page_context(request)
        return _login_page(
            request, services, message=page.t("counter.session_expired"), status_code=401
        )
    return principal


@router.post("/loket/terbitkan")
async def issue(request: Request) -> Response:
    return await _form_post(request, _signed_in(_issue))


def _issue(request: Request, services: Services, form: FormData, principal: Principal) -> Response:
    page = page_context(request)
    try:
        counter = field(form, "counter", limit=16)
        service = field(form, "service", limit=64)
        waiver = field(form, "waiver", limit=64) or None
        idempotency_key = field(form, "idem", limit=64) or secrets.token_urlsafe(18)
    except PageInputError:
        return _bad_form(request, services)
    values = inputs_of(form)
    try:
        require_role(principal, {Role.COUNTER})
        charged = rupiah_field(form, "charged")
        view, _created = services.receipts.issue(
            principal,
            IssueCommand(
                counter=counter, service=service, inputs=values, charged=charged, waiver=waiver
            ),
            idempotency_key,
        )
    except PageInputError:
        context = _counter_context(
            request, services, principal, page, counter=counter, service_text=service, values=values
        )
        context["error"] = page.t("complaint.bad_amount")
        return _counter_page(request, services, context, status_code=422)
    except ChargeRefusedError as exc:
        context = _counter_context(
            request,
            services,
            principal,
            page,
            counter=counter,
            service_text=service,
            values=values,
            charged=exc.extra.get("charged"),
            waiver=waiver,
        )
        context["refusal"] = {"message": _message(exc, page.t), "seq": exc.extra.get("seq")}
        return _counter_page(request, services, context, status_code=422)
    except ServiceError as exc:
        context = _counter_context(
            request, services, principal, page, counter=counter, service_text=service, values=values
        )
        context["error"] = _message(exc, page.t)
        status = 409 if isinstance(exc, DayClosedError) else 422
        return _counter_page(request, services, context, status_code=status)
    return RedirectResponse(f"/loket/kuitansi/{view.seq}", status_code=303)


# ------------------------------------------------------------------------ one receipt


def _receipt_page(
    request: Request,
    services: Services,
    principal: Principal,
    seq: int,
    *,
    flash: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    page = page_context(request)
    try:
        view = services.reader.get_for_staff(principal, seq)
        voided = services.reader.status(seq).status == "voided"
    except ServiceError as exc:
        return _forbidden(request, services, _message(exc, page.t))
    office = _office(services, principal)
    try:
        service_name = schedule_in_force(services).item(view.service).name
    except (NoScheduleInForce, UnknownServiceError):
        service_name = view.service
    return render_form_page(
        request,
        "loket_receipt.html",
        {
            "principal": principal,
            "office_name": office.name if office else view.office,
            "receipt": view,
            "service_name": service_name,
            "voided": voided,
            "flash": flash,
            "error": error,
        },
        secure=services.settings.secure_cookies,
        status_code=status_code,
        page=page,
    )


@router.get("/loket/kuitansi/{seq}", response_class=HTMLResponse)
def receipt_page(request: Request, seq: int) -> Response:
    services = services_of(request)
    principal = _staff_or_login(request, services)
    if isinstance(principal, Response):
        return principal
    flash = None
    if request.query_params.get("batal") == "1":
        flash = page_context(request).t(
            "counter.void_done", number=services.reader.get(seq).receipt_no
        )
    return _receipt_page(request, services, principal, seq, flash=flash)


@router.post("/loket/batal/{seq}")
async def void(request: Request, seq: int) -> Response:
    """Void a receipt: a supervisor directly, a petugas with the supervisor's approval typed in."""
    return await _form_post(request, _signed_in(partial(_void, seq=seq)))


def _void(
    request: Request, services: Services, form: FormData, principal: Principal, *, seq: int
) -> Response:
    page = page_context(request)
    try:
        reason = field(form, "reason", limit=500)
        supervisor = field(form, "supervisor", limit=64)
        supervisor_password = field(form, "supervisor_password", limit=256)
        named_requester = field(form, "requested_by", limit=64) or None
    except PageInputError:
        return _bad_form(request, services)
    approver = principal
    temporary = False
    # Who asked: the petugas signed in here, or the one a supervisor names (if any).
    requested_by = named_requester if principal.role is Role.SUPERVISOR else principal.user_id
    try:
        if principal.role is not Role.SUPERVISOR:
            approver = services.auth.login(supervisor, supervisor_password).principal
            temporary = True
            if approver.role is not Role.SUPERVISOR or approver.office != principal.office:
                raise WrongRoleError(
                    "expected the approval of a supervisor of this office",
                    page.t("counter.supervisor_only"),
                )
        services.receipts.void(approver, seq, reason, requested_by)
    except ServiceError as exc:
        return _receipt_page(
            request, services, principal, seq, error=_message(exc, page.t), status_code=422
        )
    finally:
        if temporary:
            services.auth.logout(approver)  # the approval session ends with the approval
    return RedirectResponse(f"/loket/kuitansi/{seq}?batal=1", status_code=303)


@router.post("/loket/tutup")
async def close_day(request: Request) -> Response:
    return await _form_post(request, _signed_in(_close_day))


def _close_day(
    request: Request, services: Services, form: FormData, principal: Principal
) -> Response:
    page = page_context(request)
    try:
        counter = field(form, "counter", limit=16)
    except PageInputError:
        return _bad_form(request, services)
    context = _counter_context(
        request, services, principal, page, counter=counter, service_text="", values={}
    )
    try:
        require_role(principal, {Role.COUNTER})
        closing = services.cashier.close_day(principal, ClosingCommand(counter=counter))
    except ServiceError as exc:
        context["error"] = _message(exc, page.t)
        return _counter_page(request, services, context, status_code=422)
    context["day_closed"] = context["counter"] == closing.counter
    context["flash"] = page.t(
        "counter.close_done",
        date=closing.date,
        count=closing.count,
        total=format_rupiah(closing.total),
        voids=format_rupiah(closing.void_total),
        net=format_rupiah(closing.net),
    )
    return _counter_page(request, services, context)
