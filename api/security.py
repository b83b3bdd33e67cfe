"""Security headers on every response of the service (``docs/security.md``).

:func:`install_security` adds one pure ASGI middleware to an application. Every HTTP
response — pages, API, problem responses, static files, the last-resort 500 — leaves with:

- ``Content-Security-Policy`` (:data:`CONTENT_SECURITY_POLICY`): nothing inline may run,
  scripts and styles only from this origin, no framing, no ``<base>``, forms post here only
  (CSP Level 3, W3C Recommendation);
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
  ``X-Frame-Options: DENY`` and a ``Permissions-Policy`` that switches off powerful features;
- ``Strict-Transport-Security`` when the public URL is https (RFC 6797 §6.1).

A header a route has already set is kept (the pages send a stricter policy of their own).
One documented exception: FastAPI's interactive API documentation (``/docs``, ``/redoc``)
is a page built from third-party bundles plus one inline bootstrap block. Those two pages
get :data:`DOCS_POLICY_TEMPLATE`, which names the bundles' hosts and allows exactly the
inline blocks the page carries, by their SHA-256 hashes (CSP3 §8.3 "hash-source"), so even
there nothing injected could run.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Final

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import Settings

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "DOCS_POLICY_TEMPLATE",
    "PERMISSIONS_POLICY",
    "SecurityHeadersMiddleware",
    "install_security",
    "security_headers",
]

#: The policy of every response (CSP3 directives; ``'self'`` is this origin only).
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

#: Powerful browser features no page of Bukti uses (W3C Permissions Policy).
PERMISSIONS_POLICY: Final = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)

#: RFC 6797: one year, subdomains included; sent only when the public URL is https.
HSTS: Final = "max-age=31536000; includeSubDomains"

#: The interactive API documentation pages and the policy they get instead (see above).
DOCS_PATHS: Final = frozenset({"/docs", "/redoc"})
DOCS_POLICY_TEMPLATE: Final = (
    "default-src 'self'; script-src 'self' https://cdn.jsdelivr.net{scripts}; "
    "style-src 'self' https://cdn.jsdelivr.net https://fonts.googleapis.com{styles}; "
    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: "
    "https://fastapi.tiangolo.com https://cdn.redoc.ly; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

_INLINE_SCRIPT: Final = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
_INLINE_STYLE: Final = re.compile(rb"<style[^>]*>(.*?)</style>", re.S | re.I)
_MAX_DOCS_BODY: Final = 256 * 1024


def security_headers(settings: Settings) -> dict[str, str]:
    """The headers every response carries for a deployment with ``settings``."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": PERMISSIONS_POLICY,
    }
    if settings.secure_cookies:  # the public URL is https
        headers["Strict-Transport-Security"] = HSTS
    return headers


def _hash_sources(blocks: Iterable[bytes]) -> str:
    """`` 'sha256-…'`` for each inline block, as CSP3 §8.3 hashes it (the exact bytes)."""
    out = []
    for block in blocks:
        digest = base64.b64encode(hashlib.sha256(block).digest()).decode("ascii")
        out.append(f" 'sha256-{digest}'")
    return "".join(sorted(set(out)))


def docs_policy(html: bytes) -> str:
    """The policy of an API documentation page: its own inline blocks allowed by hash."""
    return DOCS_POLICY_TEMPLATE.format(
        scripts=_hash_sources(_INLINE_SCRIPT.findall(html)),
        styles=_hash_sources(_INLINE_STYLE.findall(html)),
    )


def _encoded(headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    """Headers as ASGI wants them: lower-case names, latin-1 bytes."""
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]


def _with_defaults(
    raw: list[tuple[bytes, bytes]], defaults: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """``raw`` plus each of the (encoded) ``defaults`` that the response did not set."""
    present = {name.lower() for name, _ in raw}
    return [*raw, *(header for header in defaults if header[0] not in present)]


class SecurityHeadersMiddleware:
    """Pure ASGI middleware adding :func:`security_headers` to every HTTP response."""

    def __init__(self, app: ASGIApp, headers: Mapping[str, str]) -> None:
        self.app = app
        self.headers = dict(headers)
        self._encoded = _encoded(self.headers)  # once, not per response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path") in DOCS_PATHS:
            await self._docs(scope, receive, send)
            return

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_defaults(list(message.get("headers", [])), self._encoded)
            await send(message)

        await self.app(scope, receive, add_headers)

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Buffer a documentation page to hash its inline blocks into its policy."""
        start: Message | None = None
        body = bytearray()

        async def buffer(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if len(body) > _MAX_DOCS_BODY:
                raise ValueError(f"documentation page over {_MAX_DOCS_BODY} bytes")
            if message.get("more_body", False):
                return
            headers = dict(self.headers)
            headers["Content-Security-Policy"] = docs_policy(bytes(body))
            raw = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            raw.append((b"content-length", str(len(body)).encode("ascii")))
            await send({**start, "headers": _with_defaults(raw, _encoded(headers))})
            await send({"type": "http.response.body", "body": bytes(body)})

        await self.app(scope, receive, buffer)


def install_security(app: FastAPI, settings: Settings) -> None:
    """Add the security headers to every response of ``app`` (call before it starts).

    Installed last, the middleware is the outermost layer, so error responses produced by
    inner layers carry the headers too.
    """
    app.add_middleware(SecurityHeadersMiddleware, headers=security_headers(settings))
