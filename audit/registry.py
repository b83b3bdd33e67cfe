"""What the audit remembers while replaying a log, in memory that stays small.

- :class:`Registry` — offices, counters (*loket*, each given a small integer index) and
  staff users with their roles, from ``office.added``, ``counter.added``, ``user.added``
  and ``user.revoked``: O(offices + counters + users).
- :class:`ReceiptIndex` — for each receipt, what a later void, closing or complaint
  must be checked against: its counter, amount, issuer, a CRC-32 of its number and
  whether it was voided. Kept in typed arrays indexed by ``seq`` (21 bytes per entry, up
  to a quarter more while growing; no Python object per receipt), so a log of a million
  entries needs about 26 MB.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

__all__ = ["ReceiptIndex", "ReceiptRef", "ReceiptRow", "Registry", "User", "number_crc"]

#: A seq further than this past the end of the index is not indexed (a forged seq field).
_MAX_JUMP: Final = 1 << 20

_RECEIPT, _VOIDED = 1, 2

#: One receipt as the replay hands it on: ``(seq, loket, issuer, at, charged, number_crc)``.
ReceiptRow = tuple[int, int, int, int, int, int]


@dataclass(slots=True)
class User:
    role: str
    office: str | None
    added_seq: int
    revoked_seq: int | None = None


class Registry:
    """Offices, counters and users registered in the log so far."""

    __slots__ = (
        "_loket_index",
        "counters",
        "lokets",
        "offices",
        "user_index",
        "user_names",
        "users",
    )

    def __init__(self) -> None:
        self.offices: dict[str, int] = {}  # office code -> seq of office.added
        self.counters: dict[tuple[str, str], int] = {}  # (office, counter) -> seq of counter.added
        #: index -> (office, counter); index 0 is unused (it means "no loket").
        self.lokets: list[tuple[str, str]] = [("", "")]
        self._loket_index: dict[tuple[str, str], int] = {}
        self.users: dict[str, User] = {}
        self.user_names: list[str] = [""]
        self.user_index: dict[str, int] = {}

    def loket(self, office: str, counter: str) -> int:
        """The index of counter ``counter`` of ``office`` (given one on first sight)."""
        key = (office, counter)
        index = self._loket_index.get(key)
        if index is None:
            index = len(self.lokets)
            self.lokets.append(key)
            self._loket_index[key] = index
        return index

    def user(self, user_id: str) -> int:
        """A small index for ``user_id`` (given one on first sight, known or not)."""
        index = self.user_index.get(user_id)
        if index is None:
            index = len(self.user_names)
            self.user_names.append(user_id)
            self.user_index[user_id] = index
        return index


@dataclass(frozen=True, slots=True)
class ReceiptRef:
    """What the index holds about one receipt."""

    seq: int
    loket: int
    charged: int
    issuer: int
    number_crc: int
    voided: bool


class ReceiptIndex:
    """Per-receipt facts in typed arrays indexed by ``seq``."""

    __slots__ = ("_charged", "_crc", "_flags", "_issuer", "_loket")

    def __init__(self) -> None:
        self._loket = array("I")
        self._charged = array("q")
        self._issuer = array("I")
        self._crc = array("I")
        self._flags = bytearray()

    def _grow(self, seq: int) -> bool:
        if seq < len(self._flags):
            return True
        missing = seq + 1 - len(self._flags)
        if missing > _MAX_JUMP:
            return False
        # Grow by at least a quarter, so appending seq after seq costs amortized O(1).
        missing = max(missing, len(self._flags) // 4, 1024)
        self._loket.extend(array("I", bytes(4 * missing)))
        self._charged.extend(array("q", bytes(8 * missing)))
        self._issuer.extend(array("I", bytes(4 * missing)))
        self._crc.extend(array("I", bytes(4 * missing)))
        self._flags.extend(bytes(missing))
        return True

    def add(self, seq: int, loket: int, charged: int, issuer: int, crc: int) -> None:
        """Index the receipt at ``seq``; ``crc`` is :func:`number_crc` of its number."""
        if seq >= len(self._flags) and not self._grow(seq):
            return
        self._loket[seq] = loket
        self._charged[seq] = charged
        self._issuer[seq] = issuer
        self._crc[seq] = crc
        self._flags[seq] = _RECEIPT

    def add_rows(self, rows: Iterable[ReceiptRow]) -> None:
        """:meth:`add` of each row, in order."""
        lokets, amounts, issuers, crcs, flags = (
            self._loket,
            self._charged,
            self._issuer,
            self._crc,
            self._flags,
        )
        size = len(flags)
        for seq, loket, issuer, _, charged, crc in rows:
            if seq >= size:
                if not self._grow(seq):
                    continue
                size = len(flags)
            lokets[seq] = loket
            amounts[seq] = charged
            issuers[seq] = issuer
            crcs[seq] = crc
            flags[seq] = _RECEIPT

    def get(self, seq: int) -> ReceiptRef | None:
        if not 0 <= seq < len(self._flags) or not self._flags[seq] & _RECEIPT:
            return None
        return ReceiptRef(
            seq,
            self._loket[seq],
            self._charged[seq],
            self._issuer[seq],
            self._crc[seq],
            bool(self._flags[seq] & _VOIDED),
        )

    def mark_voided(self, seq: int) -> None:
        if 0 <= seq < len(self._flags):
            self._flags[seq] |= _VOIDED


def number_crc(number: str) -> int:
    """CRC-32 of a receipt number: enough to tell a void naming the wrong number."""
    return zlib.crc32(number.encode("utf-8"))
