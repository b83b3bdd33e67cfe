"""The server side of receipt verification (DESIGN §3 "Verification").

Signature with a trusted key → claims → status from the log (issued / voided) →
inclusion proof against a checkpoint. The first three steps are the offline library
(:func:`receipts.verify_receipt`) with the trust list the log defines; then the entry the
receipt names must be a ``receipt.issued`` entry whose leaf hash starts with the receipt's
chain commitment and whose stored receipt is these exact bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from api.errors import NotFoundError
from api.services.follower import ConfigFollower
from api.services.receipt_reads import ReceiptReader, ReceiptStatusView
from receipts import ReceiptKind, ReceiptVerificationError, extract_payload, verify_receipt
from receipts.trustlist import build_trust_list

__all__ = ["VerificationService", "VerificationView"]

#: Why a receipt is not valid, in Bahasa Indonesia, by stable code (prefix for malformed.*).
_MESSAGES_ID = {
    "malformed": "Data kuitansi rusak atau bukan kuitansi Bukti.",
    "no-receipt-found": "Tidak ditemukan kuitansi pada masukan ini.",
    "unknown-key": "Kuitansi ditandatangani kunci yang tidak dikenal — kemungkinan palsu.",
    "bad-signature": "Tanda tangan kuitansi tidak sah — kuitansi telah diubah atau palsu.",
    "retired-key": "Kuitansi bertanggal setelah kunci penandatangannya dipensiunkan.",
    "key-not-yet-valid": "Kuitansi bertanggal sebelum kunci penandatangannya berlaku.",
    "issued-in-future": "Tanggal kuitansi berada di masa depan.",
    "fee-mismatch": "Jumlah yang ditagih tidak sama dengan tarif resmi.",
    "not-in-log": "Kuitansi tidak tercatat di log publik — laporkan.",
    "voided": "Kuitansi ini sudah DIBATALKAN.",
    "valid": "Kuitansi SAH dan tercatat di log publik.",
}


@dataclass(frozen=True, slots=True)
class VerificationView:
    valid: bool
    code: str
    message_id: str
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
    status: ReceiptStatusView | None = None


def _message_id(code: str) -> str:
    return _MESSAGES_ID.get(code) or _MESSAGES_ID.get(
        code.split(".", maxsplit=1)[0], "Kuitansi tidak sah."
    )


class VerificationService:
    def __init__(
        self, follower: ConfigFollower, reader: ReceiptReader, *, clock: Callable[[], int]
    ) -> None:
        self._follower = follower
        self._reader = reader
        self._clock = clock

    def verify(self, text: str) -> VerificationView:
        trust = build_trust_list(self._follower.current().state.keyring)
        try:
            cose = extract_payload(text)
            verified = verify_receipt(cose, trust, at_ms=self._clock())
        except ReceiptVerificationError as exc:
            return VerificationView(False, exc.code, _message_id(exc.code), str(exc))
        claims = verified.claims
        facts = {
            "kind": claims.kind.name.lower(),
            "receipt_no": claims.number,
            "seq": claims.ledger_index,
            "office": claims.office_code,
            "counter": claims.counter_code,
            "service": claims.service_code,
            "schedule": claims.schedule_version,
            "official_fee": claims.official_fee,
            "charged": claims.amount_charged,
            "issued_at": claims.issued_at_ms,
        }
        not_in_log = VerificationView(
            False,
            "not-in-log",
            _message_id("not-in-log"),
            f"receipt {claims.number} is signed, but entry {claims.ledger_index} of the log "
            "is not this receipt",
            **facts,  # type: ignore[arg-type]
        )
        if claims.kind is not ReceiptKind.NORMAL:
            return VerificationView(
                False,
                "voided",
                _message_id("voided"),
                f"this is the void receipt {claims.number}; the receipt "
                f"{claims.voided_number} it cancels is no longer valid",
                **facts,  # type: ignore[arg-type]
            )
        try:
            view = self._reader.get(claims.ledger_index)
        except NotFoundError:
            return not_in_log
        if view.cose != cose or not bytes.fromhex(view.leaf_hash).startswith(claims.commitment):
            return not_in_log
        status = self._reader.status(claims.ledger_index)
        if status.status == "voided":
            return VerificationView(
                False,
                "voided",
                _message_id("voided"),
                f"receipt {claims.number} was voided by entry "
                f"{status.void.seq if status.void else '?'}",
                status=status,
                **facts,  # type: ignore[arg-type]
            )
        return VerificationView(
            True,
            "valid",
            _message_id("valid"),
            f"receipt {claims.number} is signed by a trusted key and is entry "
            f"{claims.ledger_index} of the log, included in the checkpoint of size "
            f"{status.tree_size}",
            status=status,
            **facts,  # type: ignore[arg-type]
        )
