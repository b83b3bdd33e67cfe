"""Public endpoints (no login, rate-limited per client address).

Fee schedules and quotes, receipt verification and status with inclusion proof,
consistency proofs, the trust list, offices, and complaints.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import Public, ServicesDep
from api.routes.openapi import TREE_SIZE_MAX, LedgerIndex, problems
from api.routes.presenters import schedule_body, status_body, verify_body
from api.schemas import (
    ComplaintRequest,
    ComplaintResponse,
    ConsistencyResponse,
    CounterModel,
    OfficeModel,
    QuoteResponse,
    ReceiptStatusResponse,
    ScheduleResponse,
    VerifyRequest,
    VerifyResponse,
)
from api.services.complaints import ComplaintCommand

router = APIRouter(prefix="/api/v1", tags=["public"], dependencies=[Public])
well_known = APIRouter(tags=["public"], dependencies=[Public])

#: Query parameters of ``/quote`` that are not service inputs.
_QUOTE_RESERVED = frozenset({"service"})


@router.get(
    "/schedules",
    response_model=list[ScheduleResponse],
    responses=problems(429),
    summary="Every published schedule version, oldest first",
)
def list_schedules(services: ServicesDep) -> list[ScheduleResponse]:
    return [schedule_body(v, with_document=False) for v in services.schedules.list()]


@router.get(
    "/schedules/current",
    response_model=ScheduleResponse,
    responses=problems(409, 429),
    summary="The schedule version in force now, with its document",
)
def current_schedule(services: ServicesDep) -> ScheduleResponse:
    return schedule_body(services.schedules.current(), with_document=True)


@router.get(
    "/schedules/{version}",
    response_model=ScheduleResponse,
    responses=problems(404, 429),
    summary="One schedule version, with its document",
)
def get_schedule(version: str, services: ServicesDep) -> ScheduleResponse:
    return schedule_body(services.schedules.version(version), with_document=True)


@router.get(
    "/quote",
    response_model=QuoteResponse,
    responses=problems(404, 409, 422, 429),
    summary="The official fee of a service: /quote?service=RJU-SMP-01&bulan=3",
)
def get_quote(
    request: Request,
    services: ServicesDep,
    service: Annotated[str, Query(min_length=1, max_length=64, description="Service code.")],
) -> QuoteResponse:
    inputs: dict[str, str | int] = {
        k: v for k, v in request.query_params.items() if k not in _QUOTE_RESERVED
    }
    return QuoteResponse.model_validate(services.schedules.quote(service, inputs).to_json_value())


@router.post(
    "/verify",
    response_model=VerifyResponse,
    responses=problems(422, 429),
    summary="Verify a receipt (QR URL or Base32 payload): signature, log status, proof",
)
def verify(body: VerifyRequest, services: ServicesDep) -> VerifyResponse:
    return verify_body(services.verification.verify(body.input))


@router.get(
    "/receipts/{seq}/status",
    response_model=ReceiptStatusResponse,
    responses=problems(404, 429),
    summary="Issued or voided, with the latest checkpoint and the inclusion proof for it",
)
def receipt_status(seq: LedgerIndex, services: ServicesDep) -> ReceiptStatusResponse:
    return status_body(services.reader.status(seq))


@router.get(
    "/proof/consistency",
    response_model=ConsistencyResponse,
    responses=problems(404, 422, 429),
    summary="RFC 9162 consistency proof between two tree sizes",
)
def consistency(
    services: ServicesDep,
    first: Annotated[int, Query(alias="from", ge=0, le=TREE_SIZE_MAX)],
    second: Annotated[int, Query(alias="to", ge=0, le=TREE_SIZE_MAX)],
) -> ConsistencyResponse:
    view = services.public_log.consistency(first, second)
    return ConsistencyResponse(first=view.first, second=view.second, proof=list(view.proof))


@router.get(
    "/offices",
    response_model=list[OfficeModel],
    responses=problems(429),
    summary="Offices and their counters",
)
def offices(services: ServicesDep) -> list[OfficeModel]:
    return [
        OfficeModel(
            code=v.office.code,
            name=v.office.name,
            area=v.office.area,
            counters=[CounterModel(code=c.code, name=c.name) for c in v.counters],
        )
        for v in services.directory.offices()
    ]


@router.post(
    "/complaints",
    response_model=ComplaintResponse,
    status_code=201,
    responses=problems(422, 429),
    summary="File a complaint (Lapor); personal data stays out of the log",
)
def file_complaint(body: ComplaintRequest, services: ServicesDep) -> ComplaintResponse:
    view = services.complaints.file(
        ComplaintCommand(receipt=body.receipt, paid=body.paid, text=body.text, contact=body.contact)
    )
    return ComplaintResponse(
        tracking_no=view.tracking_no,
        status=view.status,
        filed_at=view.filed_at,
        updated_at=view.updated_at,
        seq=view.seq,
    )


@router.get(
    "/complaints/{tracking_no}",
    response_model=ComplaintResponse,
    responses=problems(404, 429),
    summary="A complaint's status (status only, no content)",
)
def complaint_status(tracking_no: str, services: ServicesDep) -> ComplaintResponse:
    view = services.complaints.status(tracking_no)
    return ComplaintResponse(
        tracking_no=view.tracking_no,
        status=view.status,
        filed_at=view.filed_at,
        updated_at=view.updated_at,
    )


@well_known.get(
    "/.well-known/bukti/keys.json",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}}, "description": "The trust list."},
        **problems(429),
    },
    summary="The public trust list: every log and receipts key with its validity",
)
def trust_list(services: ServicesDep) -> Response:
    return Response(
        services.public_log.trust_list(),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=300"},
    )
