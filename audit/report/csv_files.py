"""The audit result as CSV files for spreadsheets: findings, reconciliation, deposits.

``findings.csv`` has one row per finding (evidence as compact JSON in the last column);
``reconciliation.csv`` one row per office and day; ``deposits.csv`` one row per
``deposit.recorded`` entry. UTF-8 with a header row, comma-separated, RFC 4180 quoting.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from audit.errors import ReportError
from audit.report.document import to_json_document
from audit.result import AuditResult

__all__ = ["CSV_FILES", "csv_tables", "write_csv"]

CSV_FILES = ("findings.csv", "reconciliation.csv", "deposits.csv")

_FINDING_COLUMNS = (
    "id",
    "severity",
    "category",
    "code",
    "title_id",
    "title_en",
    "seq",
    "kind",
    "office",
    "counter",
    "date",
    "message",
    "evidence",
)
_RECONCILIATION_COLUMNS = (
    "office",
    "date",
    "receipts",
    "collected",
    "voids",
    "voided",
    "net",
    "refusals",
    "counters",
    "closed_counters",
    "closed_net",
    "deposited",
    "deposit_seqs",
    "deadline_wib",
    "status",
)
_DEPOSIT_COLUMNS = (
    "seq",
    "office",
    "sts_no",
    "amount",
    "expected",
    "period_from",
    "period_to",
    "counters",
    "deposited_at_wib",
    "late_days",
    "status",
)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _table(columns: tuple[str, ...], rows: list[dict[str, object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return buffer.getvalue()


def csv_tables(result: AuditResult) -> dict[str, str]:
    """File name → CSV text, for every file of :data:`CSV_FILES`."""
    document = to_json_document(result)
    return {
        "findings.csv": _table(_FINDING_COLUMNS, document["findings"]),
        "reconciliation.csv": _table(_RECONCILIATION_COLUMNS, document["reconciliation"]),
        "deposits.csv": _table(_DEPOSIT_COLUMNS, document["deposits"]),
    }


def write_csv(result: AuditResult, directory: Path) -> list[Path]:
    """Write the CSV files into ``directory`` (created if needed); returns their paths."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, text in csv_tables(result).items():
            path = directory / name
            path.write_text(text, encoding="utf-8")
            paths.append(path)
    except OSError as exc:
        raise ReportError(f"cannot write the CSV files into {directory}: {exc}") from exc
    return paths
