"""Reading receipts back: look-up by seq, number or short code; status with proof; reprints.

A receipt's status always comes with a checkpoint that covers it and the inclusion proof
for that checkpoint's size (DESIGN §1 "Concurrency"): the read models are brought up to
date first, then the latest checkpoint is read, so every fact reported (issued, voided and
by which entry) lies inside the tree the proof is for.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from sqlalchemy import Engine

from api.errors import InvalidRequestError, NotFoundError
from api.services.follower import ConfigFollower
from api.services.roles import Principal, require_office
from api.services.views import ReceiptView, receipt_view
from api.store import readmodels
from api.store.projection import RECEIPT_ATTACHMENT, Projector
from ledger.storage import LogStore
from ledger.storage.errors import EntryNotFoundError
from receipts import (
    PaperLayout,
    ReceiptRenderModel,
    ReceiptsError,
    normalize_short_code,
    receipt_qr,
    render_pdf,
)

__all__ = ["InclusionView", "ReceiptReader", "ReceiptStatusView"]


@dataclass(frozen=True, slots=True)
class InclusionView:
    """An entry's leaf hash and its RFC 9162 inclusion proof in the tree of ``tree_size``."""

    seq: int
    leaf_hash: str  # hex
    entry: str  # base64 of the canonical entry bytes
    proof: tuple[str, ...]  # hex hashes, leaf to root


@dataclass(frozen=True, slots=True)
class ReceiptStatusView:
    receipt: ReceiptView
    status: str  # "issued" or "voided"
    tree_size: int
    root_hash: str  # base64, as in the checkpoint
    checkpoint: str  # the signed note, text
    inclusion: InclusionView
    void: InclusionView | None


class ReceiptReader:
    """Look-ups, status with proofs, PDF and PNG reprints."""

    def __init__(
        self,
        engine: Engine,
        store: LogStore,
        projector: Projector,
        follower: ConfigFollower,
        *,
        public_url: str,
    ) -> None:
        self._engine = engine
        self._store = store
        self._projector = projector
        self._follower = follower
        self._public_url = public_url

    def resolve(self, ref: str) -> int:
        """The seq of a receipt named by seq, receipt number or short code."""
        text = ref.strip()
        if text.isdigit():
            return int(text)
        self._projector.catch_up()
        with self._engine.connect() as conn:
            seq = readmodels.receipt_seq_by_number(conn, text)
            if seq is None:
                try:
                    code = normalize_short_code(text)
                except ReceiptsError:
                    code = None
                if code is not None:
                    seq = readmodels.receipt_seq_by_short_code(conn, code)
        if seq is None:
            raise NotFoundError(
                f"expected a receipt seq, number or verification code, found no receipt {text!r}",
                f"Kuitansi {text} tidak ditemukan.",
            )
        return seq

    def get(self, seq: int) -> ReceiptView:
        """The receipt at ``seq``; :class:`NotFoundError` when that entry is not a receipt."""
        try:
            stored = self._store.entry(seq)
        except EntryNotFoundError:
            raise _not_receipt(seq) from None
        entry = stored.decode()
        cose = self._store.attachment(seq, RECEIPT_ATTACHMENT)
        if entry.kind != "receipt.issued" or cose is None:
            raise _not_receipt(seq)
        return receipt_view(
            seq, entry.at, stored.leaf_hash, entry.body, cose=cose, public_url=self._public_url
        )

    def get_for_staff(self, principal: Principal, seq: int) -> ReceiptView:
        """As :meth:`get`, refusing office-bound staff of another office."""
        view = self.get(seq)
        require_office(principal, view.office)
        return view

    def status(self, seq: int) -> ReceiptStatusView:
        view = self.get(seq)
        self._projector.catch_up()
        with self._engine.connect() as conn:
            void_seq = readmodels.void_of(conn, seq)
        signed = self._store.latest_checkpoint()
        size = signed.checkpoint.size
        if void_seq is not None and void_seq >= size:
            void_seq = None  # not yet under a checkpoint we hand out
        return ReceiptStatusView(
            receipt=view,
            status="voided" if void_seq is not None else "issued",
            tree_size=size,
            root_hash=base64.b64encode(signed.checkpoint.root).decode("ascii"),
            checkpoint=signed.note.decode("utf-8"),
            inclusion=self._inclusion(seq, size),
            void=self._inclusion(void_seq, size) if void_seq is not None else None,
        )

    def _inclusion(self, seq: int, size: int) -> InclusionView:
        stored = self._store.entry(seq)
        proof = self._store.inclusion_proof(seq, size)
        return InclusionView(
            seq=seq,
            leaf_hash=stored.leaf_hash.hex(),
            entry=base64.b64encode(stored.data).decode("ascii"),
            proof=tuple(h.hex() for h in proof),
        )

    def pdf(self, principal: Principal, seq: int, layout: str) -> bytes:
        try:
            paper = PaperLayout(layout)
        except ValueError:
            raise InvalidRequestError(
                f"expected layout thermal58, thermal80 or a4, found {layout!r}",
                "Tata letak harus thermal58, thermal80 atau a4.",
                field="layout",
            ) from None
        view = self.get_for_staff(principal, seq)
        return render_pdf(self.render_model(view), paper)

    def png(self, principal: Principal, seq: int) -> bytes:
        view = self.get_for_staff(principal, seq)
        return receipt_qr(self._public_url, view.cose).to_png()

    def render_model(self, view: ReceiptView) -> ReceiptRenderModel:
        """What a printed receipt shows, with names looked up in the configuration."""
        snapshot = self._follower.current()
        office = snapshot.state.offices.get(view.office)
        service_name, legal_basis, unverified = view.service, "", False
        for published in snapshot.history:
            if published.version.id == view.schedule and view.service in published.version:
                item = published.version.item(view.service)
                service_name = item.name
                legal_basis = f"{item.legal_ref}; {published.version.legal_basis}"
                unverified = item.unverified
        return ReceiptRenderModel.from_receipt(
            view.cose,
            public_url=self._public_url,
            office_name=office.name if office else view.office,
            service_name=service_name,
            legal_basis=legal_basis,
            tariff_unverified=unverified,
        )


def _not_receipt(seq: int) -> NotFoundError:
    return NotFoundError(
        f"expected a receipt.issued entry at seq {seq}, found none",
        f"Tidak ada kuitansi dengan nomor indeks {seq}.",
    )
