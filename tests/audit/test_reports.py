"""The outputs: JSON against its schema, CSV tables, the PDF rendered and read back."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import jsonschema  # type: ignore[import-untyped]
import pypdfium2 as pdfium
import pytest

from audit import CATALOGUE, AuditResult
from audit.calendar import parse_holidays
from audit.report import (
    csv_tables,
    load_schema,
    render_pdf,
    terminal_summary,
    to_json_bytes,
    to_json_document,
)
from tests.audit import tamper
from tests.audit.conftest import INLINE, LogUnderTest


@pytest.fixture(scope="module")
def schema() -> dict[str, object]:
    loaded = load_schema()
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


@pytest.fixture
def broken(honest_log: LogUnderTest) -> AuditResult:
    seq = honest_log.seqs["receipt.amount"]
    tamper.rewrite_entry(
        honest_log.attacker(), seq, lambda d: tamper.change_one_digit(d, "charged")
    )
    return honest_log.audit()


def _pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        pages = []
        for page in document:
            bitmap = page.render(scale=0.5)  # it rasterizes…
            assert bitmap.to_pil().size[0] > 0
            textpage = page.get_textpage()  # …and its text can be read back
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(pages)
    finally:
        document.close()


def test_json_report_of_an_honest_log_validates(
    honest_log: LogUnderTest, schema: dict[str, object]
) -> None:
    result = honest_log.audit()
    document = json.loads(to_json_bytes(result))
    jsonschema.validate(document, schema)
    assert document["verdict"] == {"integrity": "holds", "exit_status": 0, "first_break": None}
    assert document["scope"]["checkpoint"]["size"] == result.scope.checkpoint_size
    assert document["counts"]["receipts_checked"] == result.receipts_checked
    assert len(document["reconciliation"]) == len(result.reconciliation)
    assert all(f["id"].startswith("F-") for f in document["findings"])


def test_json_report_of_a_broken_log_validates(
    broken: AuditResult, schema: dict[str, object]
) -> None:
    document = to_json_document(broken, strict=True)
    jsonschema.validate(document, schema)
    assert document["verdict"]["integrity"] == "broken"
    assert document["verdict"]["exit_status"] == 1
    first = broken.first_break
    assert first is not None
    assert document["verdict"]["first_break"]["seq"] == first.seq
    assert document["verdict"]["first_break"]["kind"] == "changed"


def test_schema_lists_every_finding_code(schema: dict[str, object]) -> None:
    finding = schema["properties"]["findings"]["items"]  # type: ignore[index]
    assert set(finding["properties"]["code"]["enum"]) == set(CATALOGUE)


def test_csv_tables(honest_log: LogUnderTest) -> None:
    result = honest_log.audit()
    tables = csv_tables(result)
    findings = list(csv.DictReader(io.StringIO(tables["findings.csv"])))
    assert len(findings) == len(result.findings)
    assert {row["code"] for row in findings} == {f.code for f in result.findings}
    reconciliation = list(csv.DictReader(io.StringIO(tables["reconciliation.csv"])))
    assert [(r["office"], r["date"]) for r in reconciliation] == [
        (r.office, r.date) for r in result.reconciliation
    ]
    assert all(int(r["net"]) == int(r["collected"]) - int(r["voided"]) for r in reconciliation)
    deposits = list(csv.DictReader(io.StringIO(tables["deposits.csv"])))
    assert {d["status"] for d in deposits} == {"ok"}


def test_pdf_report_renders_with_scope_verdict_and_findings(broken: AuditResult) -> None:
    text = _pdf_text(render_pdf(broken))
    assert "LAPORAN AUDIT LOG BUKTI" in text
    assert broken.scope.origin in text
    assert str(broken.scope.checkpoint_size) in text
    assert "INTEGRITY BROKEN" in text
    assert "integrity.changed" in text
    assert "Rekonsiliasi" in text
    assert "Grafik per kantor" in text
    assert "Pungutan ditolak per petugas" in text


def test_pdf_report_of_an_honest_log(honest_log: LogUnderTest) -> None:
    text = _pdf_text(render_pdf(honest_log.audit()))
    assert "INTEGRITY HOLDS" in text
    assert "32.16.20-DISPENDA" in text  # reconciliation and chart legend
    assert "Hari libur / Holidays" in text
    assert "no list given" in text


def test_pdf_scope_summarises_the_holiday_list(honest_log: LogUnderTest) -> None:
    holidays = parse_holidays("2025-03-31 Idul Fitri\n2025-01-01\n2025-12-25\n")
    result = honest_log.audit(replace(INLINE, holidays=holidays))
    text = _pdf_text(render_pdf(result))
    assert "3 hari / days, 2025-01-01 … 2025-12-25" in text


def test_terminal_summary(broken: AuditResult) -> None:
    summary = terminal_summary(broken)
    first = broken.first_break
    assert first is not None
    assert f"INTEGRITY BROKEN — first bad entry: seq {first.seq} (changed)" in summary
    assert "Exit status 1" in summary
