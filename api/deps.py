"""FastAPI dependencies: the service container, the authenticated principal, rate limits.

Route handlers declare who may call them with one of the ``*Staff`` aliases (or
:data:`Public` for rate-limited public routes); nothing else in a handler checks roles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from api.errors import RateLimitedError
from api.services.container import Services
from api.services.roles import Principal, Role, require_role

__all__ = [
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
    "client_address",
    "credential_of",
]

SESSION_COOKIE = "bukti_session"


def get_services(request: Request) -> Services:
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


def client_address(request: Request, trust_forwarded_for: bool) -> str:
    """The client's address; the first ``X-Forwarded-For`` hop only behind a trusted proxy."""
    if trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.client.host if request.client else "unknown"


def _staff(*roles: Role) -> Callable[[Request, Services], Principal]:
    allowed = frozenset(roles)

    def dependency(request: Request, services: ServicesDep) -> Principal:
        principal = services.auth.authenticate(credential_of(request))
        request.state.principal = principal
        require_role(principal, allowed)
        return principal

    dependency.__name__ = "staff_" + "_".join(sorted(r.value for r in allowed))
    return dependency


def public(request: Request, services: ServicesDep) -> None:
    """Per-address token bucket of the public endpoints (429 + Retry-After when empty)."""
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
