"""The HTTP API's request and response bodies (Pydantic), apart from rows and hashed records.

Responses are built from the service layer's views with ``from_view`` helpers; requests
are parsed here and turned into service commands in the route handlers. Field names are
the JSON names; money is whole rupiah (integer) and times are UTC milliseconds, with a WIB
display string beside them where people read them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AuditRequest",
    "ClosingRequest",
    "ClosingResponse",
    "ComplaintRequest",
    "ComplaintResponse",
    "ComplaintStatusRequest",
    "ConsistencyResponse",
    "CounterCreate",
    "CounterModel",
    "DepositRequest",
    "DepositResponse",
    "HealthResponse",
    "InclusionModel",
    "IssueRequest",
    "LoginRequest",
    "LoginResponse",
    "OfficeCreate",
    "OfficeModel",
    "ProblemModel",
    "QuoteResponse",
    "ReceiptLinks",
    "ReceiptResponse",
    "ReceiptStatusResponse",
    "RevokeRequest",
    "ScheduleResponse",
    "TokenCreate",
    "TokenResponse",
    "UserCreate",
    "UserModel",
    "VerifyRequest",
    "VerifyResponse",
    "VoidRequest",
    "VoidResponse",
]

_STRICT = ConfigDict(extra="forbid")


class ProblemModel(BaseModel):
    """RFC 9457 problem details, with Indonesian ``detail`` and English ``detail_en``."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "type": "https://bukti.example/problems/overcharge",
                "title": "Charge above the official fee",
                "status": 422,
                "detail": "DITOLAK: ditagih Rp20.000, lebih dari tarif resmi Rp11.000 …",
                "detail_en": "REFUSED: charged Rp20.000, more than the official fee Rp11.000 …",
                "verdict": "overcharge",
                "seq": 42,
                "official_fee": 11000,
                "charged": 20000,
            }
        },
    )

    type: str
    title: str
    status: int
    detail: str
    detail_en: str
    instance: str | None = None
    field: str | None = None
    errors: list[dict[str, Any]] | None = None


# -- auth -------------------------------------------------------------------------------


class LoginRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"username": "loket.dukcapil", "password": "…"}},
    )

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class UserModel(BaseModel):
    id: str = Field(description="Opaque user id, the `by` of the user's ledger entries.")
    username: str
    name: str | None = None
    role: str
    office: str | None = None
    revoked: bool = False


class LoginResponse(BaseModel):
    token: str = Field(description="Bearer token of the session (also set as a cookie).")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a scheme name, not a secret
    expires_at: int = Field(description="Idle expiry, UTC ms; each use extends it.")
    csrf_token: str = Field(
        description="Send as the X-CSRF-Token header on writes authenticated by the session "
        "cookie (not needed with the bearer token)."
    )
    user: UserModel


# -- receipts ---------------------------------------------------------------------------


class IssueRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"counter": "L01", "service": "RJU-SMP-01", "inputs": {"bulan": 3}},
                {
                    "counter": "L01",
                    "service": "RPT-PBG-01",
                    "inputs": {"luas": "235"},
                    "charged": 6176270,
                },
            ]
        },
    )

    counter: str = Field(min_length=1, max_length=16, description="Counter code, e.g. L01.")
    service: str = Field(min_length=1, max_length=64, description="Service code of the schedule.")
    inputs: dict[str, int | str] = Field(
        default_factory=dict, description="Declared quantities by input name."
    )
    charged: int | None = Field(
        default=None,
        ge=0,
        description="Amount collected, when it comes from an outside system; "
        "omitted: the official fee.",
    )
    waiver: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Reference of a reduction/exemption decision (keringanan/pembebasan).",
    )


class ReceiptLinks(BaseModel):
    self: str
    status: str
    pdf: str
    png: str


