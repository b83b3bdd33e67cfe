"""The inspectorate's PDF report (reportlab): scope, verdict, findings, money, charts.

Layout, A4 portrait, Bahasa Indonesia first with English beside it:

1. cover — scope (source, log origin, pinned checkpoint size and root, period in WIB,
   signatures checked, trust anchor, options) and the integrity verdict;
2. findings by severity, each with its seq, code, message and evidence;
3. reconciliation per office and day, and every deposit (STS);
4. charts per office over time: net collections, refused charges, voids
   (``reportlab.graphics`` line and bar charts);
5. patterns worth a look: refusals per petugas, void rates, receipts outside office
   hours, counters without closings.

Long logs are summarised: at most :data:`MAX_FINDING_ROWS` findings and
:data:`MAX_TABLE_ROWS` table rows are printed (the JSON and CSV outputs hold them all).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO, Final
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from audit.calendar import day_text
from audit.errors import ReportError
from audit.findings import Category, Finding, Severity
from audit.reconciliation import ReconciliationRow
from audit.result import AuditResult
from ledger.schedule import format_rupiah
from ledger.schedule.wib import format_wib

__all__ = ["MAX_FINDING_ROWS", "MAX_TABLE_ROWS", "render_pdf", "write_pdf"]

MAX_FINDING_ROWS: Final = 400
MAX_TABLE_ROWS: Final = 600
_MAX_SERIES: Final = 6  # offices drawn per chart; the rest are summed as "lainnya"
_PALETTE: Final = (
    colors.HexColor("#1f77b4"),
    colors.HexColor("#d62728"),
    colors.HexColor("#2ca02c"),
    colors.HexColor("#ff7f0e"),
    colors.HexColor("#9467bd"),
    colors.HexColor("#8c564b"),
    colors.HexColor("#7f7f7f"),
)
_SEVERITY_ID: Final = {
    Severity.CRITICAL: "Kritis / Critical",
    Severity.HIGH: "Tinggi / High",
    Severity.MEDIUM: "Sedang / Medium",
    Severity.LOW: "Rendah / Low",
    Severity.INFO: "Informasi / Info",
}
_WIDTH = A4[0] - 36 * mm


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontSize=18, leading=22),
        "subtitle": ParagraphStyle(
            "subtitle", parent=base["Normal"], fontSize=10, alignment=TA_CENTER, leading=13
        ),
        "h1": ParagraphStyle("h1", parent=base["Heading1"], fontSize=14, leading=17),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontSize=11, leading=14),
        "body": ParagraphStyle("body", parent=base["Normal"], fontSize=9, leading=11.5),
        "cell": ParagraphStyle("cell", parent=base["Normal"], fontSize=7, leading=8.5),
        "verdict": ParagraphStyle(
            "verdict", parent=base["Normal"], fontSize=13, leading=17, textColor=colors.white
        ),
    }


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _table(
    rows: Sequence[Sequence[object]], widths: Sequence[float], style: ParagraphStyle
) -> Table:
    cells = [[c if isinstance(c, Paragraph) else _p(c, style) for c in row] for row in rows]
    table = Table(cells, colWidths=list(widths), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9aa5b1")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _evidence(finding: Finding) -> str:
    text = json.dumps(
        dict(finding.evidence), sort_keys=True, ensure_ascii=False, separators=(", ", ": ")
    )
    return text if len(text) <= 400 else text[:400] + " …"


def _cover(result: AuditResult, styles: dict[str, ParagraphStyle], strict: bool) -> list[Any]:
    scope = result.scope
    story: list[Any] = [
        _p("LAPORAN AUDIT LOG BUKTI", styles["title"]),
        _p("Bukti audit report — Inspektorat Daerah", styles["subtitle"]),
        Spacer(1, 8 * mm),
    ]
    period = "-"
    if scope.period_from is not None and scope.period_to is not None:
        period = f"{format_wib(scope.period_from)} s.d. {format_wib(scope.period_to)}"
    root = scope.checkpoint_root.hex() if scope.checkpoint_root is not None else "-"
    options = scope.options
    rows = [
        ("Ruang lingkup / Scope", ""),
        ("Sumber / Source", scope.source),
        ("Log (origin)", scope.origin),
        ("Checkpoint (ukuran / size)", str(scope.checkpoint_size)),
        ("Akar / Root (SHA-256)", root),
        ("Periode / Period (WIB)", period),
        ("Entri dibaca / Entries read", str(scope.entries_read)),
        (
            "Tanda tangan / Signatures",
            f"checkpoint {result.checkpoints_verified}/{result.checkpoints_seen}; "
            + (
                f"kuitansi / receipts {result.receipts_checked}"
                if scope.signatures_checked
                else "kuitansi tidak diperiksa / receipts not checked"
            ),
        ),
        ("Kunci tepercaya / Trust anchor", scope.trust_anchor),
        (
            "Batas setoran / Deposit deadline",
            f"{options.deposit_deadline_days} hari kerja / working day(s)",
        ),
        ("Jam layanan / Office hours", f"{options.office_hours} WIB, Senin–Jumat"),
        ("Hari libur / Holidays", _holidays(options.holidays)),
    ]
    if scope.since_size is not None:
        rows.append(("Sejak checkpoint / Since", f"ukuran / size {scope.since_size}"))
    story.append(_table(rows, (55 * mm, _WIDTH - 55 * mm), styles["cell"]))
    story.append(Spacer(1, 8 * mm))
    first = result.first_break
    if result.integrity_holds:
        text = (
            "INTEGRITAS UTUH — INTEGRITY HOLDS<br/>"
            "Log, checkpoint dan kuitansi sesuai yang ditandatangani."
        )
        color = colors.HexColor("#1e7b34")
    else:
        where = f"seq {first.seq}" if first is not None and first.seq is not None else "-"
        kind = first.kind.value if first is not None and first.kind is not None else "-"
        text = (
            f"INTEGRITAS RUSAK — INTEGRITY BROKEN<br/>Entri pertama bermasalah / first bad entry: "
            f"{escape(where)} ({escape(kind)})"
        )
        if first is not None:
            text += f"<br/>{escape(first.message)}"
        color = colors.HexColor("#b42318")
    verdict = Table([[Paragraph(text, styles["verdict"])]], colWidths=[_WIDTH])
    verdict.setStyle(
        TableStyle(
            [("BACKGROUND", (0, 0), (-1, -1), color), ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]
        )
    )
    story.append(verdict)
    story.append(Spacer(1, 6 * mm))
    counts = [("Tingkat / Severity", "Integritas", "Kepatuhan", "Pola")]
    for severity in Severity:
        counts.append(
            (
                _SEVERITY_ID[severity],
                str(result.count(severity, Category.INTEGRITY)),
                str(result.count(severity, Category.COMPLIANCE)),
                str(result.count(severity, Category.PATTERN)),
            )
        )
    story.append(_table(counts, (55 * mm, 35 * mm, 35 * mm, 35 * mm), styles["cell"]))
    story.append(Spacer(1, 4 * mm))
    story.append(
        _p(
            f"Status keluar / exit status: {result.exit_status(strict=strict)}"
            + (" (--strict)" if strict else ""),
            styles["body"],
        )
    )
    return story


def _findings(result: AuditResult, styles: dict[str, ParagraphStyle]) -> list[Any]:
    story: list[Any] = [PageBreak(), _p("Temuan / Findings", styles["h1"])]
    if not result.findings:
        story.append(_p("Tidak ada temuan. / No findings.", styles["body"]))
        return story
    printed = 0
    number = {id(f): i + 1 for i, f in enumerate(result.findings)}
    for severity in Severity:
        group = [f for f in result.findings if f.severity is severity]
        if not group or printed >= MAX_FINDING_ROWS:
            continue
        story.append(_p(f"{_SEVERITY_ID[severity]} ({len(group)})", styles["h2"]))
        rows: list[Sequence[object]] = [
            ("ID", "seq", "Temuan / Finding", "Keterangan / Message", "Bukti / Evidence")
        ]
        for finding in group[: MAX_FINDING_ROWS - printed]:
            rows.append(
                (
                    f"F-{number[id(finding)]:04d}",
                    "" if finding.seq is None else str(finding.seq),
                    f"{finding.type.title_id} — {finding.code}",
                    finding.message,
                    _evidence(finding),
                )
            )
        printed += len(rows) - 1
        story.append(
            _table(rows, (14 * mm, 12 * mm, 38 * mm, 62 * mm, _WIDTH - 126 * mm), styles["cell"])
        )
    hidden = len(result.findings) - printed + sum(result.overflow.values())
    if hidden > 0:
        story.append(Spacer(1, 3 * mm))
        story.append(
            _p(
                f"{hidden} temuan lain tidak dicetak; lihat keluaran JSON/CSV. "
                f"/ {hidden} more findings are in the JSON and CSV outputs.",
                styles["body"],
            )
        )
    return story


def _money(amount: int) -> str:
    return format_rupiah(amount)


def _reconciliation(result: AuditResult, styles: dict[str, ParagraphStyle]) -> list[Any]:
    story: list[Any] = [
        PageBreak(),
        _p("Rekonsiliasi per kantor dan hari / Reconciliation per office and day", styles["h1"]),
    ]
    rows: list[Sequence[object]] = [
        (
            "Kantor",
            "Tanggal",
            "Kuitansi",
            "Diterima",
            "Batal",
            "Neto",
            "Ditutup",
            "Disetor",
            "Status",
        )
    ]
    for r in result.reconciliation[:MAX_TABLE_ROWS]:
        rows.append(
            (
                r.office,
                r.date,
                str(r.receipts),
                _money(r.collected),
                f"{r.voids} ({_money(r.voided)})",
                _money(r.net),
                f"{r.closed_counters}/{r.counters} · {_money(r.closed_net)}",
                _money(r.deposited),
                r.status,
            )
        )
    widths = (26 * mm, 16 * mm, 11 * mm, 20 * mm, 18 * mm, 20 * mm, 24 * mm, 20 * mm)
    story.append(_table(rows, (*widths, _WIDTH - sum(widths)), styles["cell"]))
    if len(result.reconciliation) > MAX_TABLE_ROWS:
        story.append(
            _p(
                f"… {len(result.reconciliation) - MAX_TABLE_ROWS} baris lagi di CSV.",
                styles["body"],
            )
        )
    if result.deposits:
        story.append(_p("Setoran (STS) / Deposits", styles["h2"]))
        rows = [
            ("seq", "Kantor", "STS", "Jumlah", "Seharusnya", "Periode", "Waktu setor", "Status")
        ]
        for d in result.deposits[:MAX_TABLE_ROWS]:
            rows.append(
                (
                    str(d.seq),
                    d.office,
                    d.sts_no,
                    _money(d.amount),
                    _money(d.expected),
                    f"{d.period_from}..{d.period_to}",
                    format_wib(d.deposited_at),
                    d.status + (f" ({', '.join(d.late_days)})" if d.late_days else ""),
                )
            )
        columns = (10 * mm, 26 * mm, 26 * mm, 20 * mm, 20 * mm, 34 * mm, 22 * mm)
        story.append(_table(rows, (*columns, _WIDTH - sum(columns)), styles["cell"]))
    return story


def _office_order(rows: Sequence[ReconciliationRow]) -> list[str]:
    """Offices by total net collections, largest first (the same colours in every chart)."""
    totals: dict[str, int] = defaultdict(int)
    for r in rows:
        totals[r.office] += r.net
    return sorted(totals, key=lambda o: (-totals[o], o))


def _series(
    rows: Sequence[ReconciliationRow], value: str
) -> tuple[list[str], list[str], list[list[int]]]:
    """(dates, office names, one list of values per office) with the smaller offices summed."""
    dates = sorted({r.date for r in rows})
    index = {d: i for i, d in enumerate(dates)}
    per_office: dict[str, list[int]] = defaultdict(lambda: [0] * len(dates))
    for r in rows:
        per_office[r.office][index[r.date]] += int(getattr(r, value))
    ranked = _office_order(rows)
    shown = ranked[:_MAX_SERIES]
    data = [per_office[o] for o in shown]
    rest = ranked[_MAX_SERIES:]
    if rest:
        data.append([sum(per_office[o][i] for o in rest) for i in range(len(dates))])
        shown = [*shown, "lainnya / others"]
    return dates, shown, data


def _nice_step(top: int) -> int:
    """An axis step of 1, 2 or 5 times a power of ten giving about five intervals."""
    rough = max(1, -(-top // 5))
    power = 1
    while power * 10 <= rough:
        power *= 10
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


def _grouped(value: float) -> str:
    """Axis labels as whole numbers with dots between thousands (``25.000.000``)."""
    return f"{int(value):,}".replace(",", ".")


def _chart(title: str, rows: Sequence[ReconciliationRow], value: str, *, bars: bool) -> Drawing:
    dates, offices, data = _series(rows, value)
    drawing = Drawing(_WIDTH, 62 * mm)
    drawing.add(String(0, 58 * mm, title, fontName="Helvetica-Bold", fontSize=9))
    chart: HorizontalLineChart | VerticalBarChart = (
        VerticalBarChart() if bars else HorizontalLineChart()
    )
    chart.x, chart.y = 14 * mm, 14 * mm
    chart.width, chart.height = _WIDTH - 60 * mm, 40 * mm
    chart.data = [tuple(series) for series in data] if data else [(0,)]
    chart.categoryAxis.categoryNames = dates if dates else ["-"]
    step = max(1, len(dates) // 10)
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 30
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.categoryAxis.labels.fillColor = colors.black
    if step > 1:
        chart.categoryAxis.categoryNames = [d if i % step == 0 else "" for i, d in enumerate(dates)]
    chart.valueAxis.labels.fontSize = 6
    chart.valueAxis.valueMin = 0
    top = max((max(series) for series in data if series), default=0)
    chart.valueAxis.valueStep = _nice_step(top)
    chart.valueAxis.labelTextFormat = _grouped
    for i in range(len(data)):
        color = _PALETTE[i % len(_PALETTE)]
        if bars:
            chart.bars[i].fillColor = color
            chart.bars[i].strokeColor = color
        else:
            chart.lines[i].strokeColor = color
            chart.lines[i].strokeWidth = 1.2
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = _WIDTH - 44 * mm, 52 * mm
    legend.fontSize = 6
    legend.alignment = "right"
    legend.colorNamePairs = [(_PALETTE[i % len(_PALETTE)], name) for i, name in enumerate(offices)]
    drawing.add(legend)
    return drawing


def _charts(result: AuditResult, styles: dict[str, ParagraphStyle]) -> list[Any]:
    rows = result.reconciliation
    story: list[Any] = [PageBreak(), _p("Grafik per kantor / Charts per office", styles["h1"])]
    if not rows:
        story.append(_p("Tidak ada penerimaan. / No collections.", styles["body"]))
        return story
    story.append(
        KeepTogether(
            _chart(
                "Penerimaan neto per hari (Rp) / Net collections per day", rows, "net", bars=False
            )
        )
    )
    story.append(
        KeepTogether(
            _chart(
                "Pungutan ditolak per hari / Refused charges per day", rows, "refusals", bars=True
            )
        )
    )
    story.append(
        KeepTogether(_chart("Pembatalan per hari / Voids per day", rows, "voids", bars=True))
    )
    return story


def _patterns(result: AuditResult, styles: dict[str, ParagraphStyle]) -> list[Any]:
    tables = result.patterns
    story: list[Any] = [
        PageBreak(),
        _p("Pola yang perlu dicermati / Patterns worth a look", styles["h1"]),
    ]
    cell = styles["cell"]
    if tables.refusals:
        story.append(_p("Pungutan ditolak per petugas dan loket / Refused charges", styles["h2"]))
        rows: list[Sequence[object]] = [
            ("Petugas", "Kantor", "Loket", "Percobaan", "Layanan gratis", "seq")
        ]
        rows += [
            (
                r.petugas,
                r.office,
                r.counter,
                str(r.attempts),
                str(r.free_service_attempts),
                f"{r.first_seq}..{r.last_seq}",
            )
            for r in tables.refusals[:MAX_TABLE_ROWS]
        ]
        story.append(
            _table(rows, (34 * mm, 36 * mm, 16 * mm, 20 * mm, 24 * mm, _WIDTH - 130 * mm), cell)
        )
    if tables.void_rates:
        story.append(_p("Tingkat pembatalan per petugas / Void rate per petugas", styles["h2"]))
        rows = [("Petugas", "Kuitansi", "Dibatalkan", "Tingkat")]
        rows += [
            (r.petugas, str(r.receipts), str(r.voids), f"{r.rate_bp / 100:.1f}%")
            for r in tables.void_rates[:MAX_TABLE_ROWS]
        ]
        story.append(_table(rows, (50 * mm, 30 * mm, 30 * mm, 30 * mm), cell))
    if tables.outside_hours:
        story.append(
            _p("Kuitansi di luar jam layanan / Receipts outside office hours", styles["h2"])
        )
        rows = [("Kantor", "Loket", "Kuitansi", "seq")]
        rows += [
            (r.office, r.counter, str(r.receipts), f"{r.first_seq}..{r.last_seq}")
            for r in tables.outside_hours[:MAX_TABLE_ROWS]
        ]
        story.append(_table(rows, (50 * mm, 20 * mm, 25 * mm, 40 * mm), cell))
    if tables.unclosed:
        story.append(_p("Loket tanpa tutup hari / Counters without closing", styles["h2"]))
        rows = [("Kantor", "Loket", "Hari", "Dari", "Sampai", "Diterima")]
        rows += [
            (r.office, r.counter, str(r.days), r.first_date, r.last_date, _money(r.collected))
            for r in tables.unclosed[:MAX_TABLE_ROWS]
        ]
        story.append(
            _table(rows, (45 * mm, 16 * mm, 14 * mm, 24 * mm, 24 * mm, _WIDTH - 123 * mm), cell)
        )
    if len(story) == 2:
        story.append(_p("Tidak ada. / None.", styles["body"]))
    return story


def render_pdf(result: AuditResult, *, strict: bool = False) -> bytes:
    """The PDF report of ``result`` as bytes."""
    buffer = BytesIO()
    _build(result, buffer, strict=strict)
    return buffer.getvalue()


def write_pdf(result: AuditResult, path: Path, *, strict: bool = False) -> None:
    """Write the PDF report to ``path``; raises :class:`~audit.errors.ReportError`."""
    try:
        with path.open("wb") as out:
            _build(result, out, strict=strict)
    except OSError as exc:
        raise ReportError(f"cannot write the PDF report to {path}: {exc}") from exc


def _build(result: AuditResult, out: BinaryIO, *, strict: bool) -> None:
    styles = _styles()
    origin = result.scope.origin

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(18 * mm, 10 * mm, f"Bukti — laporan audit {origin}")
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"halaman {doc.page}")
        canvas.restoreState()

    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Laporan audit Bukti — {origin}",
        author="Bukti",
        subject="Audit log transparansi retribusi",
    )
    story = [
        *_cover(result, styles, strict),
        *_findings(result, styles),
        *_reconciliation(result, styles),
        *_charts(result, styles),
        *_patterns(result, styles),
    ]
    document.build(story, onFirstPage=footer, onLaterPages=footer)


def _holidays(days: frozenset[int]) -> str:
    """The holiday list of the scope table: how many, and the first and last date."""
    if not days:
        return "tidak ada daftar / no list given (Senin–Jumat / Monday–Friday)"
    first, last = day_text(min(days)), day_text(max(days))
    return f"{len(days)} hari / days, {first} … {last}"
