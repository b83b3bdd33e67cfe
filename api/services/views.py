"""What the service layer hands to the HTTP layer: plain frozen values, no rows, no models."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from receipts import receipt_url, short_code

__all__ = ["ReceiptView", "receipt_view"]


@dataclass(frozen=True, slots=True)
class ReceiptView:
    """An issued receipt: the entry's facts plus what is derived from its signed bytes."""

    seq: int
    receipt_no: str
    office: str
    counter: str
    service: str
    schedule: str
    inputs: Mapping[str, Any]
    official_fee: int
    charged: int
    verdict: str
    waiver: str | None
    issued_at: int  # UTC ms
    by: str
    leaf_hash: str  # hex
    short_code: str
    qr_url: str
    cose: bytes


def receipt_view(
    seq: int,
    at: int,
    leaf_hash: bytes,
    body: Mapping[str, Any],
    *,
    cose: bytes,
    public_url: str,
) -> ReceiptView:
    """The view of a ``receipt.issued`` entry and its signed receipt."""
    waiver = body.get("waiver")
    return ReceiptView(
        seq=seq,
        receipt_no=str(body["receipt_no"]),
        office=str(body["office"]),
        counter=str(body["counter"]),
        service=str(body["service"]),
        schedule=str(body["schedule"]),
        inputs=dict(body["inputs"]),
        official_fee=int(body["official_fee"]),
        charged=int(body["charged"]),
        verdict=str(body["verdict"]),
        waiver=str(waiver) if waiver is not None else None,
        issued_at=at,
        by=str(body["by"]),
        leaf_hash=leaf_hash.hex(),
        short_code=short_code(cose),
        qr_url=receipt_url(public_url, cose),
        cose=cose,
    )
