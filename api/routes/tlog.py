"""C2SP ``tlog-tiles`` read endpoints at the root (or under ``BUKTI_TILE_PREFIX``).

``/checkpoint`` is ``text/plain; charset=utf-8`` and never cached; full tiles and entry
bundles are immutable (``Cache-Control: public, max-age=31536000, immutable``); partial
ones are cached briefly because a fuller version will replace them.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import Public, ServicesDep
from api.routes.openapi import problems

__all__ = ["build_router"]

_IMMUTABLE = "public, max-age=31536000, immutable"
_PARTIAL = "public, max-age=10"


def build_router(prefix: str) -> APIRouter:
    """The read endpoints under ``prefix`` (``""`` or ``/something``)."""
    router = APIRouter(prefix=prefix, tags=["transparency log"], dependencies=[Public])

    @router.get(
        "/checkpoint",
        response_class=Response,
        responses={
            200: {"content": {"text/plain": {}}, "description": "The latest signed checkpoint."},
            **problems(429),
        },
        summary="The latest checkpoint (C2SP tlog-checkpoint signed note)",
    )
    def checkpoint(services: ServicesDep) -> Response:
        return Response(
            services.public_log.checkpoint(),
            media_type="text/plain; charset=utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    @router.get(
        "/tile/{path:path}",
        response_class=Response,
        responses={
            200: {
                "content": {"application/octet-stream": {}},
                "description": "A hash tile or entry bundle.",
            },
            **problems(404, 429),
        },
        summary="A hash tile /tile/<L>/<N>[.p/<W>] or entry bundle /tile/entries/<N>[.p/<W>]",
    )
    def tile(path: str, services: ServicesDep) -> Response:
        data = services.public_log.tile(f"tile/{path}")
        return Response(
            data.data,
            media_type="application/octet-stream",
            headers={"Cache-Control": _IMMUTABLE if data.immutable else _PARTIAL},
        )

    return router
