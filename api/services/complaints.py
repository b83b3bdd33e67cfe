"""Residents' complaints (*Lapor*): personal parts outside the log, salted commitments in it.

The complaint text and optional contact go to the erasable table ``complaint_personal``
(UU PDP No. 27/2022); the ``complaint.filed`` entry holds only
``SHA-256(context || salt || text)`` for each, with a fresh 16-byte salt per value, so
the log proves what was filed without revealing it, and erasing the row never breaks
verification. The tracking number is random (not guessable from another one), and its
public status page shows the status only.

The inspectorate moves a complaint on with ``complaint.updated`` (``investigating``, then
``resolved`` or ``rejected``; those two are final). An optional note goes to the erasable
table ``complaint_notes`` and the entry holds its salted commitment ``note_commitment``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Engine, delete, insert

from api.errors import ComplaintClosedError, InvalidRequestError, NotFoundError
from api.services.credentials import new_opaque_id
from api.services.receipt_reads import ReceiptReader
from api.services.roles import Principal
from api.store import readmodels
from api.store.projection import Projector
from api.store.tables import complaint_notes, complaint_personal
from ledger.storage import AppendContext, AppendRequest, LogStore
from ledger.storage.engine import write_transaction
from receipts import ReceiptsError, extract_payload
from receipts.claims import decode_claims
from receipts.cose import parse_sign1

__all__ = [
    "CLOSED_STATUSES",
    "UPDATE_STATUSES",
    "ComplaintCommand",
    "ComplaintService",
    "ComplaintStatusView",
    "commitment",
]

_TEXT_CONTEXT = b"bukti complaint text v1\n"
_CONTACT_CONTEXT = b"bukti complaint contact v1\n"
_NOTE_CONTEXT = b"bukti complaint note v1\n"
_MAX_TEXT = 4000
_MAX_CONTACT = 200
_MAX_NOTE = 4000

#: The statuses the inspectorate may set (docs/entries.md, complaint.updated).
UPDATE_STATUSES: Final = ("investigating", "resolved", "rejected")
#: Final statuses: a complaint resolved or rejected is not updated again.
CLOSED_STATUSES: Final = frozenset({"resolved", "rejected"})


def commitment(context: bytes, salt: bytes, value: str) -> str:
    """Salted, domain-separated SHA-256 commitment to a personal value (hex)."""
    return hashlib.sha256(context + salt + value.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ComplaintCommand:
    receipt: str | None  # a QR URL, Base32 payload, receipt number or short code
    paid: int
    text: str
    contact: str | None = None


@dataclass(frozen=True, slots=True)
class ComplaintStatusView:
    tracking_no: str
    status: str
    filed_at: int
    updated_at: int
    seq: int | None = None
    receipt_seq: int | None = None


class ComplaintService:
    def __init__(
        self,
        engine: Engine,
        store: LogStore,
        projector: Projector,
        reader: ReceiptReader,
        *,
        clock: Callable[[], int],
        random_bytes: Callable[[int], bytes],
    ) -> None:
        self._engine = engine
        self._store = store
        self._projector = projector
        self._reader = reader
        self._clock = clock
        self._random = random_bytes

    def _receipt_seq(self, reference: str) -> int | None:
        """The seq of the receipt a resident names, or ``None`` when it cannot be found."""
        try:
            cose = extract_payload(reference)
            return decode_claims(parse_sign1(cose).payload).ledger_index
        except ReceiptsError:
            pass
        try:
            return self._reader.get(self._reader.resolve(reference)).seq
        except NotFoundError:
            return None

    def file(self, command: ComplaintCommand) -> ComplaintStatusView:
        text = command.text.strip()
        if not 10 <= len(text) <= _MAX_TEXT:
            raise InvalidRequestError(
                f"expected a complaint text of 10 to {_MAX_TEXT} characters, found {len(text)}",
                f"Isi laporan minimal 10 dan maksimal {_MAX_TEXT} karakter.",
                field="text",
            )
        contact = (command.contact or "").strip() or None
        if contact is not None and len(contact) > _MAX_CONTACT:
            raise InvalidRequestError(
                f"expected a contact of at most {_MAX_CONTACT} characters, found {len(contact)}",
                f"Kontak maksimal {_MAX_CONTACT} karakter.",
                field="contact",
            )
        if command.paid < 0:
            raise InvalidRequestError(
                f"expected the amount paid as whole rupiah >= 0, found {command.paid}",
                "Jumlah yang dibayar tidak boleh negatif.",
                field="paid",
            )
        receipt_seq = None
        official_fee = None
        receipt_no = None
        if command.receipt and command.receipt.strip():
            receipt_seq = self._receipt_seq(command.receipt.strip())
            if receipt_seq is not None:
                try:
                    view = self._reader.get(receipt_seq)
                    official_fee, receipt_no = view.official_fee, view.receipt_no
                except NotFoundError:
                    receipt_seq = None
        now = self._clock()
        tracking = new_opaque_id("ADU-", self._random, 10).upper()
        text_salt = self._random(16)
        contact_salt = self._random(16) if contact is not None else None
        body: dict[str, Any] = {
            "tracking_no": tracking,
            "paid_claimed": command.paid,
            "text_commitment": commitment(_TEXT_CONTEXT, text_salt, text),
        }
        if receipt_seq is not None:
            body["receipt_seq"] = receipt_seq
        if receipt_no is not None:
            body["receipt_no"] = receipt_no
        if official_fee is not None:
            body["official_fee"] = official_fee
        if contact is not None and contact_salt is not None:
            body["contact_commitment"] = commitment(_CONTACT_CONTEXT, contact_salt, contact)
        # Personal data first, then the entry; if the append fails the row is removed.
        with write_transaction(self._engine) as conn:
            conn.execute(
                insert(complaint_personal).values(
                    tracking_no=tracking,
                    text=text,
                    text_salt=text_salt.hex(),
                    contact=contact,
                    contact_salt=contact_salt.hex() if contact_salt else None,
                    created_at=now,
                )
            )
        try:
            entry = self._store.append(AppendRequest(kind="complaint.filed", at=now, body=body))
        except Exception:
            with write_transaction(self._engine) as conn:
                conn.execute(
                    delete(complaint_personal).where(complaint_personal.c.tracking_no == tracking)
                )
            raise
        return ComplaintStatusView(
            tracking_no=tracking,
            status="received",
            filed_at=entry.at,
            updated_at=entry.at,
            seq=entry.seq,
            receipt_seq=receipt_seq,
        )

    def update_status(
        self, principal: Principal, tracking_no: str, status: str, note: str | None = None
    ) -> ComplaintStatusView:
        """Record ``complaint.updated``: the inspectorate's new status and optional note."""
        if status not in UPDATE_STATUSES:
            raise InvalidRequestError(
                f"expected a status of {', '.join(UPDATE_STATUSES)}, found {status!r}",
                f"Status {status!r} tidak dikenal; pilih investigating, resolved atau rejected.",
                field="status",
            )
        text = (note or "").strip() or None
        if text is not None and len(text) > _MAX_NOTE:
            raise InvalidRequestError(
                f"expected a note of at most {_MAX_NOTE} characters, found {len(text)}",
                f"Catatan maksimal {_MAX_NOTE} karakter.",
                field="note",
            )
        current = self.status(tracking_no)
        tracking = current.tracking_no
        if current.status in CLOSED_STATUSES:
            raise _closed(tracking, current.status)
        now = self._clock()
        body: dict[str, Any] = {"tracking_no": tracking, "status": status, "by": principal.user_id}
        if text is not None:
            salt = self._random(16)
            body["note_commitment"] = commitment(_NOTE_CONTEXT, salt, text)
            with write_transaction(self._engine) as conn:
                conn.execute(
                    insert(complaint_notes).values(
                        commitment=body["note_commitment"],
                        tracking_no=tracking,
                        note=text,
                        note_salt=salt.hex(),
                        created_at=now,
                    )
                )

        def factory(ctx: AppendContext) -> dict[str, Any]:
            # A complaint is closed once: a second closing draws 2 from its series (and the
            # refused draw goes back), so two inspectors cannot both close it.
            if status in CLOSED_STATUSES and ctx.next_number(f"complaint-closed:{tracking}") > 1:
                raise _closed(tracking, "resolved or rejected")
            return body

        try:
            entry = self._store.append(
                AppendRequest(kind="complaint.updated", at=now, body=factory)
            )
        except Exception:
            if "note_commitment" in body:
                with write_transaction(self._engine) as conn:
                    conn.execute(
                        delete(complaint_notes).where(
                            complaint_notes.c.commitment == body["note_commitment"]
                        )
                    )
            raise
        return ComplaintStatusView(
            tracking_no=tracking,
            status=status,
            filed_at=current.filed_at,
            updated_at=entry.at,
            seq=entry.seq,
            receipt_seq=current.receipt_seq,
        )

    def status(self, tracking_no: str) -> ComplaintStatusView:
        self._projector.catch_up()
        with self._engine.connect() as conn:
            row = readmodels.complaint(conn, tracking_no.strip().upper())
        if row is None:
            raise NotFoundError(
                f"expected a known tracking number, found {tracking_no!r}",
                f"Nomor pelacakan {tracking_no} tidak ditemukan.",
            )
        return ComplaintStatusView(
            tracking_no=row.tracking_no,
            status=row.status,
            filed_at=row.filed_at,
            updated_at=row.updated_at,
            receipt_seq=row.receipt_seq,
        )


def _closed(tracking_no: str, status: str) -> ComplaintClosedError:
    return ComplaintClosedError(
        f"expected complaint {tracking_no} still open, found it {status}",
        f"Pengaduan {tracking_no} sudah selesai ({status}); statusnya tidak dapat diubah lagi.",
    )
