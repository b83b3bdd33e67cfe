"""Operations: ``/healthz`` (liveness + database) and ``/metrics`` (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import ServicesDep
from api.routes.openapi import problems
from api.schemas import HealthResponse

router = APIRouter(tags=["operations"])


@router.get(
    "/healthz",
    response_model=HealthResponse,
    responses=problems(),
    summary="The service is up and its database answers",
)
def healthz(services: ServicesDep) -> HealthResponse:
    return HealthResponse(status="ok", log_size=services.store.size())


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus metrics."}},
    summary="Prometheus metrics",
)
def metrics(services: ServicesDep) -> Response:
    services.metrics.log_size.set(services.store.size())
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)
