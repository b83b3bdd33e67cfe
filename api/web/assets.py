"""``/static/{name}``: the stylesheet and scripts, served from memory with a content hash."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.web.errors import StaticFileNotFoundError
from api.web.rendering import static_response

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/static/{name:path}")
def static(name: str, v: str | None = None) -> Response:
    try:
        return static_response(name, v)
    except StaticFileNotFoundError:
        return Response(status_code=404)
