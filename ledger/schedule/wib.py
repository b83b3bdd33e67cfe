"""Times as the schedule writes them: wall-clock WIB (UTC+7), stored as UTC milliseconds.

Western Indonesia Time has had a fixed offset of +07:00 and no daylight saving since
1964, so a fixed offset is exact for every date a schedule can name.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Final

__all__ = ["WIB", "format_wib", "parse_wib", "wib_minute_text"]

WIB = timezone(timedelta(hours=7), "WIB")

_MINUTE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_wib(text: str, *, allow_date: bool = False) -> int:
    """UTC milliseconds of a WIB wall-clock time ``YYYY-MM-DDTHH:MM``.

    With ``allow_date`` a bare ``YYYY-MM-DD`` means 00:00 WIB of that day.
    Raises :class:`ValueError` saying what was expected and what was found.
    """
    expected = "YYYY-MM-DDTHH:MM" + (" or YYYY-MM-DD" if allow_date else "")
    if _MINUTE_RE.fullmatch(text):
        pattern = "%Y-%m-%dT%H:%M"
    elif allow_date and _DATE_RE.fullmatch(text):
        pattern = "%Y-%m-%d"
    else:
        raise ValueError(f"expected a WIB time {expected}, found {text!r}")
    try:
        wall = datetime.strptime(text, pattern)  # wall-clock; WIB attached below
    except ValueError as exc:
        raise ValueError(f"expected a real calendar time {expected}, found {text!r}") from exc
    return int(wall.replace(tzinfo=WIB).timestamp()) * 1000


def _to_wib(at_ms: int) -> datetime:
    return datetime.fromtimestamp(at_ms // 1000, UTC).astimezone(WIB)


def wib_minute_text(at_ms: int) -> str:
    """``YYYY-MM-DDTHH:MM`` in WIB (the document form); ``at_ms`` must be minute-aligned."""
    if at_ms % 60_000:
        raise ValueError(f"expected a whole-minute time, found {at_ms} ms")
    return _to_wib(at_ms).strftime("%Y-%m-%dT%H:%M")


def format_wib(at_ms: int) -> str:
    """Display form ``2024-01-01 00:00 WIB`` (seconds shown when not zero).

    WIB is a fixed UTC+7, so the wall time is plain arithmetic on the shifted seconds;
    the date text of each day is made once (every issued receipt shows one).
    """
    day, second = divmod(at_ms // 1000 + _WIB_OFFSET_S, 86_400)
    hour, second = divmod(second, 3600)
    minute, second = divmod(second, 60)
    clock = f"{hour:02d}:{minute:02d}" if second == 0 else f"{hour:02d}:{minute:02d}:{second:02d}"
    return f"{_date_text(day)} {clock} WIB"


_WIB_OFFSET_S: Final = 7 * 3600
_EPOCH: Final = date(1970, 1, 1)


@functools.lru_cache(maxsize=64)
def _date_text(day: int) -> str:
    return (_EPOCH + timedelta(days=day)).isoformat()
