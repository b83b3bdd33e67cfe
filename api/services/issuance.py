"""Issuing and voiding receipts: schedule check, one ledger entry, the signed receipt beside it.

Issuing (DESIGN §2 "Checking a charge", §3):

1. the charge is checked against the schedule version in force (:func:`ledger.schedule.check`);
2. accepted → one ``receipt.issued`` entry; its body factory draws the receipt number from
   the gapless series ``receipt:<office>:<counter>:<year>`` inside the append transaction,
   and its ``attach`` callback signs the COSE receipt (claims carry the entry's seq and the
   first 16 bytes of its leaf hash) and stores it in the same transaction;
3. refused → one ``charge.rejected`` entry (the attempt is evidence) and a
   :class:`ChargeRefusedError` naming the verdict and that entry's seq.

The client's ``Idempotency-Key`` (scoped to the staff user) and a digest of the request go
with the append: a retry returns the original entry, a different request under the same
key is refused by the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from api.errors import (
    AlreadyVoidedError,
    ChargeRefusedError,
    DayClosedError,
    InvalidRequestError,
    NotFoundError,
)
from api.services.follower import ConfigFollower
from api.services.keys import KeyFiles
from api.services.roles import Principal, Role, require_office
from api.services.views import ReceiptView, receipt_view
from api.store.projection import RECEIPT_ATTACHMENT, wib_date
from api.store.staff import UserRow
from ledger.encoding import canonical_json
from ledger.schedule import (
    Charge,
    ScheduleHistory,
    Verdict,
    check,
    quote,
    rejection_body,
    verdict_from_rejection_body,
)
from ledger.schedule.errors import ScheduleError
from ledger.storage import AppendContext, AppendedEntry, AppendRequest, LogStore
from ledger.storage.errors import EntryNotFoundError
from receipts import (
    KeyPair,
    KeyPurpose,
    ReceiptClaims,
    ReceiptKind,
    commitment_from_leaf_hash,
    receipt_key_id,
    sign_receipt,
)

__all__ = ["IssueCommand", "ReceiptService", "VoidView"]


@dataclass(frozen=True, slots=True)
class IssueCommand:
    """What the counter asks for. ``charged`` is ``None`` when the official fee is collected."""

    counter: str
    service: str
    inputs: Mapping[str, str | int]
    charged: int | None = None
    waiver: str | None = None

    def digest(self, user_id: str) -> bytes:
        """SHA-256 of the canonical request: what a retried key must repeat exactly."""
        value: dict[str, Any] = {
            "user": user_id,
            "counter": self.counter,
            "service": self.service,
            "inputs": dict(self.inputs),
        }
        if self.charged is not None:
            value["charged"] = self.charged
        if self.waiver is not None:
            value["waiver"] = self.waiver
        return hashlib.sha256(b"bukti issue request v1\n" + canonical_json(value)).digest()


@dataclass(frozen=True, slots=True)
class VoidView:
    seq: int
    receipt_seq: int
    receipt_no: str
    office: str
    reason: str
    at: int
    approved_by: str
    requested_by: str
    void_receipt: bytes


class ReceiptService:
    """Issues and voids receipts. All writes go through the one :class:`LogStore`."""

    def __init__(
        self,
        store: LogStore,
        follower: ConfigFollower,
        key_files: KeyFiles,
        *,
        clock: Callable[[], int],
        public_url: str,
        on_issued: Callable[[], None] = lambda: None,
        on_rejected: Callable[[str], None] = lambda _verdict: None,
        find_user: Callable[[str], UserRow | None] = lambda _reference: None,
    ) -> None:
        self._store = store
        self._find_user = find_user
        self._follower = follower
        self._key_files = key_files
        self._clock = clock
        self._public_url = public_url
        self._on_issued = on_issued
        self._on_rejected = on_rejected
        self._signing: tuple[bytes, KeyPair] | None = None

    # -- keys -------------------------------------------------------------------------

    def _receipt_key(self, public_key: bytes) -> KeyPair:
        """The private half of the current receipts key (file read once per key)."""
        cached = self._signing
        if cached is not None and cached[0] == public_key:
            return cached[1]
        key = self._key_files.load_receipts_key(receipt_key_id(public_key))
        self._signing = (public_key, key)
        return key

    # -- issuing ----------------------------------------------------------------------

    def issue(
        self, principal: Principal, command: IssueCommand, idempotency_key: str
    ) -> tuple[ReceiptView, bool]:
        """Issue a receipt; returns it and whether it was created now (``False``: a retry).

        Raises :class:`ChargeRefusedError` when the schedule check refuses the charge.
        """
        office = principal.office or ""
        snapshot = self._follower.current()
        if (office, command.counter) not in snapshot.state.counters:
            raise NotFoundError(
                f"expected a counter of office {office}, found unknown counter {command.counter!r}",
                f"Loket {command.counter} tidak terdaftar di kantor {office}.",
            )
        at = self._clock()
        key = f"issue:{principal.user_id}:{idempotency_key}"
        day = wib_date(at)
        # A closed counter-day takes no new receipt; a retry of one issued before the
        # closing still gets its original answer from the store below.
        if (
            snapshot.state.day_closed(office, command.counter, day)
            and self._store.find_by_idempotency_key(key) is None
        ):
            raise _day_closed(office, command.counter, day)
        charged = command.charged
        if charged is None:
            charged = _official_or_zero(snapshot.history, command, at)
        charge = Charge(command.service, dict(command.inputs), charged, at, command.waiver)
        verdict = check(snapshot.history, charge)
        digest = command.digest(principal.user_id)
        if verdict.accepted:
            signer = self._receipt_key(
                snapshot.state.keyring.current(KeyPurpose.RECEIPTS).public_key
            )
            request = AppendRequest(
                kind="receipt.issued",
                at=at,
                body=_issued_body_factory(principal, office, command, verdict, charged),
                idempotency_key=key,
                request_digest=digest,
                attach=lambda entry: {RECEIPT_ATTACHMENT: _sign_issued(entry, signer)},
            )
        else:
            request = AppendRequest(
                kind="charge.rejected",
                at=at,
                body=rejection_body(charge, verdict, principal.user_id, office, command.counter),
                idempotency_key=key,
                request_digest=digest,
            )
        entry = self._store.append(request)
        if entry.kind == "charge.rejected":
            if not entry.replayed:
                self._on_rejected(verdict.code.value)
            raise _refusal(entry)
        if not entry.replayed:
            self._on_issued()
        view = receipt_view(
            entry.seq,
            entry.at,
            entry.leaf_hash,
            entry.body,
            cose=_cose(entry),
            public_url=self._public_url,
        )
        return view, not entry.replayed

    # -- voiding ----------------------------------------------------------------------

    def void(
        self,
        principal: Principal,
        receipt_seq: int,
        reason: str,
        requested_by: str | None = None,
    ) -> VoidView:
        """Void a receipt of the supervisor's own office, once; signs a void receipt.

        ``principal`` approves the void. ``requested_by`` names the counter staff member
        who asked for it (user id or user name; an active ``counter`` user of the
        receipt's office); without it the approver voids on their own initiative and is
        recorded as the requester too.
        """
        reason = reason.strip()
        if not 3 <= len(reason) <= 500:
            raise InvalidRequestError(
                f"expected a reason of 3 to 500 characters, found {len(reason)}",
                "Alasan pembatalan wajib diisi (3–500 karakter).",
                field="reason",
            )
        original = self._issued_entry(receipt_seq)
        body = original.body
        require_office(principal, str(body["office"]))
        requester = (
            self._requester(requested_by, str(body["office"]))
            if requested_by is not None
            else principal.user_id
        )
        snapshot = self._follower.current()
        signer = self._receipt_key(snapshot.state.keyring.current(KeyPurpose.RECEIPTS).public_key)

        def factory(ctx: AppendContext) -> dict[str, Any]:
            # A second void of the same receipt draws number 2 from its series: refuse it.
            # The refused draw is returned to the series, so it stays at 1 (records.py).
            if ctx.next_number(f"void:{receipt_seq}") > 1:
                raise AlreadyVoidedError(
                    f"expected receipt {body['receipt_no']} (seq {receipt_seq}) not yet voided, "
                    "found an earlier void",
                    f"Kuitansi {body['receipt_no']} sudah dibatalkan sebelumnya.",
                )
            return {
                "receipt_seq": receipt_seq,
                "receipt_no": body["receipt_no"],
                "office": body["office"],
                "reason": reason,
                "requested_by": requester,
                "approved_by": principal.user_id,
                "approver_role": principal.role.value,
            }

        def attach(entry: AppendedEntry) -> dict[str, bytes]:
            claims = ReceiptClaims(
                office_code=str(body["office"]),
                counter_code=str(body["counter"]),
                number=f"{body['receipt_no']}/B",
                ledger_index=entry.seq,
                issued_at=entry.at // 1000,
                service_code=str(body["service"]),
                schedule_version=str(body["schedule"]),
                official_fee=int(body["official_fee"]),
                amount_charged=int(body["charged"]),
                kind=ReceiptKind.VOID,
                commitment=commitment_from_leaf_hash(entry.leaf_hash),
                voided_number=str(body["receipt_no"]),
            )
            return {RECEIPT_ATTACHMENT: sign_receipt(claims, signer)}

        entry = self._store.append(
            AppendRequest(kind="receipt.voided", at=self._clock(), body=factory, attach=attach)
        )
        return VoidView(
            seq=entry.seq,
            receipt_seq=receipt_seq,
            receipt_no=str(body["receipt_no"]),
            office=str(body["office"]),
            reason=reason,
            at=entry.at,
            approved_by=principal.user_id,
            requested_by=requester,
            void_receipt=_cose(entry),
        )

    def _requester(self, reference: str, office: str) -> str:
        """The user id of the counter staff member who asked for a void, after checking
        that the account exists, is active, is a ``counter`` account and is of ``office``."""
        wanted = reference.strip()
        user = self._find_user(wanted) if wanted else None
        if user is None:
            raise InvalidRequestError(
                f"expected requested_by to name an existing user (id or user name), "
                f"found {reference!r}",
                f"Petugas {reference!r} yang meminta pembatalan tidak ditemukan.",
                field="requested_by",
            )
        if user.revoked_at is not None:
            raise InvalidRequestError(
                f"expected requested_by to name an active user, found {user.username} revoked",
                f"Akun petugas {user.username} sudah dicabut.",
                field="requested_by",
            )
        if user.role != Role.COUNTER.value:
            raise InvalidRequestError(
                f"expected requested_by to name a counter user, found role {user.role}",
                f"Yang meminta pembatalan harus petugas loket, bukan peran {user.role}.",
                field="requested_by",
            )
        if user.office != office:
            raise InvalidRequestError(
                f"expected requested_by to name a counter user of office {office}, "
                f"found one of office {user.office}",
                f"Petugas {user.username} bukan petugas kantor {office}.",
                field="requested_by",
            )
        return user.id

    def _issued_entry(self, seq: int) -> _Issued:
        try:
            stored = self._store.entry(seq)
        except EntryNotFoundError:
            raise _no_receipt(seq) from None
        entry = stored.decode()
        if entry.kind != "receipt.issued":
            raise _no_receipt(seq)
        return _Issued(entry.seq, entry.at, stored.leaf_hash, entry.body)


@dataclass(frozen=True, slots=True)
class _Issued:
    seq: int
    at: int
    leaf_hash: bytes
    body: Mapping[str, Any]


def _day_closed(office: str, counter: str, day: str) -> DayClosedError:
    return DayClosedError(
        f"expected counter {counter} of {office} open on {day} (WIB), found its day closed",
        f"Buku loket {counter} untuk tanggal {day} sudah ditutup; kuitansi baru tidak dapat "
        "diterbitkan hari ini.",
        extra={"office": office, "counter": counter, "date": day},
    )


def _no_receipt(seq: int) -> NotFoundError:
    return NotFoundError(
        f"expected a receipt.issued entry at seq {seq}, found none",
        f"Tidak ada kuitansi dengan nomor indeks {seq}.",
    )


def _official_or_zero(history: ScheduleHistory, command: IssueCommand, at: int) -> int:
    """The official fee (what the counter collects by default); 0 when it cannot be priced,
    in which case the check refuses the charge with the precise verdict."""
    try:
        return quote(history, command.service, dict(command.inputs), at).official_fee
    except ScheduleError:
        return 0


def _issued_body_factory(
    principal: Principal, office: str, command: IssueCommand, verdict: Verdict, charged: int
) -> Callable[[AppendContext], dict[str, Any]]:
    def factory(ctx: AppendContext) -> dict[str, Any]:
        year = wib_date(verdict.at_ms)[:4]
        number = ctx.next_number(f"receipt:{office}:{command.counter}:{year}")
        body: dict[str, Any] = {
            "receipt_no": f"{office}/{command.counter}/{year}/{number:06d}",
            "office": office,
            "counter": command.counter,
            "by": principal.user_id,
            "service": command.service,
            "schedule": verdict.version_id,
            "inputs": dict(command.inputs),
            "official_fee": verdict.official_fee,
            "charged": charged,
            "verdict": verdict.code.value,
        }
        if verdict.code.value == "waived" and command.waiver is not None:
            body["waiver"] = command.waiver
        return body

    return factory


def _sign_issued(entry: AppendedEntry, signer: KeyPair) -> bytes:
    body = entry.body
    claims = ReceiptClaims(
        office_code=str(body["office"]),
        counter_code=str(body["counter"]),
        number=str(body["receipt_no"]),
        ledger_index=entry.seq,
        issued_at=entry.at // 1000,
        service_code=str(body["service"]),
        schedule_version=str(body["schedule"]),
        official_fee=int(body["official_fee"]),
        amount_charged=int(body["charged"]),
        kind=ReceiptKind.NORMAL,
        commitment=commitment_from_leaf_hash(entry.leaf_hash),
        waiver_ref=str(body["waiver"]) if "waiver" in body else None,
    )
    return sign_receipt(claims, signer)


def _cose(entry: AppendedEntry) -> bytes:
    cose = entry.attachments.get(RECEIPT_ATTACHMENT)
    if cose is None:
        raise RuntimeError(f"entry {entry.seq} has no {RECEIPT_ATTACHMENT} attachment")
    return cose


def _refusal(entry: AppendedEntry) -> ChargeRefusedError:
    """The refusal as recorded in the ``charge.rejected`` entry (identical on a retry)."""
    verdict = verdict_from_rejection_body(entry.body)
    return ChargeRefusedError(
        verdict.message_en,
        verdict.message_id,
        verdict=verdict.code.value,
        seq=entry.seq,
        official_fee=verdict.official_fee,
        charged=verdict.charged,
        problems=[
            {"field": f"inputs.{p.name}", "detail": p.message_id, "detail_en": p.message_en}
            for p in verdict.problems
        ],
    )
