"""Inspectorate (role inspector): audit the live database, export an audit bundle."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from api.deps import InspectorStaff, ServicesDep
from api.routes.openapi import STAFF, problems
from api.schemas import AuditRequest
from api.services.inspection import InspectionService

router = APIRouter(prefix="/api/v1", tags=["inspectorate"])


@router.post(
    "/audits",
    responses=problems(*STAFF),
    summary="Run an audit on the live database; returns the findings report",
)
async def run_audit(
    body: AuditRequest, principal: InspectorStaff, services: ServicesDep
) -> dict[str, Any]:
    inspection = InspectionService(services.settings, clock=services.clock)
    return await run_in_threadpool(inspection.run_audit, body.deposit_deadline_working_days)


@router.get(
    "/export",
    response_class=Response,
    responses={
        200: {"content": {"application/zip": {}}, "description": "The audit bundle, zipped."},
        **problems(*STAFF),
    },
    summary="Export an audit bundle of the whole log (zip)",
)
async def export(principal: InspectorStaff, services: ServicesDep) -> Response:
    inspection = InspectionService(services.settings, clock=services.clock)
    data = await run_in_threadpool(inspection.export_zip)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="bukti-export.zip"'},
    )
