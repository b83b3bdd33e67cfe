"""Receipt times as people read them: ``"29 November 2026 12:34 WIB"``.

Times are stored as UTC (receipt claims in seconds, the ledger in milliseconds) and shown
in Western Indonesia Time (:data:`ledger.schedule.wib.WIB`, UTC+7) with the Indonesian
month name. The short technical form (``2026-11-29 12:34 WIB``) is
:func:`ledger.schedule.wib.format_wib`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from ledger.schedule.wib import WIB

__all__ = ["format_wib_long"]

_MONTHS: Final = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def format_wib_long(at_ms: int) -> str:
    """UTC ms → ``"29 November 2026 12:34 WIB"`` (day without a leading zero)."""
    local = datetime.fromtimestamp(at_ms // 1000, UTC).astimezone(WIB)
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year} {local:%H:%M} WIB"
