"""Service views → response bodies. No logic beyond renaming and formatting for display."""

from __future__ import annotations

from api.schemas import (
    InclusionModel,
    ReceiptLinks,
    ReceiptResponse,
    ReceiptStatusResponse,
    ScheduleResponse,
    VerifyResponse,
)
from api.services.receipt_reads import ReceiptStatusView
from api.services.schedules import PublishedView
from api.services.verification import VerificationView
from api.services.views import ReceiptView
from ledger.schedule import format_wib

__all__ = ["receipt_body", "schedule_body", "status_body", "verify_body"]

API = "/api/v1"


def receipt_body(view: ReceiptView) -> ReceiptResponse:
    """The response model of an issued receipt.

    Built with ``model_construct``: every field comes from the typed, frozen view, so
    validating it again would only repeat work on the busiest route (tests check the
    serialized body against the response schema).
    """
    base = f"{API}/receipts/{view.seq}"
    return ReceiptResponse.model_construct(
        seq=view.seq,
        receipt_no=view.receipt_no,
        office=view.office,
        counter=view.counter,
        service=view.service,
        schedule=view.schedule,
        inputs=dict(view.inputs),
        official_fee=view.official_fee,
        charged=view.charged,
        verdict=view.verdict,
        waiver=view.waiver,
        issued_at=view.issued_at,
        issued_at_wib=format_wib(view.issued_at),
        by=view.by,
        leaf_hash=view.leaf_hash,
        short_code=view.short_code,
        qr_url=view.qr_url,
        links=ReceiptLinks.model_construct(
            self=base,
            status=f"{base}/status",
            pdf=f"{base}.pdf?layout=thermal58",
            png=f"{base}.png",
        ),
    )


def status_body(view: ReceiptStatusView) -> ReceiptStatusResponse:
    r = view.receipt
    return ReceiptStatusResponse(
        seq=r.seq,
        receipt_no=r.receipt_no,
        status="voided" if view.status == "voided" else "issued",
        office=r.office,
        counter=r.counter,
        service=r.service,
        schedule=r.schedule,
        official_fee=r.official_fee,
        charged=r.charged,
        issued_at=r.issued_at,
        issued_at_wib=format_wib(r.issued_at),
        leaf_hash=r.leaf_hash,
        tree_size=view.tree_size,
        root_hash=view.root_hash,
        checkpoint=view.checkpoint,
        inclusion_proof=list(view.inclusion.proof),
        entry=view.inclusion.entry,
        void=(
            InclusionModel(
                seq=view.void.seq,
                leaf_hash=view.void.leaf_hash,
                entry=view.void.entry,
                inclusion_proof=list(view.void.proof),
            )
            if view.void is not None
            else None
        ),
    )


def schedule_body(view: PublishedView, *, with_document: bool) -> ScheduleResponse:
    return ScheduleResponse(
        version=view.version,
        title=view.title,
        legal_basis=view.legal_basis,
        effective_from=view.effective_from,
        in_force_from=view.in_force_from,
        published_at=view.published_at,
        sha256=view.sha256,
        publisher=view.publisher,
        current=view.current,
        document=dict(view.document) if with_document else None,
    )


def verify_body(view: VerificationView) -> VerifyResponse:
    return VerifyResponse(
        valid=view.valid,
        code=view.code,
        message=view.message_id,
        message_en=view.message_en,
        kind=view.kind,
        receipt_no=view.receipt_no,
        seq=view.seq,
        office=view.office,
        counter=view.counter,
        service=view.service,
        schedule=view.schedule,
        official_fee=view.official_fee,
        charged=view.charged,
        issued_at=view.issued_at,
        status=status_body(view.status) if view.status is not None else None,
    )
