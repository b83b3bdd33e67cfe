"""Staff sessions of the pages: who is signed in, signing in and out.

A page login opens the same session credential as ``POST /api/v1/auth/login`` (through
:class:`api.services.auth.AuthService`) and sets it as the ``bukti_session`` cookie:
HttpOnly, ``SameSite=Lax``, ``Secure`` behind https, living as long as the session's idle
timeout. The PDF and PNG reprint endpoints read the same cookie.
"""

from __future__ import annotations

from typing import Final

from fastapi import Request, Response

from api.deps import SESSION_COOKIE, credential_of
from api.errors import AuthenticationError
from api.services.auth import LoginResult
from api.services.container import Services
from api.services.roles import Principal

__all__ = ["NEXT_PAGES", "current_principal", "end_session", "safe_next", "start_session"]

#: Where a login may send the browser next (never an arbitrary URL: no open redirect).
NEXT_PAGES: Final = ("/loket", "/inspektorat")


def current_principal(request: Request, services: Services) -> Principal | None:
    """The signed-in staff member, or ``None`` for a missing, expired or revoked session."""
    if not request.cookies.get(SESSION_COOKIE) and "authorization" not in request.headers:
        return None
    try:
        return services.auth.authenticate(credential_of(request))
    except AuthenticationError:
        return None


def start_session(response: Response, result: LoginResult, services: Services) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        max_age=services.settings.session_timeout_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=services.settings.secure_cookies,
        path="/",
    )


def end_session(response: Response, services: Services) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        httponly=True,
        samesite="lax",
        secure=services.settings.secure_cookies,
        path="/",
    )


def safe_next(value: str | None) -> str:
    """``value`` when it is one of :data:`NEXT_PAGES`, else ``/loket``."""
    return value if value in NEXT_PAGES else NEXT_PAGES[0]
