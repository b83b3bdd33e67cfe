"""What a receipt says: :class:`ReceiptClaims` and its deterministic CBOR payload.

The payload is a CBOR map with small integer keys (``docs/receipt-format.md`` §Payload):

====  =====================  ====================================================
key   claim                  CBOR
====  =====================  ====================================================
1     format version         uint, always 1
2     issuer                 [office code: tstr, counter code: tstr]
3     receipt number         tstr
4     ledger index (seq)     uint
5     issued at              uint, UTC seconds since 1970-01-01
6     service code           tstr
7     schedule version       tstr
8     official fee           uint, whole rupiah
9     amount charged         uint, whole rupiah
10    kind                   uint (:class:`ReceiptKind`)
11    chain commitment       bstr .size 16, first 16 bytes of the entry's leaf hash
12    waiver reference       tstr, optional, normal receipts only
13    voided receipt number  tstr, required on void receipts, absent otherwise
====  =====================  ====================================================

No personal data is ever a claim. Unknown keys are rejected, as is anything that is not
deterministic CBOR (see :mod:`receipts.cbor`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Final, TypeVar

from receipts import cbor
from receipts.errors import InvalidClaimsError, MalformedReceipt

__all__ = [
    "COMMITMENT_SIZE",
    "FORMAT_VERSION",
    "MAX_TEXT_BYTES",
    "ClaimKey",
    "ReceiptClaims",
    "ReceiptKind",
    "commitment_from_leaf_hash",
    "decode_claims",
    "encode_claims",
]

FORMAT_VERSION: Final = 1
COMMITMENT_SIZE: Final = 16
#: Longest value of each text claim, in UTF-8 bytes; short, because every byte is in the QR.
MAX_TEXT_BYTES: Final = {
    "office_code": 32,
    "counter_code": 16,
    "number": 48,
    "service_code": 24,
    "schedule_version": 24,
    "waiver_ref": 48,
    "voided_number": 48,
}
_MAX_INT: Final = 2**53 - 1  # the ledger's integer range, so every claim fits an entry body


class ClaimKey(IntEnum):
    """Integer map keys of the payload."""

    VERSION = 1
    ISSUER = 2
    NUMBER = 3
    LEDGER_INDEX = 4
    ISSUED_AT = 5
    SERVICE_CODE = 6
    SCHEDULE_VERSION = 7
    OFFICIAL_FEE = 8
    AMOUNT_CHARGED = 9
    KIND = 10
    COMMITMENT = 11
    WAIVER_REF = 12
    VOIDED_NUMBER = 13


_T = TypeVar("_T", int, str, bytes)
_CBOR_NAMES: Final[dict[type, str]] = {int: "an unsigned integer", str: "text", bytes: "bytes"}


_REQUIRED: Final = frozenset(ClaimKey) - {ClaimKey.WAIVER_REF, ClaimKey.VOIDED_NUMBER}


class ReceiptKind(IntEnum):
    """What the receipt records."""

    NORMAL = 0  # a fee collected for a service
    VOID = 1  # cancels an earlier receipt (claim 13 names it); amounts are those returned
    CLOSING = 2  # a counter's day closing; amounts are the day's totals
    DEPOSIT = 3  # money handed to the regional treasury (STS); amounts are those deposited


def _check_text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidClaimsError(f"{name} must be text, found {type(value).__name__}")
    size, limit = len(value.encode("utf-8")), MAX_TEXT_BYTES[name]
    if not 1 <= size <= limit:
        raise InvalidClaimsError(f"{name} must be 1..{limit} UTF-8 bytes, found {size}")
    if not value.isprintable() or value != value.strip():
        raise InvalidClaimsError(
            f"{name} must be printable without surrounding spaces, found {value!r}"
        )
    return value


def _check_int(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidClaimsError(f"{name} must be an integer, found {type(value).__name__}")
    if not 0 <= value <= _MAX_INT:
        raise InvalidClaimsError(f"{name} must be in 0..2**53-1, found {value}")
    return value


@dataclass(frozen=True, slots=True)
class ReceiptClaims:
    """The signed content of one receipt. Construction validates every field."""

    office_code: str
    counter_code: str
    number: str
    ledger_index: int
    issued_at: int  # UTC seconds
    service_code: str
    schedule_version: str
    official_fee: int  # whole rupiah
    amount_charged: int  # whole rupiah
    kind: ReceiptKind
    commitment: bytes
    waiver_ref: str | None = None
    voided_number: str | None = None

    def __post_init__(self) -> None:
        for name in ("office_code", "counter_code", "number", "service_code", "schedule_version"):
            _check_text(name, getattr(self, name))
        for name in ("ledger_index", "issued_at", "official_fee", "amount_charged"):
            _check_int(name, getattr(self, name))
        if not isinstance(self.kind, ReceiptKind):
            raise InvalidClaimsError(f"kind must be a ReceiptKind, found {self.kind!r}")
        if not isinstance(self.commitment, bytes) or len(self.commitment) != COMMITMENT_SIZE:
            found = len(self.commitment) if isinstance(self.commitment, bytes) else "non-bytes"
            raise InvalidClaimsError(f"commitment must be {COMMITMENT_SIZE} bytes, found {found}")
        if self.waiver_ref is not None:
            _check_text("waiver_ref", self.waiver_ref)
            if self.kind is not ReceiptKind.NORMAL:
                raise InvalidClaimsError(
                    f"a waiver reference belongs on a normal receipt, not kind {self.kind.name}"
                )
        if self.kind is ReceiptKind.VOID:
            if self.voided_number is None:
                raise InvalidClaimsError("a void receipt must name the voided receipt number")
            _check_text("voided_number", self.voided_number)
        elif self.voided_number is not None:
            raise InvalidClaimsError(
                f"only a void receipt names a voided receipt, not kind {self.kind.name}"
            )

    @property
    def issued_at_ms(self) -> int:
        """Issued-at in the ledger's unit, UTC milliseconds."""
        return self.issued_at * 1000

    def to_cbor_map(self) -> dict[int, object]:
        """The payload map (RFC 8949 §4.2.1 ordering is applied by the encoder)."""
        out: dict[int, object] = {
            ClaimKey.VERSION: FORMAT_VERSION,
            ClaimKey.ISSUER: [self.office_code, self.counter_code],
            ClaimKey.NUMBER: self.number,
            ClaimKey.LEDGER_INDEX: self.ledger_index,
            ClaimKey.ISSUED_AT: self.issued_at,
            ClaimKey.SERVICE_CODE: self.service_code,
            ClaimKey.SCHEDULE_VERSION: self.schedule_version,
            ClaimKey.OFFICIAL_FEE: self.official_fee,
            ClaimKey.AMOUNT_CHARGED: self.amount_charged,
            ClaimKey.KIND: int(self.kind),
            ClaimKey.COMMITMENT: self.commitment,
        }
        if self.waiver_ref is not None:
            out[ClaimKey.WAIVER_REF] = self.waiver_ref
        if self.voided_number is not None:
            out[ClaimKey.VOIDED_NUMBER] = self.voided_number
        return {int(k): v for k, v in out.items()}


