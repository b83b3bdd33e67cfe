"""Counter operations: issue, look up, reprint and void receipts; close the day; deposits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from api.deps import (
    CounterStaff,
    ReprintStaff,
    ServicesDep,
    SupervisorStaff,
    TreasurerStaff,
    services_of,
)
from api.errors import IdempotencyKeyRequiredError
from api.routes.openapi import STAFF, LedgerIndex, problems
from api.routes.presenters import receipt_body
from api.schemas import (
    ClosingRequest,
    ClosingResponse,
    DepositRequest,
    DepositResponse,
    IssueRequest,
    ReceiptResponse,
    VoidRequest,
    VoidResponse,
)
from api.services.cashier import ClosingCommand, DepositCommand
from api.services.issuance import IssueCommand
from receipts import receipt_url

router = APIRouter(prefix="/api/v1", tags=["counter"])

_MAX_KEY = 200


@router.post(
    "/receipts",
    response_model=ReceiptResponse,
    status_code=201,
    responses={
        200: {"model": ReceiptResponse, "description": "A retry: the receipt issued before."},
        **problems(*STAFF, 400, 404, 409),
    },
    summary="Issue a receipt (schedule-checked, logged, signed)",
)
async def issue_receipt(
    body: IssueRequest,
    principal: CounterStaff,
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(description="Client-chosen key; a retry with the same key returns the receipt."),
    ] = None,
) -> Response:
    if not idempotency_key or len(idempotency_key) > _MAX_KEY:
        raise IdempotencyKeyRequiredError(
            f"expected an Idempotency-Key header of 1 to {_MAX_KEY} characters, found "
            f"{'none' if not idempotency_key else len(idempotency_key)}",
            "Header Idempotency-Key wajib diisi (1–200 karakter).",
            field="Idempotency-Key",
        )
    command = IssueCommand(
        counter=body.counter,
        service=body.service,
        inputs=body.inputs,
        charged=body.charged,
        waiver=body.waiver,
    )
    # The busiest route takes the services from the request instead of a ``ServicesDep``
    # parameter: one dependency fewer for FastAPI to resolve, ~80 fewer Python calls (5%)
    # per issue.
    view, created = await services_of(request).receipts.issue_async(
        principal, command, idempotency_key
    )
    # Serialized here, once: the model is built from the service's own view, so the
    # response-model round trip (validate, then serialize) would only repeat the work.
    return Response(
        receipt_body(view).model_dump_json(),
        status_code=201 if created else 200,
        media_type="application/json",
        headers={"Location": f"/api/v1/receipts/{view.seq}"},
    )


@router.get(
    "/receipts/{ref}.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The printable receipt."},
        **problems(*STAFF, 404),
    },
    summary="Reprint a receipt as PDF (thermal 58/80 mm or A4)",
)
def receipt_pdf(
    ref: str,
    principal: ReprintStaff,
    services: ServicesDep,
    layout: Annotated[str, Query(pattern="^(thermal58|thermal80|a4)$")] = "thermal58",
) -> Response:
    seq = services.reader.resolve(ref)
    data = services.reader.pdf(principal, seq, layout)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="kuitansi-{seq}.pdf"'},
    )


@router.get(
    "/receipts/{ref}.png",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "The receipt's QR code."},
        **problems(*STAFF, 404),
    },
    summary="The receipt's QR code as PNG",
)
def receipt_png(ref: str, principal: ReprintStaff, services: ServicesDep) -> Response:
    seq = services.reader.resolve(ref)
    return Response(services.reader.png(principal, seq), media_type="image/png")


@router.get(
    "/receipts/{ref}",
    response_model=ReceiptResponse,
    responses=problems(*STAFF, 404),
    summary="A receipt by seq, receipt number or verification code",
)
def get_receipt(ref: str, principal: ReprintStaff, services: ServicesDep) -> ReceiptResponse:
    seq = services.reader.resolve(ref)
    return receipt_body(services.reader.get_for_staff(principal, seq))


@router.post(
    "/receipts/{seq}/void",
    response_model=VoidResponse,
    status_code=201,
    responses=problems(*STAFF, 404, 409),
    summary="Void a receipt (supervisor of the same office), at a counter user's request",
)
def void_receipt(
    seq: LedgerIndex, body: VoidRequest, principal: SupervisorStaff, services: ServicesDep
) -> VoidResponse:
    view = services.receipts.void(principal, seq, body.reason, body.requested_by)
    return VoidResponse(
        seq=view.seq,
        receipt_seq=view.receipt_seq,
        receipt_no=view.receipt_no,
        office=view.office,
        reason=view.reason,
        at=view.at,
        approved_by=view.approved_by,
        requested_by=view.requested_by,
        void_qr_url=receipt_url(services.settings.public_url, view.void_receipt),
    )


@router.post(
    "/closings",
    response_model=ClosingResponse,
    status_code=201,
    responses=problems(*STAFF, 404, 409),
    summary="Close a counter's business day (figures computed from the ledger)",
)
def close_day(
    body: ClosingRequest, principal: CounterStaff, services: ServicesDep
) -> ClosingResponse:
    view = services.cashier.close_day(principal, ClosingCommand(**body.model_dump()))
    return ClosingResponse.model_validate(view, from_attributes=True)


@router.post(
    "/deposits",
    response_model=DepositResponse,
    status_code=201,
    responses=problems(*STAFF, 404, 409),
    summary="Record a deposit to Kas Daerah (STS), treasurer",
)
def record_deposit(
    body: DepositRequest, principal: TreasurerStaff, services: ServicesDep
) -> DepositResponse:
    view = services.cashier.record_deposit(principal, DepositCommand(**body.model_dump()))
    return DepositResponse.model_validate(view, from_attributes=True)
