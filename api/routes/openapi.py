"""OpenAPI declarations shared by the routers: problem responses by status code."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from api.problems import PROBLEM_MEDIA_TYPE
from api.schemas import ProblemModel

__all__ = ["STAFF", "problems"]

_DESCRIPTIONS = {
    400: "Bad request (e.g. Idempotency-Key missing).",
    401: "Credential missing, wrong, expired or revoked.",
    403: "Wrong role or wrong office.",
    404: "Not found.",
    409: "Conflicts with the ledger.",
    413: "Too large.",
    422: "Validation failed or the charge was refused.",
    429: "Rate limited or login throttled (see Retry-After).",
    503: "Storage unavailable (see Retry-After).",
}


#: A ledger index in a path: bounded to the ledger data model (integers within ±(2**53 - 1)).
LedgerIndex = Annotated[int, Path(ge=0, le=2**53 - 1, description="Ledger index (seq).")]
#: A tree size in a query string, bounded the same way.
TREE_SIZE_MAX = 2**53 - 1


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting RFC 9457 problem bodies for ``codes``."""
    return {
        code: {
            "model": ProblemModel,
            "description": _DESCRIPTIONS.get(code, "Problem."),
            "content": {
                PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemModel"}}
            },
        }
        # FastAPI documents a 422 on every route with parameters; ours is a problem too.
        for code in (*codes, 422, 503)
    }


#: The problems every staff route can answer with.
STAFF = (401, 403, 422)
