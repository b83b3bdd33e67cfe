"""Rendering pages: the Jinja2 environment, static assets and the headers every page carries.

Every page is served with a strict Content Security Policy (``script-src 'self'``: the
pages have no inline script; data for the browser travels in a
``<script type="application/json">`` block, which is never executed), no referrer, and
no framing. Static files are addressed with a content hash (``/static/app.css?v=…``)
so a cheap phone caches them for a year and never reloads an unchanged file.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.web.errors import StaticFileNotFoundError
from api.web.i18n import LANG_COOKIE, LANGS, Lang, Translator, choose_lang
from ledger.schedule.amounts import format_rupiah
from ledger.schedule.wib import format_wib

__all__ = [
    "SECURITY_HEADERS",
    "PageContext",
    "StaticFile",
    "asset_url",
    "page_context",
    "render",
    "static_file",
    "static_response",
]

_HERE: Final = Path(__file__).resolve().parent
_TEMPLATES: Final = _HERE / "templates"
_STATIC: Final = _HERE / "static"

#: Sent with every page. ``connect-src 'self'``: the verify page talks only to this server.
SECURITY_HEADERS: Final[Mapping[str, str]] = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), geolocation=(), microphone=()",
}
_LANG_COOKIE_SECONDS: Final = 365 * 24 * 3600
_IMMUTABLE: Final = "public, max-age=31536000, immutable"


@dataclass(frozen=True, slots=True)
class StaticFile:
    """One file under ``static/``, read once: bytes, media type and content hash."""

    body: bytes
    media_type: str
    version: str


@cache
def _static_files() -> Mapping[str, StaticFile]:
    files: dict[str, StaticFile] = {}
    for path in sorted(_STATIC.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(_STATIC).as_posix()
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if media_type in ("text/javascript", "application/javascript", "text/css"):
            media_type += "; charset=utf-8"
        body = path.read_bytes()
        files[name] = StaticFile(body, media_type, hashlib.sha256(body).hexdigest()[:12])
    return files


def static_file(name: str) -> StaticFile:
    """The static file ``name`` (a path below ``static/``); only files that exist are served."""
    found = _static_files().get(name)
    if found is None:
        raise StaticFileNotFoundError(name)
    return found


def asset_url(name: str) -> str:
    """The cache-busting URL of a static file."""
    return f"/static/{name}?v={static_file(name).version}"


def static_response(name: str, version: str | None) -> Response:
    """Serve a static file; a request naming the current version is cached for a year."""
    found = static_file(name)
    cache_control = _IMMUTABLE if version == found.version else "public, max-age=300"
    return Response(
        found.body,
        media_type=found.media_type,
        headers={
            "Cache-Control": cache_control,
            "ETag": f'"{found.version}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["rupiah"] = format_rupiah
    env.filters["wib"] = format_wib
    env.globals["asset"] = asset_url
    return env


@dataclass(frozen=True, slots=True)
class PageContext:
    """What every template gets: language, translator, links to switch language."""

    lang: Lang
    t: Translator
    path: str
    other_lang: Lang
    other_lang_url: str
    lang_from_query: bool


def page_context(request: Request) -> PageContext:
    """Language of this request and the URL of the same page in the other language."""
    query_lang = request.query_params.get("lang")
    lang = choose_lang(query_lang, request.cookies.get(LANG_COOKIE))
    other: Lang = LANGS[1] if lang == LANGS[0] else LANGS[0]
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", other))
    return PageContext(
        lang=lang,
        t=Translator(lang),
        path=request.url.path,
        other_lang=other,
        other_lang_url=f"{request.url.path}?{urlencode(params)}",
        lang_from_query=query_lang in LANGS,
    )


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
    page: PageContext | None = None,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template`` with the page context; set security headers and the language cookie."""
    page = page or page_context(request)
    html = _environment().get_template(template).render(page=page, t=page.t, **context)
    response = HTMLResponse(html, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    response.headers["Cache-Control"] = "no-store"
    if headers:
        response.headers.update(headers)
    if page.lang_from_query:
        response.set_cookie(
            LANG_COOKIE, page.lang, max_age=_LANG_COOKIE_SECONDS, samesite="lax", httponly=True
        )
    return response
