"""Reading the pages' form posts, and rendering pages that hold forms.

Every state-changing page form is a POST carrying the CSRF token (:mod:`api.web.csrf`);
:func:`render_form_page` puts the token in the template context and sets its cookie when
the browser has none yet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from api.web.csrf import CSRF_FIELD, check_csrf, csrf_token, set_csrf_cookie
from api.web.errors import PageInputError
from api.web.rendering import PageContext, render

__all__ = ["INPUT_PREFIX", "field", "inputs_of", "read_form", "render_form_page", "rupiah_field"]

#: Form fields named ``in.<name>`` carry a service's declared inputs.
INPUT_PREFIX = "in."
_MAX_FIELD = 2000
_RUPIAH = re.compile(r"[0-9]{1,15}")


async def read_form(request: Request) -> FormData:
    """The posted form, after checking its CSRF token and origin (raises CsrfError)."""
    form = await request.form()
    token = form.get(CSRF_FIELD)
    check_csrf(request, token if isinstance(token, str) else None)
    return form


def field(form: FormData | Mapping[str, Any], name: str, *, limit: int = _MAX_FIELD) -> str:
    """A text field, stripped; missing → empty; longer than ``limit`` → PageInputError."""
    value = form.get(name)
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > limit:
        raise PageInputError(name, f"at most {limit} characters", text[:40] + "…")
    return text


def rupiah_field(form: FormData, name: str) -> int:
    """Whole rupiah typed as ``15000``, ``15.000`` or ``Rp15.000``; raises PageInputError."""
    raw = field(form, name, limit=30)
    digits = raw.removeprefix("Rp").removeprefix("rp").replace(".", "").replace(" ", "")
    if not _RUPIAH.fullmatch(digits):
        raise PageInputError(name, "whole rupiah such as 15000 or 15.000", raw)
    return int(digits)


def inputs_of(params: FormData | Mapping[str, Any]) -> dict[str, str]:
    """The ``in.<name>`` fields as ``{name: text}`` (decimal comma read as a point)."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if key.startswith(INPUT_PREFIX) and isinstance(value, str):
            out[key[len(INPUT_PREFIX) :][:40]] = value.strip()[:40].replace(",", ".")
    return out


def render_form_page(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    secure: bool,
    status_code: int = 200,
    page: PageContext | None = None,
) -> HTMLResponse:
    """Render a page whose forms need the CSRF token; sets the token cookie if it is new."""
    token, is_new = csrf_token(request)
    response = render(
        request, template, {**context, "csrf": token}, status_code=status_code, page=page
    )
    if is_new:
        set_csrf_cookie(response, token, secure=secure)
    return response
