"""Routes are matched in the order they are included (the busiest router first): no route
may be reachable only through the order, i.e. shadowed by an earlier route's pattern."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import compile_path

_PARAM = re.compile(r"\{([^}:]+)(:[a-z]+)?\}")


def _concrete(template: str) -> str:
    """A path the template serves: every parameter filled with a plausible value."""
    return _PARAM.sub(lambda m: "a1/b2" if m.group(2) == ":path" else "a1", template)


def test_every_route_is_the_first_match_for_its_own_paths(app: FastAPI) -> None:
    routes = [
        (route.path, frozenset(route.methods or ()))
        for route in iter_route_contexts(app.routes)
        if route.path is not None
    ]
    assert len(routes) > 40  # included routers flattened, not just the app's own routes
    patterns = [(compile_path(path)[0], path, methods) for path, methods in routes]
    shadowed = []
    for index, (_, path, methods) in enumerate(patterns):
        concrete = _concrete(path)
        for regex, earlier, earlier_methods in patterns[:index]:
            if earlier != path and methods & earlier_methods and regex.match(concrete):
                shadowed.append(f"{sorted(methods)} {path} is answered by {earlier}")
    assert not shadowed, shadowed


def test_receipt_issuance_is_matched_first_after_the_documentation(app: FastAPI) -> None:
    # FastAPI's own /openapi.json and /docs pages come first (exact paths, cheap to try);
    # then issuing a receipt, so the busiest request tries no other pattern.
    paths = [route.path for route in iter_route_contexts(app.routes)]
    documentation = {
        app.openapi_url,
        app.docs_url,
        app.redoc_url,
        app.swagger_ui_oauth2_redirect_url,
    }
    first = next(
        route for route in iter_route_contexts(app.routes) if route.path not in documentation
    )
    assert (first.path, first.methods) == ("/api/v1/receipts", {"POST"}), paths[:8]
