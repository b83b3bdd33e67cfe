"""Rupiah display and terbilang (amount in Indonesian words)."""

from __future__ import annotations

import pytest

from receipts import format_rupiah, rupiah_in_words, terbilang


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "Rp0"),
        (500, "Rp500"),
        (1_000, "Rp1.000"),
        (15_000, "Rp15.000"),
        (1_500_000, "Rp1.500.000"),
        (6_176_270, "Rp6.176.270"),
        (1_000_000_000, "Rp1.000.000.000"),
    ],
)
def test_format_rupiah(amount: int, text: str) -> None:
    assert format_rupiah(amount) == text


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "nol"),
        (1, "satu"),
        (10, "sepuluh"),
        (11, "sebelas"),
        (12, "dua belas"),
        (19, "sembilan belas"),
        (20, "dua puluh"),
        (21, "dua puluh satu"),
        (100, "seratus"),
        (101, "seratus satu"),
        (111, "seratus sebelas"),
        (200, "dua ratus"),
        (1_000, "seribu"),
        (1_001, "seribu satu"),
        (1_100, "seribu seratus"),
        (2_000, "dua ribu"),
        (11_000, "sebelas ribu"),
        (15_000, "lima belas ribu"),
        (100_000, "seratus ribu"),
        (101_000, "seratus satu ribu"),
        (1_000_000, "satu juta"),
        (1_500_000, "satu juta lima ratus ribu"),
        (
            6_176_270,
            "enam juta seratus tujuh puluh enam ribu dua ratus tujuh puluh",
        ),
        (1_000_000_000, "satu miliar"),
        (2_500_000_001, "dua miliar lima ratus juta satu"),
        (1_000_000_000_000, "satu triliun"),
        (1_000_000_000_000_000, "seribu triliun"),
    ],
)
def test_terbilang(amount: int, words: str) -> None:
    assert terbilang(amount) == words


def test_rupiah_in_words_is_the_receipt_line() -> None:
    assert rupiah_in_words(6_176_270) == (
        "enam juta seratus tujuh puluh enam ribu dua ratus tujuh puluh rupiah"
    )
    assert rupiah_in_words(0) == "nol rupiah"


def test_terbilang_refuses_non_integers() -> None:
    with pytest.raises(TypeError):
        terbilang(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        terbilang(True)


def test_terbilang_has_no_doubled_or_stray_spaces() -> None:
    for amount in range(0, 100_000, 37):
        words = terbilang(amount)
        assert words == " ".join(words.split())
        assert "satu ratus" not in words  # always "seratus"
        assert not words.startswith("satu ribu")  # always "seribu"
