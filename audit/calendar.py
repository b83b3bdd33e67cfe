"""Business days in WIB: day numbers, working-day deadlines and office hours.

Internally a business day is an integer *day number*: days since 1970-01-01 on the WIB
calendar (UTC+7, no daylight saving since 1964). Integers keep the per-day aggregates
small and the arithmetic exact; :func:`day_text` turns one into ``YYYY-MM-DD`` for output.
Working days are Monday to Friday; public holidays are not modelled (a deposit due on a
holiday is reported late, for the inspector to judge).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

__all__ = [
    "DAY_MS",
    "WIB_OFFSET_MS",
    "OfficeHours",
    "day_number",
    "day_of_text",
    "day_text",
    "deadline_ms",
    "is_working_day",
    "weekday",
    "working_days_after",
]

DAY_MS: Final = 86_400_000
#: WIB is UTC+07:00.
WIB_OFFSET_MS: Final = 7 * 3_600_000
_EPOCH: Final = date(1970, 1, 1)
_THURSDAY: Final = 3  # 1970-01-01 was a Thursday (Monday = 0)


def day_number(at_ms: int) -> int:
    """The WIB business day of a UTC millisecond time, as days since 1970-01-01."""
    return (at_ms + WIB_OFFSET_MS) // DAY_MS


def day_text(day: int) -> str:
    """``YYYY-MM-DD`` of a day number."""
    return (_EPOCH + timedelta(days=day)).isoformat()


def day_of_text(text: str) -> int:
    """Day number of ``YYYY-MM-DD``; raises :class:`ValueError` naming what was found."""
    try:
        parsed = date.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"expected a date YYYY-MM-DD, found {text!r}") from exc
    if len(text) != 10:
        raise ValueError(f"expected a date YYYY-MM-DD, found {text!r}")
    return (parsed - _EPOCH).days


def weekday(day: int) -> int:
    """Monday = 0 … Sunday = 6."""
    return (day + _THURSDAY) % 7


def is_working_day(day: int) -> bool:
    return weekday(day) < 5


def working_days_after(day: int, count: int) -> int:
    """The day ``count`` working days after ``day`` (``count = 0``: ``day`` itself)."""
    if count < 0:
        raise ValueError(f"expected a non-negative number of working days, found {count}")
    current = day
    while count:
        current += 1
        if is_working_day(current):
            count -= 1
    return current


def deadline_ms(day: int, working_days: int) -> int:
    """Last UTC millisecond (inclusive) by which money collected on ``day`` is due.

    The deadline is the end of the business day ``working_days`` working days after
    the day of collection: with the default of 1, Friday's money is due by Monday 24:00 WIB.
    """
    due = working_days_after(day, working_days)
    return (due + 1) * DAY_MS - WIB_OFFSET_MS - 1


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """Opening hours, minutes after WIB midnight; open on working days only."""

    opens: int = 7 * 60 + 30
    closes: int = 16 * 60

    def __post_init__(self) -> None:
        if not 0 <= self.opens < self.closes <= 24 * 60:
            raise ValueError(
                f"expected 0 <= opening < closing <= 1440 minutes, "
                f"found {self.opens}..{self.closes}"
            )

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        """``HH:MM-HH:MM`` (WIB), e.g. ``07:30-16:00``."""
        try:
            start, end = text.split("-")
            return cls(_minutes(start), _minutes(end))
        except ValueError as exc:
            raise ValueError(f"expected office hours HH:MM-HH:MM, found {text!r}") from exc

    def __str__(self) -> str:
        return f"{_clock(self.opens)}-{_clock(self.closes)}"

    def contains(self, at_ms: int) -> bool:
        """Whether ``at_ms`` falls on a working day inside the opening hours (WIB)."""
        local = at_ms + WIB_OFFSET_MS
        if not is_working_day(local // DAY_MS):
            return False
        minute = (local % DAY_MS) // 60_000
        return self.opens <= minute < self.closes

    def day_window(self, at_ms: int) -> tuple[int, int, int, int]:
        """``(day start, day end, open from, open until)`` in UTC ms for the WIB day of
        ``at_ms``: a time ``t`` of that day is inside the hours exactly when
        ``open_from <= t < open_until`` (an empty range on a day off), as :meth:`contains`
        says — one comparison for every later time of the same day."""
        day = (at_ms + WIB_OFFSET_MS) // DAY_MS
        start = day * DAY_MS - WIB_OFFSET_MS
        if not is_working_day(day):
            return start, start + DAY_MS, start, start
        return start, start + DAY_MS, start + self.opens * 60_000, start + self.closes * 60_000


def _minutes(text: str) -> int:
    hours, minutes = text.strip().split(":")
    if len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError(text)
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > 24 * 60:
        raise ValueError(text)
    return value


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
