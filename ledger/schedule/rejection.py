"""The body of a ``charge.rejected`` ledger entry, and re-checking it from the log.

A refused charge is evidence: the body records who tried (``actor``), where
(``office``, ``counter``), what (service, inputs, amount, time, waiver reference) and
the verdict (code, official fee, schedule version). The service layer appends it.

An auditor rebuilds the :class:`ScheduleHistory` from the log and calls
:func:`recheck_rejection` on each body: the verdict must come out the same.
Layout (docs/schedule-format.md §Refused charges)::

    {"format": 1, "actor": str, "office": str, "counter": str,
     "service": str, "inputs": {name: int | str}, "charged": int, "charged_at": int,
     ["waiver_ref": str,]
     "verdict": {"code": str, ["official_fee": int,] ["schedule_version": str,]
                 ["service_name": str,] ["legal_ref": str,]
                 ["problems": [{"input": str, "message_id": str, "message_en": str}]]}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledger.schedule.checking import Charge, check
from ledger.schedule.document import ScheduleVersion
from ledger.schedule.errors import (
    InputProblem,
    InvalidChargeError,
    RejectionRecordError,
    VerdictMismatchError,
)
from ledger.schedule.history import ScheduleHistory
from ledger.schedule.verdict import Verdict, VerdictCode

__all__ = [
    "REJECTION_FORMAT",
    "charge_from_rejection_body",
    "recheck_rejection",
    "rejection_body",
    "verdict_from_rejection_body",
]

REJECTION_FORMAT = 1
_MAX_NAME = 200
_BODY_REQUIRED = frozenset(
    {"format", "actor", "office", "counter", "service", "inputs", "charged", "charged_at"}
    | {"verdict"}
)
_BODY_ALLOWED = _BODY_REQUIRED | {"waiver_ref"}
_VERDICT_ALLOWED = frozenset(
    {"code", "official_fee", "schedule_version", "service_name", "legal_ref", "problems"}
)
_PROBLEM_FIELDS = frozenset({"input", "message_id", "message_en"})


def _name(label: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_NAME:
        raise RejectionRecordError(
            f"expected {label} as non-empty text of at most {_MAX_NAME} characters, found {value!r}"
        )
    return value


def rejection_body(
    charge: Charge, verdict: Verdict, actor: str, office: str, counter: str
) -> dict[str, Any]:
    """The ``charge.rejected`` body for a refused ``charge`` and its ``verdict``.

    ``actor``, ``office`` and ``counter`` are account and place identifiers (no
    personal data). Raises :class:`RejectionRecordError` if the verdict accepted the
    charge or belongs to another charge.
    """
    if verdict.accepted:
        raise RejectionRecordError(
            f"expected a refusing verdict, found {verdict.code.value!r}, which accepts the charge"
        )
    judged = (verdict.service_code, verdict.charged, verdict.at_ms, verdict.waiver_ref)
    attempted = (charge.service_code, charge.charged, charge.at_ms, charge.waiver_ref)
    if judged != attempted:
        raise RejectionRecordError(
            f"verdict is for (service, charged, at, waiver) {judged}, the charge is {attempted}"
        )
    body: dict[str, Any] = {
        "format": REJECTION_FORMAT,
        "actor": _name("actor", actor),
        "office": _name("office", office),
        "counter": _name("counter", counter),
        "service": charge.service_code,
        "inputs": dict(charge.inputs),
        "charged": charge.charged,
        "charged_at": charge.at_ms,
    }
    if charge.waiver_ref is not None:
        body["waiver_ref"] = charge.waiver_ref
    record: dict[str, Any] = {"code": verdict.code.value}
    optional = {
        "official_fee": verdict.official_fee,
        "schedule_version": verdict.version_id,
        "service_name": verdict.service_name,
        "legal_ref": verdict.legal_ref,
    }
    record.update({key: value for key, value in optional.items() if value is not None})
    if verdict.problems:
        record["problems"] = [
            {"input": p.name, "message_id": p.message_id, "message_en": p.message_en}
            for p in verdict.problems
        ]
    body["verdict"] = record
    return body


def _fields(
    what: str, table: object, allowed: frozenset[str], required: frozenset[str]
) -> Mapping[str, Any]:
    if not isinstance(table, Mapping):
        raise RejectionRecordError(f"expected {what} as a map, found {type(table).__name__}")
    keys = set(table)
    if not required <= keys <= allowed:
        raise RejectionRecordError(
            f"{what}: expected fields {sorted(required)} (optional "
            f"{sorted(allowed - required)}), found {sorted(keys)}"
        )
    return table


def charge_from_rejection_body(body: Mapping[str, object]) -> Charge:
    """The charge a ``charge.rejected`` body records."""
    table = _fields("charge.rejected body", body, _BODY_ALLOWED, _BODY_REQUIRED)
    if table["format"] != REJECTION_FORMAT or isinstance(table["format"], bool):
        raise RejectionRecordError(f"expected format {REJECTION_FORMAT}, found {table['format']!r}")
    for label in ("actor", "office", "counter"):
        _name(label, table[label])
    try:
        return Charge(
            service_code=table["service"],
            inputs=table["inputs"],
            charged=table["charged"],
            at_ms=table["charged_at"],
            waiver_ref=table.get("waiver_ref"),
        )
    except InvalidChargeError as exc:
        raise RejectionRecordError(f"charge.rejected body: {exc}") from exc


def _optional(record: Mapping[str, Any], key: str, kind: type) -> Any:
    value = record.get(key)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise RejectionRecordError(f"verdict.{key}: expected {kind.__name__}, found {value!r}")
    return value


def verdict_from_rejection_body(body: Mapping[str, object]) -> Verdict:
    """The verdict as recorded in a ``charge.rejected`` body (messages rebuilt)."""
    charge = charge_from_rejection_body(body)
    record = _fields(
        "charge.rejected verdict", body["verdict"], _VERDICT_ALLOWED, frozenset({"code"})
    )
    try:
        code = VerdictCode(record["code"])
    except ValueError:
        raise RejectionRecordError(
            f"verdict.code: expected one of {[c.value for c in VerdictCode]}, "
            f"found {record['code']!r}"
        ) from None
    if code.accepted:
        raise RejectionRecordError(f"verdict.code: expected a refusal, found {code.value!r}")
    problems = []
    for entry in _optional(record, "problems", list) or ():
        item = _fields("verdict.problems[]", entry, _PROBLEM_FIELDS, _PROBLEM_FIELDS)
        if not all(isinstance(v, str) for v in item.values()):
            raise RejectionRecordError(f"verdict.problems[]: expected text values, found {item!r}")
        problems.append(InputProblem(item["input"], item["message_id"], item["message_en"]))
    return Verdict(
        code=code,
        service_code=charge.service_code,
        charged=charge.charged,
        at_ms=charge.at_ms,
        official_fee=_optional(record, "official_fee", int),
        version_id=_optional(record, "schedule_version", str),
        service_name=_optional(record, "service_name", str),
        legal_ref=_optional(record, "legal_ref", str),
        waiver_ref=charge.waiver_ref,
        problems=tuple(problems),
    )


def recheck_rejection(
    source: ScheduleHistory | ScheduleVersion, body: Mapping[str, object]
) -> Verdict:
    """Re-run :func:`check` on the charge a body records and compare with its verdict.

    The code, official fee and schedule version must agree (message wording may change
    between releases; the judgement may not). Returns the fresh verdict; raises
    :class:`VerdictMismatchError` naming both when they differ.
    """
    recorded = verdict_from_rejection_body(body)
    fresh = check(source, charge_from_rejection_body(body))
    key_recorded = (recorded.code, recorded.official_fee, recorded.version_id)
    key_fresh = (fresh.code, fresh.official_fee, fresh.version_id)
    if key_recorded != key_fresh:
        raise VerdictMismatchError(
            f"charge.rejected for {recorded.service_code} at {recorded.at_ms}: recorded "
            f"{recorded.code.value} (official fee {recorded.official_fee}, schedule "
            f"{recorded.version_id}); re-checking gives {fresh.code.value} (official fee "
            f"{fresh.official_fee}, schedule {fresh.version_id})"
        )
    return fresh
