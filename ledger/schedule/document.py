"""A schedule version and its items, as validated, immutable values.

Build them with :mod:`ledger.schedule.loading` (which checks everything); the
canonical form is produced by :mod:`ledger.schedule.encoding`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from ledger.schedule.errors import UnknownServiceError
from ledger.schedule.tariffs import FreeTariff, Tariff
from ledger.schedule.wib import wib_minute_text

__all__ = [
    "DOCUMENT_FORMAT",
    "UNVERIFIED_WARNING_EN",
    "UNVERIFIED_WARNING_ID",
    "Category",
    "Provenance",
    "ScheduleItem",
    "ScheduleVersion",
]

#: The ``format`` number of schedule documents this code reads and writes.
DOCUMENT_FORMAT = 1

#: Printed on every page and receipt of an item whose figure is not yet verified.
UNVERIFIED_WARNING_ID = "Tarif belum diverifikasi terhadap Lampiran Perda 8/2023."
UNVERIFIED_WARNING_EN = "Fee not yet verified against the annex (Lampiran) of Perda 8/2023."


class Category(StrEnum):
    """The kind of levy (UU 1/2022 Pasal 87), or a service free by law."""

    JASA_UMUM = "jasa_umum"
    JASA_USAHA = "jasa_usaha"
    PERIZINAN_TERTENTU = "perizinan_tertentu"
    LAYANAN_GRATIS = "layanan_gratis"

    @property
    def label(self) -> str:
        return _CATEGORY_LABELS[self]


_CATEGORY_LABELS = {
    Category.JASA_UMUM: "Retribusi Jasa Umum",
    Category.JASA_USAHA: "Retribusi Jasa Usaha",
    Category.PERIZINAN_TERTENTU: "Retribusi Perizinan Tertentu",
    Category.LAYANAN_GRATIS: "Layanan gratis",
}


class Provenance(StrEnum):
    """How well an item's figure is sourced."""

    CONFIRMED = "C"  # confirmed from an official source
    SECONDARY = "S"  # from secondary sources (news, public code)
    UNCONFIRMED = "U"  # placeholder awaiting confirmation
    FREE_BY_LAW = "L"  # free by law

    @property
    def unverified(self) -> bool:
        """True for S and U: the figure awaits verification against the Perda's annex."""
        return self in (Provenance.SECONDARY, Provenance.UNCONFIRMED)

    @property
    def label(self) -> str:
        return _PROVENANCE_LABELS[self]


_PROVENANCE_LABELS = {
    Provenance.CONFIRMED: "terkonfirmasi dari sumber resmi",
    Provenance.SECONDARY: "dari sumber sekunder",
    Provenance.UNCONFIRMED: "belum terkonfirmasi",
    Provenance.FREE_BY_LAW: "gratis menurut undang-undang",
}


@dataclass(frozen=True, slots=True)
class ScheduleItem:
    """One service with its tariff, legal reference and provenance label."""

    code: str
    name: str
    category: Category
    unit: str
    tariff: Tariff
    legal_ref: str
    provenance: Provenance
    notes: str | None = None

    @property
    def is_free(self) -> bool:
        return isinstance(self.tariff, FreeTariff)

    @property
    def unverified(self) -> bool:
        """The figure is not yet verified against Lampiran Perda 8/2023 (labels S and U)."""
        return self.provenance.unverified

    @property
    def warning_id(self) -> str | None:
        """The notice to print with this item, or ``None`` when its figure is verified."""
        return UNVERIFIED_WARNING_ID if self.unverified else None

    @property
    def warning_en(self) -> str | None:
        return UNVERIFIED_WARNING_EN if self.unverified else None


@dataclass(frozen=True, slots=True)
class ScheduleVersion:
    """An immutable schedule version: what is charged for what, from when.

    ``effective_from_ms`` is UTC milliseconds; documents write it as WIB wall-clock time.
    """

    id: str
    title: str
    legal_basis: str
    effective_from_ms: int
    items: tuple[ScheduleItem, ...]
    notes: str | None = None
    format: int = DOCUMENT_FORMAT
    _by_code: Mapping[str, ScheduleItem] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_by_code", MappingProxyType({item.code: item for item in self.items})
        )

    @property
    def effective_from(self) -> str:
        """``YYYY-MM-DDTHH:MM`` in WIB, as written in the document."""
        return wib_minute_text(self.effective_from_ms)

    def item(self, code: str) -> ScheduleItem:
        """The item with ``code``; raises :class:`UnknownServiceError`."""
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownServiceError(code, self.id) from None

    def __contains__(self, code: object) -> bool:
        return code in self._by_code
