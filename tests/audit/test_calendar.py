"""Working days, deposit deadlines and office hours on the WIB calendar."""

from __future__ import annotations

import pytest

from audit.calendar import (
    DAY_MS,
    OfficeHours,
    day_number,
    day_of_text,
    day_text,
    deadline_ms,
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
