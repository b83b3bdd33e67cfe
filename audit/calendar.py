"""Business days in WIB: day numbers, working-day deadlines and office hours.

Internally a business day is an integer *day number*: days since 1970-01-01 on the WIB
calendar (UTC+7, no daylight saving since 1964). Integers keep the per-day aggregates
small and the arithmetic exact; :func:`day_text` turns one into ``YYYY-MM-DD`` for output.
Working days are Monday to Friday, less the public holidays and collective leave days
(*libur nasional* and *cuti bersama*) the inspectorate lists: a set of day numbers
(:func:`parse_holidays` reads the plain-text file ``bukti audit --holidays`` takes, see
``docs/holidays.md``). With no list, every weekday is a working day.
"""

from __future__ import annotations

import functools
from collections.abc import Set
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

__all__ = [
    "DAY_MS",
    "MAX_HOLIDAYS",
    "NO_HOLIDAYS",
    "WIB_OFFSET_MS",
    "OfficeHours",
    "day_number",
    "day_of_text",
    "day_text",
    "deadline_ms",
    "is_working_day",
    "parse_holidays",
    "weekday",
    "wib_date",
    "working_days_after",
]

DAY_MS: Final = 86_400_000
#: WIB is UTC+07:00.
WIB_OFFSET_MS: Final = 7 * 3_600_000
_EPOCH: Final = date(1970, 1, 1)
_THURSDAY: Final = 3  # 1970-01-01 was a Thursday (Monday = 0)
#: No public holidays: every Monday to Friday is a working day.
NO_HOLIDAYS: Final[frozenset[int]] = frozenset()


def day_number(at_ms: int) -> int:
    """The WIB business day of a UTC millisecond time, as days since 1970-01-01."""
    return (at_ms + WIB_OFFSET_MS) // DAY_MS


def day_text(day: int) -> str:
    """``YYYY-MM-DD`` of a day number."""
    return (_EPOCH + timedelta(days=day)).isoformat()


#: Day number -> ``YYYY-MM-DD``, made once per day: services and page figures ask for the
#: date of every entry, and entries come day after day.
_cached_day_text = functools.lru_cache(maxsize=64)(day_text)


def wib_date(at_ms: int) -> str:
    """``YYYY-MM-DD``: the WIB calendar day of a UTC millisecond time."""
    return _cached_day_text((at_ms + WIB_OFFSET_MS) // DAY_MS)


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


def is_working_day(day: int, holidays: Set[int] = NO_HOLIDAYS) -> bool:
    """Whether ``day`` is Monday to Friday and not one of ``holidays`` (day numbers)."""
    return weekday(day) < 5 and day not in holidays


def working_days_after(day: int, count: int, holidays: Set[int] = NO_HOLIDAYS) -> int:
    """The day ``count`` working days after ``day`` (``count = 0``: ``day`` itself)."""
    if count < 0:
        raise ValueError(f"expected a non-negative number of working days, found {count}")
    current = day
    while count:
        current += 1
        if is_working_day(current, holidays):
            count -= 1
    return current


def deadline_ms(day: int, working_days: int, holidays: Set[int] = NO_HOLIDAYS) -> int:
    """Last UTC millisecond (inclusive) by which money collected on ``day`` is due.

    The deadline is the end of the business day ``working_days`` working days after
    the day of collection: with the default of 1, Friday's money is due by Monday 24:00 WIB,
    and by Tuesday when that Monday is one of ``holidays``.
    """
    due = working_days_after(day, working_days, holidays)
    return (due + 1) * DAY_MS - WIB_OFFSET_MS - 1


#: Most holidays one list may hold (a decade of national holidays and collective leave).
MAX_HOLIDAYS: Final = 1000


def parse_holidays(text: str) -> frozenset[int]:
    """The day numbers of a holiday list: one ``YYYY-MM-DD`` per line, optionally followed
    by whitespace and a description; blank lines and lines starting with ``#`` are skipped.

    Raises :class:`ValueError` naming the line at fault (a malformed or repeated date, or
    more than :data:`MAX_HOLIDAYS` dates), so that a typo never silently moves a deadline.
    """
    days: set[int] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        first = stripped.split(maxsplit=1)[0]
        try:
            day = day_of_text(first)
        except ValueError as exc:
            raise ValueError(f"holiday list line {number}: {exc}") from None
        if day in days:
            raise ValueError(f"holiday list line {number}: {first} is listed twice")
        days.add(day)
        if len(days) > MAX_HOLIDAYS:
            raise ValueError(f"holiday list line {number}: more than {MAX_HOLIDAYS} dates")
    return frozenset(days)


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

    def contains(self, at_ms: int, holidays: Set[int] = NO_HOLIDAYS) -> bool:
        """Whether ``at_ms`` falls on a working day inside the opening hours (WIB); offices
        are closed on ``holidays``."""
        local = at_ms + WIB_OFFSET_MS
        if not is_working_day(local // DAY_MS, holidays):
            return False
        minute = (local % DAY_MS) // 60_000
        return self.opens <= minute < self.closes

    def day_window(self, at_ms: int, holidays: Set[int] = NO_HOLIDAYS) -> tuple[int, int, int, int]:
        """``(day start, day end, open from, open until)`` in UTC ms for the WIB day of
        ``at_ms``: a time ``t`` of that day is inside the hours exactly when
        ``open_from <= t < open_until`` (an empty range on a day off), as :meth:`contains`
        says — one comparison for every later time of the same day."""
        day = (at_ms + WIB_OFFSET_MS) // DAY_MS
        start = day * DAY_MS - WIB_OFFSET_MS
        if not is_working_day(day, holidays):
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
