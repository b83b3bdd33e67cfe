"""WIB display times: the arithmetic form agrees with the calendar library everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from ledger.schedule import format_wib
from ledger.schedule.wib import WIB, parse_wib


def _by_datetime(at_ms: int) -> str:
    wall = datetime.fromtimestamp(at_ms // 1000, UTC).astimezone(WIB)
    pattern = "%Y-%m-%d %H:%M" if wall.second == 0 else "%Y-%m-%d %H:%M:%S"
    return f"{wall.strftime(pattern)} WIB"


def test_known_times() -> None:
    assert format_wib(parse_wib("2024-01-01T00:00")) == "2024-01-01 00:00 WIB"
    assert format_wib(parse_wib("2024-12-31T23:59") + 59_999) == "2024-12-31 23:59:59 WIB"
    # 17:00 UTC is midnight WIB: the date turns with the WIB day, not the UTC one.
    assert format_wib(int(datetime(2025, 2, 28, 17, tzinfo=UTC).timestamp()) * 1000) == (
        "2025-03-01 00:00 WIB"
    )


@given(st.integers(min_value=0, max_value=4_102_444_800_000))  # 1970 .. 2100
def test_format_wib_agrees_with_datetime(at_ms: int) -> None:
    assert format_wib(at_ms) == _by_datetime(at_ms)


@given(st.integers(min_value=0, max_value=68_374_080))  # whole minutes, 1970 .. 2100
def test_format_wib_agrees_with_datetime_on_whole_minutes(minutes: int) -> None:
    assert format_wib(minutes * 60_000) == _by_datetime(minutes * 60_000)
