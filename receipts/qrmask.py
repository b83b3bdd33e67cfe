"""Faster QR mask selection that picks exactly the mask the ``qrcode`` library would.

ISO/IEC 18004 §7.8.2 has the encoder apply each of the eight data masks and keep the one
with the lowest penalty (§7.8.3: runs of five or more, 2×2 blocks, finder-like
1:1:3:1:1 patterns, dark/light balance). ``qrcode`` lays the symbol out eight times in
pure Python to do so, which is most of the time it takes to make a receipt's code.

Here the symbol is laid out once; the other seven are derived by flipping the data
modules where two masks differ (masks only ever touch data modules), with rows held as
integers. The penalty is computed with the same rules and the same arithmetic as
``qrcode.util.lost_point``, so the chosen mask, and therefore the symbol, is identical
(the tests compare both with the library's own result).
"""

from __future__ import annotations

import functools
import itertools
import re
from typing import Any, Final

import qrcode
import qrcode.main
import qrcode.util

__all__ = ["FastMaskQRCode", "penalty"]

_RUN: Final = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE: Final = (re.compile(r"(?=10111010000)"), re.compile(r"(?=00001011101)"))


def penalty(rows: list[int], size: int) -> int:
    """ISO/IEC 18004 §7.8.3 penalty of a symbol given as ``size`` rows of bits (MSB left)."""
    row_texts = [format(row, f"0{size}b") for row in rows]
    lines = row_texts + ["".join(column) for column in zip(*row_texts, strict=True)]
    # N1: each run of five or more same-colour modules in a row or column: 3 + (run - 5).
    score = sum(len(run.group()) - 2 for line in lines for run in _RUN.finditer(line))
    # N2: each 2×2 block of one colour: 3.
    inner = (1 << (size - 1)) - 1
    for upper, lower in itertools.pairwise(rows):
        same_vertical = ~(upper ^ lower)
        same_horizontal = ~(upper ^ (upper >> 1))
        score += 3 * (same_vertical & (same_vertical >> 1) & same_horizontal & inner).bit_count()
    # N3: each 1:1:3:1:1 finder-like pattern with four light modules on one side: 40.
    score += 40 * sum(len(p.findall(line)) for p in _FINDER_LIKE for line in lines)
    # N4: 10 for every full 5 % the dark share departs from 50 % (as qrcode computes it).
    dark = sum(row.bit_count() for row in rows)
    score += int(abs(float(dark) / size**2 * 100 - 50) / 5) * 10
    return score


def _rows(modules: list[list[Any]]) -> list[int]:
    return [int("".join("1" if m else "0" for m in row), 2) for row in modules]


@functools.lru_cache(maxsize=48)
def _mask_rows(version: int, error_correction: int) -> tuple[tuple[int, ...], ...]:
    """For each mask, the data modules it flips, as row integers (per version, cached)."""
    scratch = qrcode.QRCode(version=version, error_correction=error_correction)
    scratch.makeImpl(True, 0)  # fills the library's cache of function patterns
    size = scratch.modules_count
    scratch.modules = qrcode.main.copy_2d_array(qrcode.main.precomputed_qr_blanks[version])
    scratch.setup_type_info(True, 0)
    if version >= 7:
        scratch.setup_type_number(True)
    data = [[cell is None for cell in row] for row in scratch.modules]
    out = []
    for pattern in range(8):
        flips = qrcode.util.mask_func(pattern)
        out.append(
            tuple(
                int("".join("1" if data[r][c] and flips(r, c) else "0" for c in range(size)), 2)
                for r in range(size)
            )
        )
    return tuple(out)


class FastMaskQRCode(qrcode.QRCode):  # type: ignore[misc]  # the library is untyped
    """``qrcode.QRCode`` with the same mask choice, made from one layout instead of eight."""

    def best_mask_pattern(self) -> int:
        self.makeImpl(True, 0)
        size = self.modules_count
        base = _rows(self.modules)
        masks = _mask_rows(self.version, self.error_correction)
        best, best_score = 0, -1
        for pattern in range(8):
            rows = [
                row ^ m0 ^ mi for row, m0, mi in zip(base, masks[0], masks[pattern], strict=True)
            ]
            score = penalty(rows, size)
            if best_score < 0 or score < best_score:  # the first lowest wins, as in qrcode
                best, best_score = pattern, score
        return best
