"""The business rules, checked entry by entry against what the log itself establishes.

:class:`ComplianceChecker` replays every decoded entry in log order and keeps only what
later rules need (:mod:`audit.registry`, :mod:`audit.reconciliation`,
:mod:`audit.patterns`). The rules (DESIGN §2 and §5, ``docs/audit-report.md``):

- ``schedule.published`` — the document matches its commitment and is not retroactive
  (:meth:`ledger.schedule.ScheduleHistory.check_publish`);
- ``receipt.issued`` — re-checked with :func:`ledger.schedule.check` against the version
  in force at the entry's time: a free service charged, an overcharge accepted, an
  undercharge without a waiver, a wrong official fee or version; every waiver is listed;
- ``charge.rejected`` — the recorded verdict is what the schedule gives
  (:func:`ledger.schedule.recheck_rejection`); attempts on free services are listed;
- ``receipt.voided`` — names an earlier receipt of the same office by number, is approved
  by a user the log registered as a supervisor, and is the only void of that receipt;
- ``day.closed`` and ``deposit.recorded`` — see :mod:`audit.reconciliation`;
- ``complaint.filed`` — linked to a receipt in the log; a claim of paying more than the
  receipt says is listed; complaints never resolved are listed at the end.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from audit.calendar import NO_HOLIDAYS, OfficeHours
from audit.findings import Finding, FindingSink, Where
from audit.options import PatternThresholds
from audit.patterns import Patterns, PatternTables
from audit.reconciliation import DayBook, ReconciliationRow
from audit.registry import ReceiptIndex, ReceiptRow, Registry, User, number_crc
from ledger.schedule import (
    Charge,
    PublishedVersion,
    ScheduleHistory,
    ScheduleVersion,
    VerdictCode,
    check,
    publication_from_body,
    recheck_rejection,
    verdict_from_rejection_body,
)
from ledger.schedule.errors import (
    InvalidChargeError,
    MissingDocumentError,
    NoScheduleInForce,
    PublicationError,
    PublishRefusedError,
    RejectionRecordError,
    RetroactiveScheduleError,
    VerdictMismatchError,
)

__all__ = [
    "ComplianceChecker",
    "ComplianceTables",
    "DocumentLookup",
    "IssuedRecord",
    "ReceiptFacts",
    "receipt_facts",
]

#: Fetches a schedule document committed only by its SHA-256 (``None`` if unavailable).
DocumentLookup = Callable[[str], bytes | None]

_CACHE_LIMIT: Final = 100_000
_END_OF_TIME: Final = 2**63
_RESOLVED: Final = frozenset({"resolved", "rejected"})
#: The verdict code of a charge for a free service, as recorded (an enum's ``value`` is a
#: property: read it once, not once per refused charge).
_FREE_SERVICE: Final = VerdictCode.CHARGED_FOR_FREE_SERVICE.value


class _MalformedBodyError(Exception):
    """Internal: a body lacks a field a rule needs."""


def _text(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if type(value) is not str:
        raise _MalformedBodyError(f"{key!r} must be text, found {value!r}")
    return value


def _int(body: Mapping[str, Any], key: str) -> int:
    value = body.get(key)
    if type(value) is not int:
        raise _MalformedBodyError(f"{key!r} must be an integer, found {value!r}")
    return value


def _receipt_problem(body: Mapping[str, Any]) -> str:
    """Why a ``receipt.issued`` body cannot be checked (the first field at fault)."""
    try:
        for key in ("office", "counter", "by", "service", "receipt_no", "schedule"):
            _text(body, key)
        for key in ("charged", "official_fee"):
            _int(body, key)
    except _MalformedBodyError as exc:
        return str(exc)
    if type(body.get("inputs")) is not dict:
        return f"'inputs' must be a map, found {body.get('inputs')!r}"
    return f"'waiver' must be text, found {body.get('waiver')!r}"


#: What the rules read from a ``receipt.issued`` body, as a plain tuple (cheap to build,
#: to send from a worker process with :mod:`marshal`, and to unpack): office, counter,
#: petugas, service, receipt number, schedule version, charged, recorded official fee, the
#: inputs as ``(name, value)`` pairs in the body's order, waiver (or ``None``) and the
#: CRC-32 of the number (:func:`audit.registry.number_crc`).
ReceiptFacts = tuple[
    str, str, str, str, str, str, int, int, tuple[tuple[str, Any], ...], str | None, int
]


def receipt_facts(body: dict[str, Any]) -> ReceiptFacts | None:
    """The facts of a ``receipt.issued`` body, or ``None`` if a field is missing or of the
    wrong type (the replay then names it). Pure: runs wherever the entry was read."""
    get = body.get
    office, counter, by = get("office"), get("counter"), get("by")
    service, number, schedule = get("service"), get("receipt_no"), get("schedule")
    charged, official, inputs, waiver = (
        get("charged"),
        get("official_fee"),
        get("inputs"),
        get("waiver"),
    )
    if not (
        type(office) is str
        and type(counter) is str
        and type(by) is str
        and type(service) is str
        and type(number) is str
        and type(schedule) is str
        and type(charged) is int
        and type(official) is int
        and type(inputs) is dict
        and (waiver is None or type(waiver) is str)
    ):
        return None
    return (
        office,
        counter,
        by,
        service,
        number,
        schedule,
        charged,
        official,
        tuple(inputs.items()),
        waiver,
        number_crc(number),
    )


#: The replay record of a ``receipt.issued`` entry read as facts:
#: ``(seq, kind, at, None, facts)`` (see :data:`audit.chunks.Record`).
IssuedRecord = tuple[int, str, int, Any, ReceiptFacts]


@dataclass(frozen=True, slots=True)
class ComplianceTables:
    """What the compliance pass leaves for the reports."""

    reconciliation: list[ReconciliationRow]
    days: DayBook
    patterns: PatternTables
    registry: Registry


class ComplianceChecker:
    """Replays decoded entries and reports what breaks the rules."""

    def __init__(
        self,
        sink: FindingSink,
        *,
        deadline_days: int,
        hours: OfficeHours,
        thresholds: PatternThresholds,
        documents: DocumentLookup,
        holidays: frozenset[int] = NO_HOLIDAYS,
    ) -> None:
        self._sink = sink
        self._documents = documents
        self.registry = Registry()
        self.receipts = ReceiptIndex()
        self.days = DayBook(self.registry, sink, deadline_days, holidays)
        self.patterns = Patterns(self.registry, sink, thresholds, hours, holidays)
        self.history = ScheduleHistory()
        self._verdicts: dict[tuple[Any, ...], tuple[VerdictCode, int | None, str | None]] = {}
        self._rechecks: dict[tuple[Any, ...], tuple[str, str | None]] = {}
        #: (office, counter, petugas) -> _identify(...), until the registry changes.
        self._who: dict[tuple[str, str, str], tuple[int, int, str | None]] = {}
        #: (from, until, version): the interval the last version looked up governs.
        self._span: tuple[int, int, ScheduleVersion] | None = None
        self._complaints: dict[str, tuple[int, str]] = {}  # tracking no -> (seq, status)
        self._last_at: int | None = None
        self._handlers: dict[str, Callable[[int, int, dict[str, Any]], None]] = {
            "receipt.issued": self._receipt,
            "charge.rejected": self._rejection,
            "receipt.voided": self._void,
            "day.closed": self._closing,
            "deposit.recorded": self._deposit,
            "complaint.filed": self._complaint,
            "complaint.updated": self._complaint_update,
            "schedule.published": self._schedule,
            "office.added": self._office,
            "counter.added": self._counter,
            "user.added": self._user,
            "user.revoked": self._user_revoked,
        }

    @property
    def as_of(self) -> int | None:
        """Time of the newest entry replayed (the audit's "now", never the wall clock)."""
        return self._last_at

    def apply(self, seq: int, kind: str, at: int, body: dict[str, Any]) -> None:
        handler = self._handlers.get(kind)
        if handler is not None:
            try:
                handler(seq, at, body)
            except (_MalformedBodyError, KeyError, TypeError, ValueError) as exc:
                self._malformed(seq, kind, exc)
        if self._last_at is None or at > self._last_at:
            self._last_at = at

    def receipt_issued(self, seq: int, at: int, facts: ReceiptFacts) -> None:
        """:meth:`apply` of a ``receipt.issued`` entry, given :func:`receipt_facts` of its
        body — the audit's hot path: most entries are receipts, and most receipts only
        update the tallies."""
        office, counter, by, service, number, schedule, charged, official, inputs, waiver, crc = (
            facts
        )
        try:
            who = self._who.get((office, counter, by))
            if who is None:
                who = self._who[(office, counter, by)] = self._identify(office, counter, by)
            loket, issuer, unknown = who
            self.receipts.add(seq, loket, charged, issuer, crc)
            self.days.receipt(seq, loket, at, charged)
            self.patterns.receipt(seq, loket, issuer, at, charged)
            if unknown is not None:
                self._unknown(
                    seq,
                    f"receipt {number} names counter {office}/{counter} and petugas {by}; "
                    f"the log registers {unknown}",
                    {"office": office, "counter": counter},
                )
            span = self._span
            if span is not None and span[0] <= at < span[1]:
                # Bodies come from canonical JSON: equal inputs list their items in equal order.
                key = (span[2].id, service, inputs, charged, waiver is not None)
                verdict = self._verdicts.get(key)
                if verdict is not None and verdict == (VerdictCode.OK, official, schedule):
                    pass  # the usual case: priced as recorded, by the version in force
                else:
                    self._receipt_verdict(seq, at, facts)
            else:
                self._receipt_verdict(seq, at, facts)
        except (_MalformedBodyError, KeyError, TypeError, ValueError) as exc:
            self._malformed(seq, "receipt.issued", exc)
        if self._last_at is None or at > self._last_at:
            self._last_at = at

    def receipts_issued(self, records: Sequence[IssuedRecord]) -> None:
        """:meth:`receipt_issued` of each record ``(seq, kind, at, _, facts)``, in order: a
        run of receipts with no other entry between them, replayed as one batch.

        The receipt index, the day tallies and the patterns learn nothing from each other,
        and a receipt's findings depend only on the registry and the schedule, which no
        receipt changes: so each is fed the whole run at once (in order, so every finding
        code is still added in log order), with the same outcome as receipt by receipt.
        """
        who_of = self._who
        verdicts = self._verdicts
        ok = VerdictCode.OK
        span = self._span
        last_at = self._last_at
        rows: list[ReceiptRow] = []
        append = rows.append
        for seq, _, at, _, facts in records:
            (
                office,
                counter,
                by,
                service,
                number,
                schedule,
                charged,
                official,
                inputs,
                waiver,
                crc,
            ) = facts
            try:
                who = who_of.get((office, counter, by))
                if who is None:
                    who = who_of[(office, counter, by)] = self._identify(office, counter, by)
                loket, issuer, unknown = who
                append((seq, loket, issuer, at, charged, crc))
                if unknown is not None:
                    self._unknown(
                        seq,
                        f"receipt {number} names counter {office}/{counter} and petugas {by}; "
                        f"the log registers {unknown}",
                        {"office": office, "counter": counter},
                    )
                if span is not None and span[0] <= at < span[1]:
                    # Canonical bodies list equal inputs in equal order (see receipt_issued).
                    key = (span[2].id, service, inputs, charged, waiver is not None)
                    verdict = verdicts.get(key)
                    if (
                        verdict is None
                        or verdict[0] is not ok
                        or verdict[1] != official
                        or verdict[2] != schedule
                    ):
                        self._receipt_verdict(seq, at, facts)
                        span = self._span
                else:
                    self._receipt_verdict(seq, at, facts)
                    span = self._span
            except (_MalformedBodyError, KeyError, TypeError, ValueError) as exc:
                self._malformed(seq, "receipt.issued", exc)
            if last_at is None or at > last_at:
                last_at = at
        self._last_at = last_at
        self.receipts.add_rows(rows)
        self.days.receipts(rows)
        self.patterns.receipts(rows)

    def _malformed(self, seq: int, kind: str, exc: Exception) -> None:
        self._sink.add(
            Finding(
                "compliance.malformed_body",
                f"{kind} at seq {seq} cannot be checked: {exc}",
                seq=seq,
                evidence={"kind": kind},
            )
        )

    # -- configuration -------------------------------------------------------------------

    def _office(self, seq: int, at: int, body: dict[str, Any]) -> None:
        self.registry.offices.setdefault(_text(body, "office"), seq)
        self._who.clear()

    def _counter(self, seq: int, at: int, body: dict[str, Any]) -> None:
        office, counter = _text(body, "office"), _text(body, "counter")
        if office not in self.registry.offices:
            self._unknown(seq, f"counter {counter} is added to office {office}, not in the log")
        self.registry.counters.setdefault((office, counter), seq)
        self.registry.loket(office, counter)
        self._who.clear()

    def _user(self, seq: int, at: int, body: dict[str, Any]) -> None:
        office = body.get("office")
        self.registry.users[_text(body, "user")] = User(
            _text(body, "role"), office if isinstance(office, str) else None, seq
        )
        self._who.clear()

    def _user_revoked(self, seq: int, at: int, body: dict[str, Any]) -> None:
        user = self.registry.users.get(_text(body, "user"))
        if user is not None and user.revoked_seq is None:
            user.revoked_seq = seq

    def _identify(self, office: str, counter: str, by: str) -> tuple[int, int, str | None]:
        """(loket index, user index, what the log does not register) of a receipt's issuer."""
        registry = self.registry
        unknown = None
        if (office, counter) not in registry.counters:
            unknown = "no such counter"
        elif by not in registry.users:
            unknown = "no such user"
        return registry.loket(office, counter), registry.user(by), unknown

    def _unknown(self, seq: int, message: str, where: Where | None = None) -> None:
        self._sink.add(Finding("compliance.unknown_reference", message, seq=seq, **(where or {})))

    def _schedule(self, seq: int, at: int, body: dict[str, Any]) -> None:
        digest = body.get("sha256")
        documents: dict[str, bytes] = {}
        if body.get("storage") == "sha256" and isinstance(digest, str):
            found = self._documents(digest)
            if found is not None:
                documents[digest] = found
        try:
            publication = publication_from_body(body, documents)
            last_at = self._last_at if self._last_at is not None else at
            self.history.check_publish(publication.version, at, last_at)
        except RetroactiveScheduleError as exc:
            self._sink.add(
                Finding(
                    "compliance.schedule_retroactive",
                    f"schedule.published at seq {seq} is retroactive: {exc}",
                    seq=seq,
                    evidence={
                        "version": body.get("version"),
                        "effective_from": body.get("effective_from"),
                    },
                )
            )
            return
        except (PublicationError, PublishRefusedError) as exc:
            missing = isinstance(exc, MissingDocumentError)
            self._sink.add(
                Finding(
                    "compliance.schedule_invalid",
                    f"schedule.published at seq {seq} "
                    + (
                        "commits to a document the source does not hold: "
                        if missing
                        else "is invalid: "
                    )
                    + str(exc),
                    seq=seq,
                    evidence={"version": body.get("version"), "sha256": digest},
                )
            )
            return
        self.history = ScheduleHistory(
            (
                *self.history.published,
                PublishedVersion(
                    at, publication.version, publication.sha256, publication.publisher
                ),
            )
        )
        self._verdicts.clear()
        self._rechecks.clear()
        self._span = None

    # -- charges ---------------------------------------------------------------------------

    def _version(self, at: int) -> ScheduleVersion | None:
        span = self._span
        if span is not None and span[0] <= at < span[1]:
            return span[2]
        try:
            version = self.history.in_force(at)
        except NoScheduleInForce:
            return None
        # Remember the interval this version governs: most entries fall in the same one.
        starts = [p.in_force_from_ms for p in self.history.published]
        index = bisect.bisect_right(starts, at) - 1
        end = starts[index + 1] if index + 1 < len(starts) else _END_OF_TIME
        self._span = (starts[index], end, version)
        return version

    def _judge(
        self,
        at: int,
        service: str,
        inputs: tuple[tuple[str, Any], ...],
        charged: int,
        waiver: str | None,
    ) -> tuple[VerdictCode, int | None, str | None]:
        span = self._span
        version = span[2] if span is not None and span[0] <= at < span[1] else self._version(at)
        if version is None:
            return VerdictCode.NO_SCHEDULE_IN_FORCE, None, None
        # Bodies come from canonical JSON, so equal inputs list their items in equal order.
        key = (version.id, service, inputs, charged, waiver is not None)
        cached = self._verdicts.get(key)
        if cached is None:
            try:
                verdict = check(version, Charge(service, dict(inputs), charged, at, waiver))
                cached = (verdict.code, verdict.official_fee, verdict.version_id)
            except InvalidChargeError:
                cached = (VerdictCode.INVALID_INPUTS, None, version.id)
            if len(self._verdicts) >= _CACHE_LIMIT:
                self._verdicts.clear()
            self._verdicts[key] = cached
        return cached

    def _receipt(self, seq: int, at: int, body: dict[str, Any]) -> None:
        facts = receipt_facts(body)
        if facts is None:
            raise _MalformedBodyError(_receipt_problem(body))
        self.receipt_issued(seq, at, facts)

    def _receipt_verdict(self, seq: int, at: int, facts: ReceiptFacts) -> None:
        """Re-check the charge of a receipt against the schedule in force (cached)."""
        office, counter, _, service, number, schedule, charged, official, inputs, waiver, _ = facts
        code, fee, version_id = self._judge(at, service, inputs, charged, waiver)
        if code is VerdictCode.OK and fee == official and version_id == schedule:
            return  # the usual case
        self._receipt_findings(
            seq,
            {"office": office, "counter": counter},
            (code, fee, version_id),
            {
                "receipt_no": number,
                "service": service,
                "charged": charged,
                "recorded_official_fee": official,
                "official_fee": fee,
                "schedule": version_id,
                "recorded_schedule": schedule,
            },
            waiver,
        )

    def _receipt_findings(
        self,
        seq: int,
        where: Where,
        judged: tuple[VerdictCode, int | None, str | None],
        evidence: dict[str, Any],
        waiver: str | None,
    ) -> None:
        code, fee, version_id = judged
        number, service, charged = evidence["receipt_no"], evidence["service"], evidence["charged"]
        official, schedule = evidence["recorded_official_fee"], evidence["recorded_schedule"]
        if code is VerdictCode.OK or code is VerdictCode.WAIVED:
            if fee != official:
                self._sink.add(
                    Finding(
                        "compliance.official_fee_mismatch",
                        f"receipt {number} records official fee {official}; schedule "
                        f"{version_id} gives {fee} for {service}",
                        seq=seq,
                        evidence=evidence,
                        **where,
                    )
                )
            if version_id != schedule:
                self._sink.add(
                    Finding(
                        "compliance.schedule_not_in_force",
                        f"receipt {number} cites schedule {schedule}; {version_id} was in force",
                        seq=seq,
                        evidence=evidence,
                        **where,
                    )
                )
            if code is VerdictCode.WAIVED:
                self._sink.add(
                    Finding(
                        "compliance.waiver",
                        f"receipt {number}: {charged} rupiah charged instead of {fee} under "
                        f"waiver {waiver}",
                        seq=seq,
                        evidence={**evidence, "waiver": waiver},
                        **where,
                    )
                )
            return
        if code is VerdictCode.CHARGED_FOR_FREE_SERVICE:
            self._sink.add(
                Finding(
                    "compliance.free_service_charged",
                    f"receipt {number} charges {charged} rupiah for {service}, free by law",
                    seq=seq,
                    evidence=evidence,
                    **where,
                )
            )
        elif code is VerdictCode.OVERCHARGE:
            self._sink.add(
                Finding(
                    "compliance.overcharge_accepted",
                    f"receipt {number} charges {charged} rupiah for {service}; the official "
                    f"fee was {fee} rupiah (schedule {version_id})",
                    seq=seq,
                    evidence=evidence,
                    **where,
                )
            )
        elif code is VerdictCode.UNDERCHARGE:
            self._sink.add(
                Finding(
                    "compliance.undercharge_without_waiver",
                    f"receipt {number} charges {charged} rupiah for {service}, below the "
                    f"official {fee} rupiah, with no waiver",
                    seq=seq,
                    evidence=evidence,
                    **where,
                )
            )
        else:
            self._sink.add(
                Finding(
                    "compliance.charge_unverifiable",
                    f"receipt {number} for {service} cannot be priced by the schedule in force "
                    f"({code.value})",
                    seq=seq,
                    evidence={**evidence, "verdict": code.value},
                    **where,
                )
            )

    def _rejection(self, seq: int, at: int, body: dict[str, Any]) -> None:
        office, counter, actor = _text(body, "office"), _text(body, "counter"), _text(body, "actor")
        service, charged = _text(body, "service"), _int(body, "charged")
        record, inputs = body.get("verdict"), body.get("inputs")
        if type(record) is not dict or type(inputs) is not dict:
            raise _MalformedBodyError("'verdict' and 'inputs' must be maps")
        version = self._version(_int(body, "charged_at"))
        # The same charge, recorded with the same verdict, re-checks the same way under one
        # schedule version: judge each distinct one once (ledger.schedule.recheck_rejection).
        # Canonical bodies list equal maps in equal (sorted) order, so the items as listed
        # key them: equal keys are equal maps, whatever the order.
        key = (
            version.id if version is not None else None,
            service,
            tuple(inputs.items()),
            charged,
            body.get("waiver_ref"),
            tuple(record.items())
            if "problems" not in record
            else tuple((k, v) for k, v in record.items() if k != "problems"),
            len(body),
        )
        outcome = self._rechecks.get(key)
        if outcome is None:
            outcome = self._recheck(body)
            if len(self._rechecks) >= _CACHE_LIMIT:
                self._rechecks.clear()
            self._rechecks[key] = outcome
        recorded_code, mismatch = outcome
        loket = self.registry.loket(office, counter)
        free = recorded_code == _FREE_SERVICE
        self.days.refusal(loket, at)
        self.patterns.refusal(seq, actor, loket, free)
        where: Where = {"office": office, "counter": counter}
        if mismatch is not None:
            self._sink.add(
                Finding(
                    "compliance.rejection_mismatch",
                    f"charge.rejected at seq {seq}: {mismatch}",
                    seq=seq,
                    evidence={"recorded": recorded_code},
                    **where,
                )
            )
        if free:
            self._sink.add(
                Finding(
                    "compliance.free_service_attempt",
                    f"petugas {actor} tried to charge {charged} rupiah for {service}, free by "
                    "law (refused)",
                    seq=seq,
                    evidence={"petugas": actor, "service": service, "charged": charged},
                    **where,
                )
            )

    def _recheck(self, body: dict[str, Any]) -> tuple[str, str | None]:
        """(recorded verdict code, why re-checking disagrees or ``None``)."""
        try:
            recorded = verdict_from_rejection_body(body)
            recheck_rejection(self.history, body)
        except VerdictMismatchError as exc:
            return recorded.code.value, str(exc)
        except RejectionRecordError as exc:
            raise _MalformedBodyError(str(exc)) from exc
        return recorded.code.value, None

    # -- voids -----------------------------------------------------------------------------

    def _void(self, seq: int, at: int, body: dict[str, Any]) -> None:
        target, number = _int(body, "receipt_seq"), _text(body, "receipt_no")
        office, approver = _text(body, "office"), _text(body, "approved_by")
        role = _text(body, "approver_role")
        evidence = {"receipt_seq": target, "receipt_no": number, "approved_by": approver}
        receipt = self.receipts.get(target) if target < seq else None
        if receipt is None or receipt.number_crc != number_crc(number):
            self._sink.add(
                Finding(
                    "compliance.void_unknown_receipt",
                    f"void at seq {seq} names receipt {number} at seq {target}; "
                    + (
                        "no earlier receipt.issued entry is there"
                        if receipt is None
                        else "the receipt there has another number"
                    ),
                    seq=seq,
                    office=office,
                    evidence=evidence,
                )
            )
            return
        receipt_office, counter = self.registry.lokets[receipt.loket]
        where: Where = {"office": office, "counter": counter}
        if receipt_office != office:
            self._sink.add(
                Finding(
                    "compliance.void_wrong_office",
                    f"void at seq {seq} by office {office} cancels receipt {number} of "
                    f"office {receipt_office}",
                    seq=seq,
                    evidence=evidence,
                    **where,
                )
            )
        user = self.registry.users.get(approver)
        registered_role = user.role if user is not None else None
        if (
            role != "supervisor"
            or registered_role != "supervisor"
            or (user is not None and user.office not in (None, receipt_office))
        ):
            self._sink.add(
                Finding(
                    "compliance.void_not_supervisor",
                    f"void at seq {seq} of receipt {number} is approved by {approver} as "
                    f"{role!r}; the log registers that user as "
                    + (f"{registered_role!r} of {user.office}" if user else "nobody"),
                    seq=seq,
                    evidence={
                        **evidence,
                        "approver_role": role,
                        "registered_role": registered_role,
                    },
                    **where,
                )
            )
        if receipt.voided:
            self._sink.add(
                Finding(
                    "compliance.void_repeated",
                    f"receipt {number} (seq {target}) is voided again at seq {seq}",
                    seq=seq,
                    evidence=evidence,
                    **where,
                )
            )
            return
        self.receipts.mark_voided(target)
        self.days.void(seq, receipt.loket, at, receipt.charged)
        self.patterns.void(receipt.issuer)

    # -- money and complaints ----------------------------------------------------------------

    def _closing(self, seq: int, at: int, body: dict[str, Any]) -> None:
        self.days.closing(seq, body)

    def _deposit(self, seq: int, at: int, body: dict[str, Any]) -> None:
        self.days.deposit(seq, body)

    def _complaint(self, seq: int, at: int, body: dict[str, Any]) -> None:
        tracking = _text(body, "tracking_no")
        paid = _int(body, "paid_claimed")
        self._complaints[tracking] = (seq, "received")
        target = body.get("receipt_seq")
        evidence: dict[str, Any] = {"tracking_no": tracking, "paid_claimed": paid}
        if target is None:
            self._sink.add(
                Finding(
                    "compliance.complaint_without_receipt",
                    f"complaint {tracking}: the resident paid {paid} rupiah and no receipt in "
                    "the log matches (a payment off the books?)",
                    seq=seq,
                    evidence={**evidence, "receipt_no": body.get("receipt_no")},
                )
            )
            return
        receipt = self.receipts.get(target) if type(target) is int and target < seq else None
        if receipt is None:
            self._sink.add(
                Finding(
                    "compliance.complaint_unknown_receipt",
                    f"complaint {tracking} names receipt seq {target}, which is not a receipt",
                    seq=seq,
                    evidence={**evidence, "receipt_seq": target},
                )
            )
            return
        office, counter = self.registry.lokets[receipt.loket]
        if paid > receipt.charged:
            self._sink.add(
                Finding(
                    "compliance.complaint_amount",
                    f"complaint {tracking}: the resident says they paid {paid} rupiah; "
                    f"receipt seq {target} records {receipt.charged}",
                    seq=seq,
                    office=office,
                    counter=counter,
                    evidence={**evidence, "receipt_seq": target, "charged": receipt.charged},
                )
            )

    def _complaint_update(self, seq: int, at: int, body: dict[str, Any]) -> None:
        tracking, status = _text(body, "tracking_no"), _text(body, "status")
        known = self._complaints.get(tracking)
        if known is None:
            self._unknown(seq, f"complaint.updated names complaint {tracking}, never filed")
            return
        self._complaints[tracking] = (known[0], status)

    # -- the end ---------------------------------------------------------------------------

    def finish(self) -> ComplianceTables:
        for tracking, (seq, status) in self._complaints.items():
            if status not in _RESOLVED:
                self._sink.add(
                    Finding(
                        "compliance.complaint_open",
                        f"complaint {tracking} (seq {seq}) is still {status}",
                        seq=seq,
                        evidence={"tracking_no": tracking, "status": status},
                    )
                )
        reconciliation = self.days.finish(self._last_at)
        patterns = self.patterns.finish(self.days, self._last_at)
        return ComplianceTables(reconciliation, self.days, patterns, self.registry)
