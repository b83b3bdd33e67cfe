from fractions import Fraction

import pytest

from ledger.schedule.amounts import (
    decimal_text,
    format_number,
    format_rupiah,
    parse_decimal,
    round_half_up,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(0), 0),
        (Fraction(1, 2), 1),  # a half goes up
        (Fraction(3, 2), 2),
        (Fraction(5, 2), 3),  # not banker's rounding
        (Fraction(49999, 100000), 0),
        (Fraction(6176270), 6176270),
        (Fraction("6176270.5"), 6176271),
        (Fraction("6176270.4999"), 6176270),
    ],
)
def test_round_half_up(value: Fraction, expected: int) -> None:
    assert round_half_up(value) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [("235", Fraction(235)), ("0.773", Fraction(773, 1000)), ("-1.5", Fraction(-3, 2))],
)
def test_parse_decimal_is_exact(text: str, value: Fraction) -> None:
    assert parse_decimal(text) == value


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0,773", "with a dot"),
        ("1e5", "decimal number"),
        ("1.000.000", "decimal number"),
        (" 1", "decimal number"),
        ("0.1234567", "at most 6 digits after"),
        ("1" * 16, "at most 15 digits before"),
        ("nan", "decimal number"),
    ],
)
def test_parse_decimal_rejects(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_decimal(text)


def test_decimal_text_is_shortest_exact() -> None:
    assert decimal_text(Fraction(773, 1000)) == "0.773"
    assert decimal_text(Fraction(5, 1)) == "5"
    assert decimal_text(Fraction(-1, 8)) == "-0.125"
    with pytest.raises(ValueError, match="no finite decimal"):
        decimal_text(Fraction(1, 3))


def test_format_rupiah() -> None:
    assert format_rupiah(0) == "Rp0"
    assert format_rupiah(1_500_000) == "Rp1.500.000"
    assert format_rupiah(6_176_270) == "Rp6.176.270"
    assert format_rupiah(999) == "Rp999"


def test_format_number_indonesian() -> None:
    assert format_number(Fraction("6176270.2")) == "6.176.270,2"
    assert format_number(Fraction("0.005")) == "0,005"
    assert format_number(Fraction(1, 3)) == "≈0,333333"
