"""The audit result as a JSON document with a stable, versioned schema.

Format ``bukti-audit-report/1``, specified in ``docs/audit-report.md`` and by the JSON
Schema shipped beside the code (:data:`SCHEMA_PATH`, ``audit/schema/report.schema.json``).
Times are UTC milliseconds with a WIB rendering next to them; money is whole rupiah;
rates are integer basis points. Fields are only ever added within a format version.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from importlib import resources
from typing import Any, Final

from audit.calendar import day_text
from audit.findings import Category, Finding, Severity
from audit.result import AuditResult
from ledger.schedule.wib import format_wib

__all__ = ["REPORT_FORMAT", "finding_document", "load_schema", "to_json_bytes", "to_json_document"]

REPORT_FORMAT: Final = "bukti-audit-report/1"
GENERATOR: Final = "bukti audit"


def _wib(at_ms: int | None) -> str | None:
    return format_wib(at_ms) if at_ms is not None else None


def finding_document(finding: Finding, number: int) -> dict[str, Any]:
    """One finding; ``number`` gives its id ``F-0001`` within the report."""
    kind = finding.type
    return {
        "id": f"F-{number:04d}",
        "code": finding.code,
        "category": finding.category.value,
        "severity": finding.severity.value,
        "title_id": kind.title_id,
        "title_en": kind.title_en,
        "message": finding.message,
        "seq": finding.seq,
        "kind": finding.kind.value if finding.kind is not None else None,
        "office": finding.office,
        "counter": finding.counter,
        "date": finding.date,
        "evidence": dict(finding.evidence),
    }


def to_json_document(result: AuditResult, *, strict: bool = False) -> dict[str, Any]:
    """The report document of ``result`` (``strict`` as given to ``bukti audit``)."""
    scope = result.scope
    options = scope.options
    first = result.first_break
    findings = [finding_document(f, i + 1) for i, f in enumerate(result.findings)]
    return {
        "format": REPORT_FORMAT,
        "generator": GENERATOR,
        "scope": {
            "source": scope.source,
            "origin": scope.origin,
            "checkpoint": {
                "size": scope.checkpoint_size,
                "root": scope.checkpoint_root.hex() if scope.checkpoint_root is not None else None,
            },
            "entries_read": scope.entries_read,
            "period": {
                "from": scope.period_from,
                "to": scope.period_to,
                "from_wib": _wib(scope.period_from),
                "to_wib": _wib(scope.period_to),
            },
            "since_size": scope.since_size,
            "trust_anchor": scope.trust_anchor,
            "signatures_checked": scope.signatures_checked,
            "options": {
                "deposit_deadline_days": options.deposit_deadline_days,
                "office_hours": str(options.office_hours),
                "holidays": [day_text(day) for day in sorted(options.holidays)],
                "strict": strict,
                "thresholds": asdict(options.thresholds),
            },
        },
        "verdict": {
            "integrity": "holds" if result.integrity_holds else "broken",
            "exit_status": result.exit_status(strict=strict),
            "first_break": None
            if first is None
            else {
                "seq": first.seq,
                "code": first.code,
                "kind": first.kind.value if first.kind is not None else None,
                "message": first.message,
            },
        },
        "counts": {
            "entries_by_kind": dict(result.entries_by_kind),
            "checkpoints_seen": result.checkpoints_seen,
            "checkpoints_verified": result.checkpoints_verified,
            "receipts_checked": result.receipts_checked,
            "findings_by_severity": {s.value: result.count(severity=s) for s in Severity},
            "findings_by_category": {c.value: result.count(category=c) for c in Category},
            "findings_not_listed": dict(result.overflow),
        },
        "findings": findings,
        "reconciliation": [
            {
                "office": r.office,
                "date": r.date,
                "receipts": r.receipts,
                "collected": r.collected,
                "voids": r.voids,
                "voided": r.voided,
                "net": r.net,
                "refusals": r.refusals,
                "counters": r.counters,
                "closed_counters": r.closed_counters,
                "closed_net": r.closed_net,
                "deposited": r.deposited,
                "deposit_seqs": list(r.deposits),
                "deadline": r.deadline,
                "deadline_wib": format_wib(r.deadline),
                "status": r.status,
            }
            for r in result.reconciliation
        ],
        "deposits": [
            {
                "seq": d.seq,
                "office": d.office,
                "sts_no": d.sts_no,
                "amount": d.amount,
                "expected": d.expected,
                "period_from": d.period_from,
                "period_to": d.period_to,
                "counters": list(d.counters),
                "deposited_at": d.deposited_at,
                "deposited_at_wib": format_wib(d.deposited_at),
                "late_days": list(d.late_days),
                "status": d.status,
            }
            for d in result.deposits
        ],
        "patterns": {
            "refusals": [asdict(r) for r in result.patterns.refusals],
            "void_rates": [asdict(r) for r in result.patterns.void_rates],
            "outside_hours": [asdict(r) for r in result.patterns.outside_hours],
            "unclosed": [asdict(r) for r in result.patterns.unclosed],
        },
    }


def to_json_bytes(result: AuditResult, *, strict: bool = False) -> bytes:
    """The document as UTF-8 JSON, two-space indented, keys in schema order, final newline."""
    text = json.dumps(to_json_document(result, strict=strict), indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def load_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the report document."""
    text = resources.files("audit").joinpath("schema/report.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
