"""Exact numbers of the schedule: decimal text, the one rounding rule, rupiah display.

All arithmetic is on :class:`fractions.Fraction`; floats never appear. Decimal values are
written as text (``"0.005"``) in documents, inputs and the canonical form, because the
ledger's data model has no floats.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

__all__ = [
    "MAX_DECIMAL_PLACES",
    "decimal_text",
    "format_number",
    "format_rupiah",
    "parse_decimal",
    "round_half_up",
]

#: Most digits after the decimal point accepted in a document value or an input.
MAX_DECIMAL_PLACES = 6
#: Most digits before the decimal point (keeps every value inside the ledger's integer range).
_MAX_INTEGER_DIGITS = 15

_DECIMAL_RE = re.compile(r"-?(?P<int>[0-9]+)(?:\.(?P<frac>[0-9]+))?")


def parse_decimal(text: str) -> Fraction:
    """Exact value of decimal text such as ``"235"``, ``"0.773"`` or ``"-1.5"``.

    Accepted: an optional minus, digits, and optionally a dot followed by at most
    :data:`MAX_DECIMAL_PLACES` digits. Rejected with :class:`ValueError` naming what was
    found: a comma as decimal separator, exponents, thousands separators, spaces.
    """
    match = _DECIMAL_RE.fullmatch(text)
    if match is None:
        if "," in text:
            raise ValueError(f"expected a decimal with a dot (e.g. 0.773), found {text!r}")
        raise ValueError(f"expected a decimal number such as 12 or 0.773, found {text!r}")
    if len(match["int"]) > _MAX_INTEGER_DIGITS:
        raise ValueError(
            f"expected at most {_MAX_INTEGER_DIGITS} digits before the point, found {text!r}"
        )
    frac = match["frac"] or ""
    if len(frac) > MAX_DECIMAL_PLACES:
        raise ValueError(
            f"expected at most {MAX_DECIMAL_PLACES} digits after the point, found {text!r}"
        )
    return Fraction(text)


def decimal_text(value: Fraction) -> str:
    """Shortest exact decimal text of ``value`` (``Fraction(773, 1000)`` → ``"0.773"``).

    Raises :class:`ValueError` when ``value`` has no finite decimal expansion.
    """
    if value.denominator == 1:
        return str(value.numerator)
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        raise ValueError(f"{value} has no finite decimal expansion")
    places = max(twos, fives)
    scaled = abs(value.numerator) * (10**places // value.denominator)
    sign = "-" if value < 0 else ""
    whole, frac = divmod(scaled, 10**places)
    return f"{sign}{whole}.{frac:0{places}d}".rstrip("0")


def round_half_up(value: Fraction) -> int:
    """The schedule's one rounding rule: to the nearest whole rupiah, halves upwards.

    ``x.5`` becomes ``x + 1``; applied once, to the exact final amount.
    """
    return math.floor(value + Fraction(1, 2))


def _group_thousands(whole: int) -> str:
    digits = str(whole)
    groups = []
    while len(digits) > 3:
        groups.append(digits[-3:])
        digits = digits[:-3]
    groups.append(digits)
    return ".".join(reversed(groups))


def format_rupiah(amount: int) -> str:
    """Rupiah as printed on receipts: ``Rp1.500.000`` (dots group thousands, no sen)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{_group_thousands(abs(amount))}"


def format_number(value: Fraction | int, max_places: int = MAX_DECIMAL_PLACES) -> str:
    """A number in Indonesian notation: ``6.800.000``, ``0,773``, ``6.176.270,2``.

    Values without a short finite decimal expansion are shown rounded to ``max_places``
    digits and prefixed with ``≈``.
    """
    exact = Fraction(value)
    scaled = exact * 10**max_places
    approx = scaled.denominator != 1
    units = round_half_up(abs(scaled))
    whole, frac = divmod(units, 10**max_places)
    frac_text = f"{frac:0{max_places}d}".rstrip("0") if max_places else ""
    sign = "-" if exact < 0 and units else ""
    text = f"{sign}{_group_thousands(whole)}" + (f",{frac_text}" if frac_text else "")
    return f"≈{text}" if approx else text