class ReceiptResponse(BaseModel):
    seq: int = Field(description="Ledger index of the receipt.issued entry.")
    receipt_no: str
    office: str
    counter: str
    service: str
    schedule: str
    inputs: dict[str, int | str]
    official_fee: int
    charged: int
    verdict: str
    waiver: str | None = None
    issued_at: int
    issued_at_wib: str
    by: str
    leaf_hash: str = Field(description="Hex SHA-256 leaf hash of the entry (RFC 9162 §2.1.1).")
    short_code: str
    qr_url: str = Field(description="The QR text: <public URL>/v#<Base32 of the COSE receipt>.")
    links: ReceiptLinks


class VoidRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"reason": "Salah input jumlah bulan", "requested_by": "loket.dukcapil"}
        },
    )

    reason: str = Field(min_length=3, max_length=500)
    requested_by: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The counter staff member who asked for the void (user id or user name, "
        "an active counter account of the receipt's office). Omitted: the supervisor voids "
        "on their own initiative.",
    )


class VoidResponse(BaseModel):
    seq: int = Field(description="Ledger index of the receipt.voided entry.")
    receipt_seq: int
    receipt_no: str
    office: str
    reason: str
    at: int
    approved_by: str
    requested_by: str = Field(description="User id of the requester (the approver if none).")
    void_qr_url: str


class InclusionModel(BaseModel):
    seq: int
    leaf_hash: str = Field(description="Hex leaf hash SHA-256(0x00 || entry).")
    entry: str = Field(description="Base64 of the canonical entry bytes.")
    inclusion_proof: list[str] = Field(description="Hex hashes, RFC 9162 §2.1.3.1.")


class ReceiptStatusResponse(BaseModel):
    seq: int
    receipt_no: str
    status: Literal["issued", "voided"]
    office: str
    counter: str
    service: str
    schedule: str
    official_fee: int
    charged: int
    issued_at: int
    issued_at_wib: str
    leaf_hash: str
    tree_size: int = Field(description="Size of the checkpoint the proofs are for.")
    root_hash: str = Field(description="Base64 root hash, as in the checkpoint.")
    checkpoint: str = Field(description="The signed checkpoint note (C2SP tlog-checkpoint).")
    inclusion_proof: list[str]
    entry: str
    void: InclusionModel | None = None


class ClosingRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"counter": "L01", "count": 12, "total": 180000}},
    )

    counter: str = Field(min_length=1, max_length=16)
    date: str | None = Field(default=None, description="WIB business day; today when omitted.")
    count: int | None = Field(default=None, ge=0, description="Optional check: receipts issued.")
    total: int | None = Field(default=None, ge=0, description="Optional check: rupiah issued.")
    voids: int | None = Field(default=None, ge=0)
    void_total: int | None = Field(default=None, ge=0)


class ClosingResponse(BaseModel):
    seq: int
    office: str
    counter: str
    date: str
    count: int
    total: int
    voids: int
    void_total: int
    net: int
    last_seq: int
    at: int


class DepositRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "sts_no": "STS/2025/01/0001",
                "bank_ref": "BJB-CKR-778812",
                "amount": 180000,
                "period_from": "2025-01-01",
                "period_to": "2025-01-01",
                "counters": ["L01"],
            }
        },
    )

    sts_no: str = Field(min_length=1, max_length=64)
    bank_ref: str = Field(min_length=1, max_length=64)
    amount: int = Field(gt=0)
    period_from: str
    period_to: str
    counters: list[str] = Field(min_length=1, max_length=100)
    deposited_at: int | None = Field(default=None, ge=0, description="UTC ms; now if omitted.")


class DepositResponse(BaseModel):
    seq: int
    office: str
    sts_no: str
    bank_ref: str
    amount: int
    period_from: str
    period_to: str
    counters: list[str]
    deposited_at: int
    at: int


# -- public -----------------------------------------------------------------------------


