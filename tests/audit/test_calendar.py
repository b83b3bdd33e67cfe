"""Working days, deposit deadlines and office hours on the WIB calendar."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.calendar import (
    DAY_MS,
    MAX_HOLIDAYS,
    OfficeHours,
    day_number,
    day_of_text,
    day_text,
    deadline_ms,
    is_working_day,
    parse_holidays,
    weekday,
    wib_date,
    working_days_after,
)

#: 2025-01-03 00:00 WIB, a Friday, in UTC ms.
FRIDAY = 1_735_837_200_000
HOUR = 3_600_000


def test_day_numbers_follow_the_wib_calendar() -> None:
    assert day_text(day_number(FRIDAY)) == "2025-01-03"
    assert day_text(day_number(FRIDAY - 1)) == "2025-01-02"  # 23:59:59.999 WIB
    assert day_of_text("2025-01-03") == day_number(FRIDAY)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        day_of_text("03/01/2025")


def test_fridays_money_is_due_by_the_end_of_monday() -> None:
    friday = day_number(FRIDAY)
    assert day_text(working_days_after(friday, 1)) == "2025-01-06"
    assert deadline_ms(friday, 1) == FRIDAY + 4 * DAY_MS - 1
    assert deadline_ms(friday, 0) == FRIDAY + DAY_MS - 1


def test_office_hours_are_wib_on_working_days() -> None:
    hours = OfficeHours.parse("07:30-16:00")
    assert str(hours) == "07:30-16:00"
    assert hours.contains(FRIDAY + 7 * HOUR + 30 * 60_000)
    assert not hours.contains(FRIDAY + 16 * HOUR)
    assert not hours.contains(FRIDAY + 7 * HOUR)
    assert not hours.contains(FRIDAY + DAY_MS + 10 * HOUR)  # Saturday
    for text in ("7:30-16:00", "16:00-07:30", "07:30", "24:30-25:00"):
        with pytest.raises(ValueError, match="HH:MM-HH:MM"):
            OfficeHours.parse(text)


# -- public holidays -----------------------------------------------------------------------

HOLIDAY_LIST = """\
# Libur nasional dan cuti bersama (SKB 3 Menteri), as the inspectorate keeps them
2025-01-01  Tahun Baru Masehi

2025-01-06\tan extra day, for the tests
   2025-12-25 Natal
"""


def test_a_holiday_list_is_read_with_comments_blank_lines_and_descriptions() -> None:
    assert parse_holidays(HOLIDAY_LIST) == {
        day_of_text("2025-01-01"),
        day_of_text("2025-01-06"),
        day_of_text("2025-12-25"),
    }
    assert parse_holidays("") == frozenset()
    assert parse_holidays("# nothing yet\n") == frozenset()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "2025-01-01\n06/01/2025 Natal\n",
            "line 2: expected a date YYYY-MM-DD, found '06/01/2025'",
        ),
        ("2025-02-30\n", "line 1: expected a date YYYY-MM-DD, found '2025-02-30'"),
        ("2025-1-1\n", "line 1: expected a date YYYY-MM-DD"),
        ("2025-01-01\n# x\n2025-01-01 again\n", "line 3: 2025-01-01 is listed twice"),
    ],
)
def test_a_malformed_holiday_list_is_refused_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_holidays(text)


def test_a_holiday_list_is_bounded() -> None:
    start = day_of_text("2000-01-01")
    text = "\n".join(day_text(start + i) for i in range(MAX_HOLIDAYS + 1))
    with pytest.raises(ValueError, match=f"more than {MAX_HOLIDAYS} dates"):
        parse_holidays(text)


def test_fridays_money_is_due_on_tuesday_when_monday_is_a_holiday() -> None:
    friday = day_number(FRIDAY)
    monday = friday + 3
    assert day_text(working_days_after(friday, 1, {monday})) == "2025-01-07"
    assert deadline_ms(friday, 1, {monday}) == FRIDAY + 5 * DAY_MS - 1
    # A holiday on a weekend changes nothing; neither does one after the deadline.
    assert deadline_ms(friday, 1, {friday + 1, friday + 4}) == deadline_ms(friday, 1)
    assert not is_working_day(monday, {monday})
    assert is_working_day(monday)


def test_offices_are_closed_on_a_holiday() -> None:
    hours = OfficeHours()
    ten = FRIDAY + 10 * HOUR
    friday = day_number(FRIDAY)
    assert hours.contains(ten)
    assert not hours.contains(ten, {friday})
    start, end, opens, until = hours.day_window(ten, {friday})
    assert (end - start, opens, until) == (DAY_MS, start, start)


@given(
    day=st.integers(min_value=0, max_value=60_000),
    count=st.integers(min_value=0, max_value=30),
    offsets=st.frozensets(st.integers(min_value=0, max_value=60), max_size=20),
)
def test_the_due_day_is_the_countth_working_day_after(
    day: int, count: int, offsets: frozenset[int]
) -> None:
    holidays = frozenset(day + offset for offset in offsets)
    due = working_days_after(day, count, holidays)
    working = [d for d in range(day + 1, due + 1) if weekday(d) < 5 and d not in holidays]
    assert len(working) == count
    assert count == 0 or working[-1] == due
    assert due >= working_days_after(day, count)  # holidays only ever push it later


@given(st.integers(min_value=0, max_value=4_102_444_800_000))  # 1970 .. 2100
def test_wib_date_is_the_calendar_date_at_utc_plus_7(at_ms: int) -> None:
    expected = dt.datetime.fromtimestamp(at_ms / 1000, dt.timezone(dt.timedelta(hours=7)))
    assert wib_date(at_ms) == expected.date().isoformat()
    assert wib_date(at_ms) == day_text(day_number(at_ms))
