"""The short verification code: format, normalisation and its check character."""

from __future__ import annotations

import re

import pytest

from receipts import ShortCodeError, normalize_short_code, short_code

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_SAMPLES = [short_code(bytes([i]) * (i + 1)) for i in range(40)]


def test_format_is_ten_symbols_and_a_check_symbol_in_groups() -> None:
    for code in _SAMPLES:
        assert re.fullmatch(
            r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{3}", code
        )
        assert normalize_short_code(code) == code


def test_code_depends_on_every_byte_of_the_receipt() -> None:
    assert short_code(b"receipt-1") != short_code(b"receipt-2")
    assert len(set(_SAMPLES)) == len(_SAMPLES)


def test_typed_forms_are_normalised() -> None:
    for code in _SAMPLES:
        compact = code.replace("-", "")
        typed = [
            compact.lower(),
            " ".join(compact[i : i + 2] for i in range(0, len(compact), 2)),
            code.replace("0", "O").replace("1", "I"),
            code.replace("1", "l"),
            f"  {code}  ",
        ]
        for variant in typed:
            assert normalize_short_code(variant) == code


def test_every_single_symbol_error_is_caught() -> None:
    for code in _SAMPLES[:10]:
        compact = code.replace("-", "")
        for position, original in enumerate(compact):
            for symbol in _ALPHABET:
                if symbol == original:
                    continue
                typo = compact[:position] + symbol + compact[position + 1 :]
                with pytest.raises(ShortCodeError, match="check character"):
                    normalize_short_code(typo)


def test_most_neighbour_swaps_are_caught() -> None:
    caught = total = 0
    for code in _SAMPLES:
        compact = code.replace("-", "")
        for i in range(len(compact) - 1):
            if compact[i] == compact[i + 1]:
                continue
            swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2 :]
            total += 1
            try:
                normalize_short_code(swapped)
            except ShortCodeError:
                caught += 1
    assert caught / total > 0.9


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("ABCD-EFGH-JK", "11 characters"),
        ("ABCD-EFGH-JKMN", "11 characters"),
        ("", "11 characters"),
        ("ABCD-EFGH-JKU", "do not occur"),
        ("ABCD-EFGH-JK*", "do not occur"),
    ],
)
def test_malformed_codes_are_refused_with_the_reason(typed: str, message: str) -> None:
    with pytest.raises(ShortCodeError, match=message):
        normalize_short_code(typed)
