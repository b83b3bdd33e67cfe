"""The short verification code printed under a receipt's QR, for typing by hand.

``XXXX-XXXX-XXX``: ten Crockford Base32 symbols (50 bits of
SHA-256(``"bukti receipt code v1\\n"`` || COSE bytes)) then one check symbol, grouped
4-4-3. The check symbol is the Luhn mod N algorithm with N = 32 over the symbol values,
so it stays in the same alphabet, catches every single-symbol error and most swaps of
two neighbours. Typed codes are normalised first: case is ignored, ``O`` reads as ``0``,
``I`` and ``L`` read as ``1``, and hyphens and spaces are dropped (Crockford's rules).

The code identifies a receipt for a look-up on the server; it proves nothing by itself.
"""

from __future__ import annotations

import hashlib
from typing import Final

from receipts.errors import ShortCodeError

__all__ = ["SHORT_CODE_CONTEXT", "normalize_short_code", "short_code"]

SHORT_CODE_CONTEXT: Final = b"bukti receipt code v1\n"
_ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford Base32
_VALUE: Final = {c: i for i, c in enumerate(_ALPHABET)}
_N: Final = len(_ALPHABET)
_BODY: Final = 10
_CONFUSABLE: Final = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


def _luhn_sum(values: list[int], double_last: bool) -> int:
    """Luhn mod N: double every second value counting from the right."""
    total = 0
    double = double_last
    for value in reversed(values):
        addend = value * 2 if double else value
        total += addend // _N + addend % _N
        double = not double
    return total


def _check_symbol(body: str) -> str:
    total = _luhn_sum([_VALUE[c] for c in body], double_last=True)
    return _ALPHABET[(_N - total % _N) % _N]


def _group(code: str) -> str:
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def short_code(cose: bytes) -> str:
    """The short code of a receipt's COSE bytes, e.g. ``"7K3Q-MD9X-TA4"``."""
    digest = hashlib.sha256(SHORT_CODE_CONTEXT + cose).digest()
    bits = int.from_bytes(digest[:8], "big") >> (64 - 5 * _BODY)
    body = "".join(_ALPHABET[(bits >> (5 * i)) & 31] for i in reversed(range(_BODY)))
    return _group(body + _check_symbol(body))


def normalize_short_code(typed: str) -> str:
    """Normalise a typed code and check it; returns the printed form or raises ShortCodeError."""
    code = typed.strip().upper().translate(_CONFUSABLE)
    if len(code) != _BODY + 1:
        raise ShortCodeError(
            f"a verification code has {_BODY + 1} characters (XXXX-XXXX-XXX), found {len(code)}"
        )
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        raise ShortCodeError(f"characters {''.join(bad)!r} do not occur in verification codes")
    if _luhn_sum([_VALUE[c] for c in code], double_last=False) % _N != 0:
        raise ShortCodeError("the check character does not match; the code was mistyped")
    return _group(code)
