"""The default Kabupaten Bekasi schedule shipped with Bukti (package data).

This is the one place in :mod:`ledger.schedule` that reads a resource; everything else
takes values.
"""

from __future__ import annotations

import functools
from importlib import resources

from ledger.schedule.document import ScheduleVersion
from ledger.schedule.loading import parse_toml

__all__ = ["DEFAULT_SCHEDULE_FILE", "default_schedule", "default_schedule_text"]

#: File name of the default schedule inside ``ledger/schedule/data``.
DEFAULT_SCHEDULE_FILE = "bekasi-2024.toml"


def default_schedule_text() -> str:
    """The TOML text of the default schedule."""
    return (
        resources.files("ledger.schedule.data")
        .joinpath(DEFAULT_SCHEDULE_FILE)
        .read_text(encoding="utf-8")
    )


@functools.cache
def default_schedule() -> ScheduleVersion:
    """The default schedule, validated (``bekasi-2024.1``, effective 2024-01-01 00:00 WIB)."""
    return parse_toml(default_schedule_text())
