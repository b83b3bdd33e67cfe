"""Rupiah as printed on receipts: ``Rp1.500.000`` and the amount in words (*terbilang*).

Amounts are whole rupiah (``int``). :func:`format_rupiah` is the project's one rupiah
formatter (:mod:`ledger.schedule.amounts`), re-exported here: dots group thousands, no
space after ``Rp``, no ``,00``. *Terbilang* follows standard Indonesian
number words: ``sebelas``, ``seratus``, ``seribu``, ``satu juta``, ``satu miliar``,
``satu triliun``; scales above a triliun repeat it (``seribu triliun``).
"""

from __future__ import annotations

from typing import Final

from ledger.schedule.amounts import format_rupiah

__all__ = ["format_rupiah", "rupiah_in_words", "terbilang"]

_UNITS: Final = (
    "",
    "satu",
    "dua",
    "tiga",
    "empat",
    "lima",
    "enam",
    "tujuh",
    "delapan",
    "sembilan",
    "sepuluh",
    "sebelas",
)
_SCALES: Final = ((10**12, "triliun"), (10**9, "miliar"), (10**6, "juta"), (10**3, "ribu"))


def _check(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError(f"amounts are whole rupiah (int), found {type(amount).__name__}")


def _below_thousand(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds == 1:
        words.append("seratus")
    elif hundreds:
        words += [_UNITS[hundreds], "ratus"]
    if rest == 0:
        return words
    if rest < 12:
        words.append(_UNITS[rest])
    elif rest < 20:
        words += [_UNITS[rest - 10], "belas"]
    else:
        tens, ones = divmod(rest, 10)
        words += [_UNITS[tens], "puluh"]
        if ones:
            words.append(_UNITS[ones])
    return words


def _words(n: int) -> list[str]:
    words: list[str] = []
    for scale, name in _SCALES:
        count, n = divmod(n, scale)
        if count == 0:
            continue
        if scale == 1000 and count == 1:
            words.append("seribu")
        else:
            words += [*_words(count), name]
    return words + _below_thousand(n)


def terbilang(amount: int) -> str:
    """The number in Indonesian words: ``6176270`` → ``"enam juta seratus … tujuh puluh"``."""
    _check(amount)
    if amount == 0:
        return "nol"
    if amount < 0:
        return "minus " + terbilang(-amount)
    return " ".join(_words(amount))


def rupiah_in_words(amount: int) -> str:
    """The amount line of a receipt: ``terbilang(amount) + " rupiah"``."""
    return f"{terbilang(amount)} rupiah"
