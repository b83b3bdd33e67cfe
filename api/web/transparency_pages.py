"""``/transparansi``: public figures per office and month, and the same as CSV.

Only counts and sums appear — receipts, totals, refused charge attempts, voids,
complaints received and closed, deposits on time and late — plus the log's size and its
latest signed checkpoint. Nothing names a resident or a member of staff.
"""

from __future__ import annotations

import csv
import io
from dataclasses import astuple, dataclass, fields, replace

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.web.rendering import SECURITY_HEADERS, render
from api.web.sources import ledger_stats, office_directory, services_of
from api.web.stats import LedgerStats, MonthFigures

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class FigureRow:
    office: str
    office_name: str
    month: str
    figures: MonthFigures


def _rows(request: Request) -> list[FigureRow]:
    names = {code: office.name for code, office in office_directory(services_of(request)).items()}

    def read(stats: LedgerStats) -> list[FigureRow]:
        return [
            FigureRow(office, names.get(office, office), month, replace(figures))
            for office, month, figures in stats.month_rows()
        ]

    return ledger_stats(request, read)


@router.get("/transparansi", response_class=HTMLResponse)
def transparency(request: Request) -> Response:
    store = services_of(request).store
    checkpoint = store.latest_checkpoint()
    return render(
        request,
        "transparansi.html",
        {
            "rows": _rows(request),
            "log_size": checkpoint.checkpoint.size,
            "checkpoint": checkpoint.note.decode("utf-8"),
        },
    )


@router.get("/transparansi.csv")
def transparency_csv(request: Request) -> Response:
    """The same aggregates as the page, one row per office and month (UTF-8, header row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = [f.name for f in fields(MonthFigures)]
    writer.writerow(["office", "office_name", "month", *names])
    for row in _rows(request):
        writer.writerow([row.office, row.office_name, row.month, *astuple(row.figures)])
    return Response(
        buffer.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            **SECURITY_HEADERS,
            "Content-Disposition": 'attachment; filename="bukti-transparansi.csv"',
            "Cache-Control": "no-cache",
        },
    )
