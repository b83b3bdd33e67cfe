"""A counter's daily closing and the treasurer's deposits (STS), computed from the ledger.

Closing (``day.closed``): the count, total and voids of a counter's WIB day are summed
from the log (through the read models), never taken from the client; figures the client
sends must match or the closing is refused. A counter-day closes once: the body factory
draws from the series ``closing:<office>:<counter>:<date>`` under the append lock, and a
second draw means an earlier closing.

Deposit (``deposit.recorded``): STS number, bank reference, amount, period and counters,
by a treasurer of the office. An STS number is recorded once (series ``sts:<number>``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine

from api.errors import (
    ClosingMismatchError,
    DayAlreadyClosedError,
    DuplicateError,
    InvalidRequestError,
    NotFoundError,
    ServiceUnavailableError,
)
from api.services.follower import ConfigFollower
from api.services.roles import Principal
from api.store import readmodels
from api.store.projection import Projector
from audit.calendar import wib_date
from ledger.storage import AppendContext, AppendRequest, LogStore, StoredEntry

__all__ = ["CashierService", "ClosingCommand", "ClosingView", "DepositCommand", "DepositView"]

_REF_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9./_-]{0,63}")


@dataclass(frozen=True, slots=True)
class ClosingCommand:
    counter: str
    date: str | None = None  # WIB date; today when omitted
    count: int | None = None
    total: int | None = None
    voids: int | None = None
    void_total: int | None = None


@dataclass(frozen=True, slots=True)
class ClosingView:
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


@dataclass(frozen=True, slots=True)
class DepositCommand:
    sts_no: str
    bank_ref: str
    amount: int
    period_from: str
    period_to: str
    counters: Sequence[str]
    deposited_at: int | None = None


@dataclass(frozen=True, slots=True)
class DepositView:
    seq: int
    office: str
    sts_no: str
    bank_ref: str
    amount: int
    period_from: str
    period_to: str
    counters: tuple[str, ...]
    deposited_at: int
    at: int


def _wib_day(text: str, field: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise InvalidRequestError(
            f"expected a date YYYY-MM-DD, found {text!r}",
            f"Tanggal harus berbentuk TTTT-BB-HH, bukan {text!r}.",
            field=field,
        ) from None


def _reference(text: str, field: str, what_id: str) -> str:
    if not _REF_RE.fullmatch(text):
        raise InvalidRequestError(
            f"expected {field} of 1-64 letters, digits and . / _ -, found {text!r}",
            f"{what_id} hanya boleh huruf, angka dan . / _ - (1–64 karakter).",
            field=field,
        )
    return text


class CashierService:
    def __init__(
        self,
        engine: Engine,
        store: LogStore,
        projector: Projector,
        follower: ConfigFollower,
        *,
        clock: Callable[[], int],
    ) -> None:
        self._engine = engine
        self._store = store
        self._projector = projector
        self._follower = follower
        self._clock = clock

    def _check_counter(self, office: str, counter: str) -> None:
        if (office, counter) not in self._follower.current().state.counters:
            raise NotFoundError(
                f"expected a counter of office {office}, found unknown counter {counter!r}",
                f"Loket {counter} tidak terdaftar di kantor {office}.",
            )

    def close_day(self, principal: Principal, command: ClosingCommand) -> ClosingView:
        office = principal.office or ""
        self._check_counter(office, command.counter)
        now = self._clock()
        today = wib_date(now)
        day = _wib_day(command.date, "date") if command.date else today
        if day > today:
            raise InvalidRequestError(
                f"expected a business day up to today ({today}), found {day}",
                f"Hari yang belum tiba ({day}) tidak dapat ditutup.",
                field="date",
            )
        for _ in range(_ATTEMPTS):
            request = self._closing_request(principal, command, office, day, now)
            try:
                entry = self._store.append(request)
            except _ClosingMovedError:
                continue  # a receipt of that counter came in meanwhile: count again
            break
        else:
            raise ServiceUnavailableError(
                f"expected the counter's receipts to hold still for one of {_ATTEMPTS} "
                "attempts to close the day, found new ones each time",
                "Kuitansi baru terus masuk di loket ini; ulangi penutupan sebentar lagi.",
            )
        b = entry.body
        return ClosingView(
            seq=entry.seq,
            office=office,
            counter=command.counter,
            date=day,
            count=int(b["count"]),
            total=int(b["total"]),
            voids=int(b["voids"]),
            void_total=int(b["void_total"]),
            net=int(b["net"]),
            last_seq=int(b["last_seq"]),
            at=entry.at,
        )

    def _closing_request(
        self, principal: Principal, command: ClosingCommand, office: str, day: str, now: int
    ) -> AppendRequest:
        """The ``day.closed`` request with the day's figures as the log has them now.

        Its factory confirms, with the log locked, that no receipt or void of the counter's
        office came into the log after the figures were read; else it raises
        :class:`_ClosingMovedError` and the caller counts again.
        """
        size = self._projector.catch_up()
        with self._engine.connect() as conn:
            sums = readmodels.day_sums(conn, office, command.counter, day)
        claimed = {
            "count": command.count,
            "total": command.total,
            "voids": command.voids,
            "void_total": command.void_total,
        }
        computed = {
            "count": sums.count,
            "total": sums.total,
            "voids": sums.voids,
            "void_total": sums.void_total,
        }
        wrong = {k: v for k, v in claimed.items() if v is not None and v != computed[k]}
        if wrong:
            listing = ", ".join(f"{k}: sent {v}, ledger {computed[k]}" for k, v in wrong.items())
            raise ClosingMismatchError(
                "expected the closing figures computed from the ledger, "
                f"found differences ({listing})",
                "Angka penutupan berbeda dengan catatan di log: "
                + ", ".join(f"{k} dikirim {v}, tercatat {computed[k]}" for k, v in wrong.items())
                + ".",
                extra={"expected": computed, "errors": [{"field": k} for k in wrong]},
            )
        series = f"closing:{office}:{command.counter}:{day}"

        def factory(ctx: AppendContext) -> dict[str, Any]:
            if ctx.next_number(series) > 1:
                raise DayAlreadyClosedError(
                    f"expected counter {command.counter} of {office} still open on {day}, "
                    "found it closed",
                    f"Loket {command.counter} sudah ditutup untuk tanggal {day}.",
                )
            if any(_moves_figures(e, office, command.counter) for e in ctx.entries_since(size)):
                raise _ClosingMovedError(size)
            return {
                "office": office,
                "counter": command.counter,
                "date": day,
                **computed,
                "net": sums.total - sums.void_total,
                "last_seq": size - 1,
                "by": principal.user_id,
            }

        return AppendRequest(kind="day.closed", at=now, body=factory)

    def record_deposit(self, principal: Principal, command: DepositCommand) -> DepositView:
        office = principal.office or ""
        sts_no = _reference(command.sts_no.strip(), "sts_no", "Nomor STS")
        bank_ref = _reference(command.bank_ref.strip(), "bank_ref", "Referensi bank")
        if command.amount <= 0:
            raise InvalidRequestError(
                f"expected a deposit amount above 0 rupiah, found {command.amount}",
                "Jumlah setoran harus lebih dari Rp0.",
                field="amount",
            )
        period_from = _wib_day(command.period_from, "period_from")
        period_to = _wib_day(command.period_to, "period_to")
        now = self._clock()
        if period_from > period_to or period_to > wib_date(now):
            raise InvalidRequestError(
                f"expected period_from <= period_to <= today, found {period_from}..{period_to}",
                "Periode setoran tidak valid (awal ≤ akhir ≤ hari ini).",
                field="period_to",
            )
        counters = tuple(dict.fromkeys(command.counters))
        if not counters:
            raise InvalidRequestError(
                "expected at least one counter code, found none",
                "Sebutkan minimal satu loket.",
                field="counters",
            )
        for counter in counters:
            self._check_counter(office, counter)
        deposited_at = command.deposited_at if command.deposited_at is not None else now
        if deposited_at > now:
            raise InvalidRequestError(
                "expected a deposit time in the past, found one in the future",
                "Waktu setoran tidak boleh di masa depan.",
                field="deposited_at",
            )

        def factory(ctx: AppendContext) -> dict[str, Any]:
            if ctx.next_number(f"sts:{sts_no}") > 1:
                raise DuplicateError(
                    f"expected a new STS number, found {sts_no} already recorded",
                    f"STS nomor {sts_no} sudah dicatat sebelumnya.",
                    extra={"field": "sts_no"},
                )
            return {
                "office": office,
                "sts_no": sts_no,
                "bank_ref": bank_ref,
                "amount": command.amount,
                "period_from": period_from,
                "period_to": period_to,
                "counters": list(counters),
                "deposited_at": deposited_at,
                "by": principal.user_id,
            }

        entry = self._store.append(AppendRequest(kind="deposit.recorded", at=now, body=factory))
        return DepositView(
            seq=entry.seq,
            office=office,
            sts_no=sts_no,
            bank_ref=bank_ref,
            amount=command.amount,
            period_from=period_from,
            period_to=period_to,
            counters=counters,
            deposited_at=deposited_at,
            at=entry.at,
        )


#: Times a closing counts again because receipts of its counter kept coming in.
_ATTEMPTS = 3


class _ClosingMovedError(Exception):
    """Raised by a closing's factory when its figures no longer cover the log."""

    def __init__(self, size: int) -> None:
        super().__init__(f"receipts came into the log after entry {size - 1}")


def _moves_figures(entry: StoredEntry, office: str, counter: str) -> bool:
    """Whether ``entry`` may change a counter's day figures: a receipt issued there, or a
    void of one of its receipts (numbered ``<office>/<counter>/<year>/<n>``)."""
    found = entry.decode()
    body = found.body
    if found.kind == "receipt.issued":
        return body.get("office") == office and body.get("counter") == counter
    if found.kind == "receipt.voided":
        return str(body.get("receipt_no", "")).startswith(f"{office}/{counter}/")
    return False