class ScheduleResponse(BaseModel):
    version: str
    title: str
    legal_basis: str
    effective_from: int
    in_force_from: int
    published_at: int
    sha256: str
    publisher: str
    current: bool
    document: dict[str, Any] | None = Field(
        default=None, description="The canonical schedule document (omitted in listings)."
    )


class QuoteResponse(BaseModel):
    service_code: str
    service_name: str
    category: str
    unit: str
    schedule_version: str
    legal_basis: str
    legal_ref: str
    provenance: str
    free: bool
    unverified: bool
    inputs: dict[str, int | str]
    official_fee: int
    official_fee_text: str
    breakdown: list[dict[str, str]]
    at: int
    warning_id: str | None = None
    warning_en: str | None = None


class VerifyRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"input": "https://bukti.example/v#2GCA…"}},
    )

    input: str = Field(
        min_length=1, max_length=4096, description="The QR URL or the Base32 payload."
    )


class VerifyResponse(BaseModel):
    valid: bool
    code: str = Field(description="`valid`, or why not: unknown-key, bad-signature, voided, …")
    message: str = Field(description="Bahasa Indonesia.")
    message_en: str
    kind: str | None = None
    receipt_no: str | None = None
    seq: int | None = None
    office: str | None = None
    counter: str | None = None
    service: str | None = None
    schedule: str | None = None
    official_fee: int | None = None
    charged: int | None = None
    issued_at: int | None = None
    status: ReceiptStatusResponse | None = None


class ComplaintRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "receipt": "7K3Q-MD9X-TA4",
                "paid": 50000,
                "text": "Diminta bayar Rp50.000 untuk KTP-el, padahal gratis.",
            }
        },
    )

    receipt: str | None = Field(
        default=None,
        max_length=4096,
        description="QR URL, Base32 payload, receipt number or verification code.",
    )
    paid: int = Field(ge=0, description="Rupiah the resident says they paid.")
    text: str = Field(min_length=1, max_length=4000)
    contact: str | None = Field(default=None, max_length=200)


class ComplaintStatusRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"status": "investigating", "note": "Diteruskan ke kepala kantor."}
        },
    )

    status: Literal["investigating", "resolved", "rejected"] = Field(
        description="`resolved` and `rejected` are final."
    )
    note: str | None = Field(
        default=None,
        max_length=4000,
        description="Kept outside the log (erasable); the entry holds its salted commitment.",
    )


class ComplaintResponse(BaseModel):
    tracking_no: str
    status: str
    filed_at: int
    updated_at: int
    seq: int | None = None


class ConsistencyResponse(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    first: int = Field(alias="from")
    second: int = Field(alias="to")
    proof: list[str] = Field(description="Hex hashes, RFC 9162 §2.1.4.1.")


class CounterModel(BaseModel):
    code: str
    name: str


class OfficeModel(BaseModel):
    code: str
    name: str
    area: str
    counters: list[CounterModel]


class HealthResponse(BaseModel):
    status: Literal["ok"]
    log_size: int


# -- administration ---------------------------------------------------------------------


class UserCreate(BaseModel):
    model_config = _STRICT

    username: str = Field(min_length=3, max_length=64)
    name: str = Field(min_length=2, max_length=200)
    role: str
    office: str | None = None
    password: str = Field(min_length=10, max_length=1024)


class TokenCreate(BaseModel):
    model_config = _STRICT

    label: str = Field(default="api", max_length=100)


class TokenResponse(BaseModel):
    id: str
    user_id: str
    token: str = Field(description="Shown once; store it now.")


class RevokeRequest(BaseModel):
    model_config = _STRICT

    reason: str = Field(min_length=3, max_length=200)


class OfficeCreate(BaseModel):
    model_config = _STRICT

    code: str
    name: str
    area: str


class CounterCreate(BaseModel):
    model_config = _STRICT

    code: str
    name: str


class AuditRequest(BaseModel):
    model_config = _STRICT

    deposit_deadline_working_days: int | None = Field(default=None, ge=0, le=30)