def commitment_from_leaf_hash(leaf_hash: bytes) -> bytes:
    """Claim 11: the first 16 bytes of the entry's 32-byte leaf hash (RFC 9162 §2.1.1)."""
    if len(leaf_hash) != 32:
        raise InvalidClaimsError(f"a leaf hash is 32 bytes, found {len(leaf_hash)}")
    return leaf_hash[:COMMITMENT_SIZE]


def encode_claims(claims: ReceiptClaims) -> bytes:
    """Deterministic CBOR payload of ``claims`` (the map of :meth:`ReceiptClaims.to_cbor_map`,
    whose keys 1..13 are written in ascending order, which is the deterministic order)."""
    return cbor.encode_small_int_map(sorted(claims.to_cbor_map().items()))


def decode_claims(payload: bytes) -> ReceiptClaims:
    """Strictly decode a payload; raises :class:`MalformedReceipt` with the reason."""
    value = cbor.decode(payload)
    if not isinstance(value, dict):
        raise MalformedReceipt(
            "structure", f"payload must be a CBOR map, found {type(value).__name__}"
        )
    known = {int(k) for k in ClaimKey}
    unknown = [k for k in value if not isinstance(k, int) or k not in known]
    if unknown:
        raise MalformedReceipt(
            "unknown-claim", f"payload has claim key(s) {unknown!r}; known keys are 1..13"
        )
    if ClaimKey.VERSION not in value:
        raise MalformedReceipt("missing-claim", "payload lacks claim 1 (format version)")
    if value[ClaimKey.VERSION] != FORMAT_VERSION:
        raise MalformedReceipt(
            "unsupported-version",
            f"format version must be {FORMAT_VERSION}, found {value[ClaimKey.VERSION]!r}",
        )
    missing = sorted(int(k) for k in _REQUIRED if k not in value)
    if missing:
        raise MalformedReceipt("missing-claim", f"payload lacks required claim(s) {missing}")
    issuer = value[ClaimKey.ISSUER]
    if not (
        isinstance(issuer, list) and len(issuer) == 2 and all(isinstance(i, str) for i in issuer)
    ):
        raise MalformedReceipt(
            "invalid-claim", f"claim 2 (issuer) must be [office, counter] text, found {issuer!r}"
        )
    kind = _claim(value, ClaimKey.KIND, int)
    if kind not in {int(k) for k in ReceiptKind}:
        raise MalformedReceipt("invalid-claim", f"claim 10 (kind) is unknown: {kind}")
    try:
        return ReceiptClaims(
            office_code=str(issuer[0]),
            counter_code=str(issuer[1]),
            number=_claim(value, ClaimKey.NUMBER, str),
            ledger_index=_claim(value, ClaimKey.LEDGER_INDEX, int),
            issued_at=_claim(value, ClaimKey.ISSUED_AT, int),
            service_code=_claim(value, ClaimKey.SERVICE_CODE, str),
            schedule_version=_claim(value, ClaimKey.SCHEDULE_VERSION, str),
            official_fee=_claim(value, ClaimKey.OFFICIAL_FEE, int),
            amount_charged=_claim(value, ClaimKey.AMOUNT_CHARGED, int),
            kind=ReceiptKind(kind),
            commitment=_claim(value, ClaimKey.COMMITMENT, bytes),
            waiver_ref=_optional_claim(value, ClaimKey.WAIVER_REF, str),
            voided_number=_optional_claim(value, ClaimKey.VOIDED_NUMBER, str),
        )
    except InvalidClaimsError as exc:
        raise MalformedReceipt("invalid-claim", str(exc)) from exc


def _claim(value: Mapping[cbor.CborKey, cbor.CborValue], key: ClaimKey, kind: type[_T]) -> _T:
    found = value[key]
    if not isinstance(found, kind):
        raise MalformedReceipt(
            "invalid-claim",
            f"claim {int(key)} ({key.name.lower()}) must be {_CBOR_NAMES[kind]}, "
            f"found {type(found).__name__}",
        )
    return found


def _optional_claim(
    value: Mapping[cbor.CborKey, cbor.CborValue], key: ClaimKey, kind: type[_T]
) -> _T | None:
    return _claim(value, key, kind) if key in value else None
