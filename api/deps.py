"""FastAPI dependencies: the service container, the authenticated principal, rate limits.

Route handlers declare who may call them with one of the ``*Staff`` aliases (or
:data:`Public` for rate-limited public routes); nothing else in a handler checks roles.

A staff write (any method but GET, HEAD, OPTIONS) authenticated by the session cookie
rather than an ``Authorization`` header must also carry ``X-CSRF-Token``: the pages'
double-submit token (the ``bukti_csrf`` cookie's value) or the session's own CSRF token
(given at login), and must not come from another origin — else 403 ``csrf`` (OWASP CSRF
Prevention Cheat Sheet, "double submit cookie" and "verifying origin"). A browser on
another site sends the cookie but can neither read nor set those tokens.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Final
from urllib.parse import urlsplit

from fastapi import Depends, Request

from api.errors import CsrfRejectedError, RateLimitedError
from api.services.container import Services
from api.services.credentials import csrf_matches, session_csrf_token
from api.services.roles import Principal, Role, require_role

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "AdminStaff",
    "AnyStaff",
    "CounterStaff",
    "InspectorStaff",
    "Public",
    "ReprintStaff",
    "ServicesDep",
    "SupervisorStaff",
    "TreasurerStaff",
    "check_api_csrf",
    "client_address",
    "credential_of",
    "services_of",
]

SESSION_COOKIE: Final = "bukti_session"
#: The pages' double-submit CSRF cookie (HttpOnly, SameSite=Strict; api.web.csrf).
CSRF_COOKIE: Final = "bukti_csrf"
#: The header carrying the CSRF token on cookie-authenticated API writes.
CSRF_HEADER: Final = "X-CSRF-Token"
_SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_services(request: Request) -> Services:
    # A coroutine, like the dependencies below: FastAPI runs a plain function dependency
    # on a worker thread, a hop that costs more than what these do.
    return services_of(request)


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def credential_of(request: Request) -> str | None:
    """The bearer token of the ``Authorization`` header, else the session cookie."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() == "bearer" and value.strip() else header
    return request.cookies.get(SESSION_COOKIE)


def check_api_csrf(request: Request) -> None:
    """Refuse a cookie-authenticated staff write without its CSRF token (see above)."""
    if request.method in _SAFE_METHODS or request.headers.get("authorization"):
        return  # a read, or a bearer credential a browser never sends on its own
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        return
    submitted = request.headers.get(CSRF_HEADER)
    if not csrf_matches(submitted, request.cookies.get(CSRF_COOKIE), session_csrf_token(session)):
        raise CsrfRejectedError(
            f"expected a {CSRF_HEADER} header matching the session's CSRF token for a write "
            f"authenticated by the session cookie, found {'a wrong one' if submitted else 'none'}",
            "Permintaan ditolak: token CSRF tidak ada atau tidak cocok. Muat ulang halaman.",
        )
    origin = request.headers.get("origin")
    if origin and origin != "null":
        parts = urlsplit(origin)
        if (parts.scheme, parts.netloc) != (request.url.scheme, request.url.netloc):
            raise CsrfRejectedError(
                f"expected a request from {request.url.scheme}://{request.url.netloc}, "
                f"found one from {origin!r}",
                "Permintaan dari situs lain ditolak.",
            )


def client_address(request: Request, trust_forwarded_for: bool) -> str:
    """The client's address; the first ``X-Forwarded-For`` hop only behind a trusted proxy."""
    if trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.client.host if request.client else "unknown"


def _staff(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    allowed = frozenset(roles)

    async def dependency(request: Request) -> Principal:
        services = services_of(request)
        principal = await services.auth.authenticate_async(credential_of(request))
        request.state.principal = principal
        check_api_csrf(request)
        require_role(principal, allowed)
        return principal

    dependency.__name__ = "staff_" + "_".join(sorted(r.value for r in allowed))
    return dependency


async def public(request: Request) -> None:
    """Per-address token bucket of the public endpoints (429 + Retry-After when empty)."""
    services = services_of(request)
    address = client_address(request, services.settings.trust_forwarded_for)
    wait = services.limiter.take(address, services.clock())
    if wait:
        raise RateLimitedError(wait)


Public = Depends(public)
AnyStaff = Annotated[Principal, Depends(_staff(*Role))]
CounterStaff = Annotated[Principal, Depends(_staff(Role.COUNTER))]
SupervisorStaff = Annotated[Principal, Depends(_staff(Role.SUPERVISOR))]
TreasurerStaff = Annotated[Principal, Depends(_staff(Role.TREASURER))]
InspectorStaff = Annotated[Principal, Depends(_staff(Role.INSPECTOR))]
AdminStaff = Annotated[Principal, Depends(_staff(Role.ADMIN))]
#: Reprints and receipt details: the office's own counter staff and supervisors, inspectors.
ReprintStaff = Annotated[Principal, Depends(_staff(Role.COUNTER, Role.SUPERVISOR, Role.INSPECTOR))]
