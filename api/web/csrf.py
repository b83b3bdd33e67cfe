"""CSRF protection of the pages' forms: a double-submit token plus an origin check.

Each form carries a hidden ``csrf`` field equal to the ``bukti_csrf`` cookie (random,
HttpOnly, ``SameSite=Strict``). Another site can neither read that cookie nor set it, so
it cannot forge a matching field (OWASP CSRF Prevention Cheat Sheet, "double submit
cookie"). A post must also come from this origin when the browser names one
(``Origin``, else ``Referer``). The session cookie itself is ``SameSite=Lax``.

The same token protects the JSON API when a page's script calls it with the session
cookie: the page carries it in ``<meta name="csrf-token">`` and ``static/js/common.js``
sends it as the ``X-CSRF-Token`` header (:func:`api.deps.check_api_csrf`).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Final
from urllib.parse import urlsplit

from fastapi import Request, Response

from api.deps import CSRF_COOKIE
from api.web.errors import CsrfError

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "check_csrf", "csrf_token", "set_csrf_cookie"]

CSRF_FIELD: Final = "csrf"
_TOKEN_BYTES: Final = 32


def csrf_token(request: Request) -> tuple[str, bool]:
    """The request's CSRF token, and whether it is new (then the response must set it)."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and 20 <= len(existing) <= 100:
        return existing, False
    return secrets.token_urlsafe(_TOKEN_BYTES), True


def set_csrf_cookie(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/"
    )


def _same_origin(request: Request, url: str) -> bool:
    parts = urlsplit(url)
    return (parts.scheme, parts.netloc) == (request.url.scheme, request.url.netloc)


def check_csrf(request: Request, submitted: str | None) -> None:
    """Raise :class:`CsrfError` unless the post carries the cookie's token from this origin."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
        raise CsrfError("expected the form's csrf field to equal the csrf cookie; it did not")
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin and origin != "null" and not _same_origin(request, origin):
        raise CsrfError(f"expected a post from {request.url.netloc}, found one from {origin!r}")
