"""Inspectorate (role inspector): audit the live database, export an audit bundle, and
move residents' complaints on (``complaint.updated``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from api.deps import InspectorStaff, ServicesDep
from api.routes.openapi import STAFF, problems
from api.schemas import AuditRequest, ComplaintResponse, ComplaintStatusRequest
from audit.report import to_json_document

router = APIRouter(prefix="/api/v1", tags=["inspectorate"])


@router.post(
    "/audits",
    responses=problems(*STAFF),
    summary="Run an audit on the live database; returns the findings report",
)
async def run_audit(
    body: AuditRequest, principal: InspectorStaff, services: ServicesDep
) -> dict[str, Any]:
    result = await run_in_threadpool(
        services.inspection.run_audit, body.deposit_deadline_working_days
    )
    return to_json_document(result)


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
    data = await run_in_threadpool(services.inspection.export_zip)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="bukti-export.zip"'},
    )


@router.post(
    "/complaints/{tracking_no}/status",
    response_model=ComplaintResponse,
    responses=problems(*STAFF, 404, 409),
    summary="Set a complaint's status (complaint.updated); the note stays out of the log",
)
def update_complaint(
    tracking_no: str,
    body: ComplaintStatusRequest,
    principal: InspectorStaff,
    services: ServicesDep,
) -> ComplaintResponse:
    view = services.complaints.update_status(principal, tracking_no, body.status, body.note)
    return ComplaintResponse(
        tracking_no=view.tracking_no,
        status=view.status,
        filed_at=view.filed_at,
        updated_at=view.updated_at,
        seq=view.seq,
    )
