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

The check is decided on the configuration this process has folded (no database read),
then confirmed inside the append transaction, with the log locked, against the
configuration as of the entry itself (:meth:`ConfigFollower.in_batch`): the counter
exists, its day is not closed, and no publication, closing or key change came in between
— else the issue is decided again on the newer configuration. So a closing and an issue
racing each other are ordered by the log: an issue after the closing entry is refused.
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
    ServiceUnavailableError,
)
from api.services.follower import ConfigFollower, ConfigSnapshot
from api.services.keys import KeyFiles
from api.services.roles import Principal, Role, require_office
from api.services.views import ReceiptView, receipt_view
from api.store.projection import RECEIPT_ATTACHMENT
from api.store.staff import UserRow
from audit.calendar import wib_date
from ledger.encoding import canonical_json
from ledger.schedule import (
    Charge,
    Verdict,
    check,
    check_official_fee,
    rejection_body,
    verdict_from_rejection_body,
)
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
        snapshot = self._follower.cached()
        for _ in range(_ATTEMPTS):
            issuing = self._prepare(principal, command, idempotency_key, snapshot)
            try:
                entry = self._store.append(issuing.request)
            except _ConfigurationMovedError as moved:
                snapshot = moved.snapshot
                continue
            return self._answer(issuing, entry)
        raise _kept_moving()

    async def issue_async(
        self, principal: Principal, command: IssueCommand, idempotency_key: str
    ) -> tuple[ReceiptView, bool]:
        """:meth:`issue` for a request handler on the event loop: the schedule check runs
        here, the append is awaited (committed by the store's committer thread), and no
        database is read on the way."""
        snapshot = self._follower.cached()
        for _ in range(_ATTEMPTS):
            issuing = self._prepare(principal, command, idempotency_key, snapshot)
            try:
                entry = await self._store.append_async(issuing.request)
            except _ConfigurationMovedError as moved:
                snapshot = moved.snapshot
                continue
            return self._answer(issuing, entry)
        raise _kept_moving()

    def _prepare(
        self,
        principal: Principal,
        command: IssueCommand,
        idempotency_key: str,
        snapshot: ConfigSnapshot,
    ) -> _Issuing:
        """The append request of an issue, decided on ``snapshot``.

        The decision is optimistic: the entry's factory confirms it inside the append
        transaction against the configuration as of that entry
        (:meth:`ConfigFollower.in_batch`) and raises :class:`_ConfigurationMovedError` if that
        is not ``snapshot``'s, so that the caller decides again on the newer one.
        """
        office = principal.office or ""
        at = self._clock()
        key = f"issue:{principal.user_id}:{idempotency_key}"
        guard = _Guard(self._follower, snapshot, office, command.counter, wib_date(at))
        if command.charged is None:  # the official fee is collected: price once
            charge = Charge(command.service, dict(command.inputs), 0, at, command.waiver)
            verdict = check_official_fee(snapshot.history, charge)
            charged = verdict.charged
        else:
            charged = command.charged
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
                body=_issued_body_factory(
                    guard,
                    principal=principal,
                    office=office,
                    command=command,
                    verdict=verdict,
                    charged=charged,
                ),
                idempotency_key=key,
                request_digest=digest,
                attach=lambda entry: {RECEIPT_ATTACHMENT: _sign_issued(entry, signer)},
            )
        else:
            # A refused official-fee charge could not be priced: it is recorded as asked,
            # with nothing charged (check_official_fee's verdict says charged 0 then too).
            rejected = rejection_body(charge, verdict, principal.user_id, office, command.counter)

            def rejection(_ctx: AppendContext) -> Mapping[str, Any]:
                guard.confirm()
                return rejected

            request = AppendRequest(
                kind="charge.rejected",
                at=at,
                body=rejection,
                idempotency_key=key,
                request_digest=digest,
            )
        return _Issuing(request, verdict.code.value)

    def _answer(self, issuing: _Issuing, entry: AppendedEntry) -> tuple[ReceiptView, bool]:
        if entry.kind == "charge.rejected":
            if not entry.replayed:
                self._on_rejected(issuing.verdict)
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


#: Times an issue is decided again because the configuration moved under it (a closing,
#: a publication or a key change committed between the decision and the entry).
_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class _Issuing:
    request: AppendRequest
    verdict: str


class _ConfigurationMovedError(Exception):
    """Raised by an issue's body factory when the configuration as of its entry is not the
    one the issue was decided on; carries the newer configuration."""

    def __init__(self, snapshot: ConfigSnapshot) -> None:
        super().__init__("the configuration changed between the check and the entry")
        self.snapshot = snapshot


class _Guard:
    """What an issue confirms inside the append transaction, as of its own entry."""

    __slots__ = ("_counter", "_day", "_follower", "_office", "_snapshot")

    def __init__(
        self,
        follower: ConfigFollower,
        snapshot: ConfigSnapshot,
        office: str,
        counter: str,
        day: str,
    ) -> None:
        self._follower = follower
        self._snapshot = snapshot
        self._office = office
        self._counter = counter
        self._day = day

    def confirm(self) -> None:
        """Raise unless the counter exists, is open for the day, and the configuration is
        still the one the charge was checked against."""
        fresh = self._follower.in_batch()
        office, counter = self._office, self._counter
        if (office, counter) not in fresh.state.counters:
            raise NotFoundError(
                f"expected a counter of office {office}, found unknown counter {counter!r}",
                f"Loket {counter} tidak terdaftar di kantor {office}.",
            )
        # A closed counter-day takes no new receipt; a retry of one issued before the
        # closing is answered by the store from its idempotency key, without this check.
        if fresh.state.day_closed(office, counter, self._day):
            raise _day_closed(office, counter, self._day)
        if fresh.state is not self._snapshot.state:
            raise _ConfigurationMovedError(fresh)


def _kept_moving() -> ServiceUnavailableError:
    return ServiceUnavailableError(
        f"expected the configuration to hold still for one of {_ATTEMPTS} attempts to issue, "
        "found it changed under each",
        "Konfigurasi sedang berubah; silakan ulangi sebentar lagi.",
    )


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


def _issued_body_factory(
    guard: _Guard,
    *,
    principal: Principal,
    office: str,
    command: IssueCommand,
    verdict: Verdict,
    charged: int,
) -> Callable[[AppendContext], dict[str, Any]]:
    def factory(ctx: AppendContext) -> dict[str, Any]:
        guard.confirm()
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
