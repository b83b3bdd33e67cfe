"""What the fee pages show of a schedule version: display values, search, the calculator.

Pure: a :class:`~ledger.schedule.ScheduleVersion` and a language in, plain values out.
Item names, units and legal references are shown as the schedule writes them (Bahasa
Indonesia, the language of the Perda); labels around them follow the page language.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from api.web.i18n import Translator
from ledger.schedule import (
    FormulaError,
    InvalidInputsError,
    Quote,
    ScheduleItem,
    ScheduleVersion,
    quote,
)
from ledger.schedule.amounts import decimal_text, format_number, format_rupiah
from ledger.schedule.inputs import InputSpec, InputType
from ledger.schedule.tariffs import (
    FixedTariff,
    FormulaTariff,
    FreeTariff,
    PerUnitTariff,
    TieredTariff,
)

__all__ = [
    "FeeView",
    "InputView",
    "fee_view",
    "fee_views",
    "quote_or_problem",
    "search_fees",
    "service_index",
]


@dataclass(frozen=True, slots=True)
class InputView:
    """One input of the calculator form."""

    name: str
    label: str
    unit: str | None
    decimal: bool
    minimum: str  # Indonesian notation, for the hint
    maximum: str
    minimum_raw: str  # dot notation, for the input attributes
    maximum_raw: str
    default: str


@dataclass(frozen=True, slots=True)
class FeeView:
    """One service as the fee pages show it."""

    code: str
    name: str
    category: str
    category_label: str
    unit: str
    fee_text: str
    free: bool
    legal_ref: str
    provenance: str
    provenance_label: str
    unverified: bool
    warning: str | None
    notes: str | None
    inputs: tuple[InputView, ...]
    formula: str | None

    @property
    def has_calculator(self) -> bool:
        return bool(self.inputs)


def _input_view(spec: InputSpec) -> InputView:
    default = spec.default
    return InputView(
        name=spec.name,
        label=spec.label,
        unit=spec.unit,
        decimal=spec.type is InputType.DECIMAL,
        minimum=format_number(spec.minimum),
        maximum=format_number(spec.maximum),
        minimum_raw=decimal_text(spec.minimum),
        maximum_raw=decimal_text(spec.maximum),
        default=decimal_text(default) if default is not None else "",
    )


def _fee_text(item: ScheduleItem, t: Translator) -> str:
    tariff = item.tariff
    if isinstance(tariff, FreeTariff):
        return t("fees.free")
    if isinstance(tariff, FixedTariff):
        return format_rupiah(tariff.amount)
    if isinstance(tariff, PerUnitTariff):
        unit = tariff.quantity.unit or tariff.quantity.label
        return t("fees.per_unit", rate=format_rupiah(tariff.rate), unit=unit)
    if isinstance(tariff, TieredTariff):
        return t("fees.tiered", input=tariff.quantity.label)
    assert isinstance(tariff, FormulaTariff)
    return t("fees.formula", formula=tariff.formula.text)


def fee_view(item: ScheduleItem, t: Translator) -> FeeView:
    formula = item.tariff.formula.text if isinstance(item.tariff, FormulaTariff) else None
    warning = (item.warning_id if t.lang == "id" else item.warning_en) if item.unverified else None
    return FeeView(
        code=item.code,
        name=item.name,
        category=item.category.value,
        category_label=t(f"category.{item.category.value}"),
        unit=item.unit,
        fee_text=_fee_text(item, t),
        free=item.is_free,
        legal_ref=item.legal_ref,
        provenance=item.provenance.value,
        provenance_label=t(f"provenance.{item.provenance.value}"),
        unverified=item.unverified,
        warning=warning,
        notes=item.notes,
        inputs=tuple(_input_view(spec) for spec in item.tariff.inputs),
        formula=formula,
    )


def fee_views(version: ScheduleVersion, t: Translator) -> tuple[FeeView, ...]:
    return tuple(fee_view(item, t) for item in version.items)


def _fold(text: str) -> str:
    """Lower case without accents or dashes, so "ktp el" finds "KTP-el"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(kept.split())


def search_fees(views: Iterable[FeeView], query: str) -> tuple[FeeView, ...]:
    """Views whose code, name, category or legal reference hold every word of ``query``."""
    words = _fold(query).split()
    if not words:
        return tuple(views)
    found = []
    for view in views:
        haystack = _fold(
            f"{view.code} {view.code.replace('-', '')} {view.name} {view.category_label} "
            f"{view.legal_ref}"
        )
        if all(word in haystack for word in words):
            found.append(view)
    return tuple(found)


def service_index(version: ScheduleVersion) -> dict[str, Mapping[str, object]]:
    """code → name and flags, embedded in pages that show receipts (verify page)."""
    return {
        item.code: {"name": item.name, "unverified": item.unverified, "free": item.is_free}
        for item in version.items
    }


def quote_or_problem(
    version: ScheduleVersion, code: str, values: Mapping[str, str], at_ms: int, t: Translator
) -> tuple[Quote | None, str | None]:
    """The official fee for ``values``, or why it cannot be computed (in the page language)."""
    try:
        return quote(version, code, values, at_ms), None
    except InvalidInputsError as exc:
        words = [p.message_id if t.lang == "id" else p.message_en for p in exc.problems]
        return None, " ".join(words) or str(exc)
    except FormulaError as exc:
        return None, str(exc)
