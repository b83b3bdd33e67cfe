"""The official fee for a service: ``quote``.

The exact amount is computed by the item's tariff from the declared inputs, then
rounded once to whole rupiah, halves upwards (:func:`round_half_up`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ledger.schedule.amounts import decimal_text, format_number, format_rupiah, round_half_up
from ledger.schedule.canonical import number_value
from ledger.schedule.document import ScheduleItem, ScheduleVersion
from ledger.schedule.errors import FormulaEvaluationError
from ledger.schedule.history import ScheduleHistory, resolve_version
from ledger.schedule.inputs import read_inputs
from ledger.schedule.tariffs import BreakdownLine

__all__ = ["Quote", "official_fee_of", "price_item", "quote"]


@dataclass(frozen=True, slots=True)
class Quote:
    """The official fee of one service under one schedule version.

    ``inputs`` are the values used (defaults applied), as integers or decimal text;
    ``exact_fee`` is the amount before the one rounding step; ``official_fee`` is whole
    rupiah; ``free`` marks a service on which nothing may be collected.
    ``warning_id``/``warning_en`` are set when the figure is not yet verified.
    """

    service_code: str
    service_name: str
    category: str
    unit: str
    version_id: str
    legal_basis: str
    legal_ref: str
    provenance: str
    free: bool
    unverified: bool
    warning_id: str | None
    warning_en: str | None
    inputs: Mapping[str, int | str]
    exact_fee: Fraction
    official_fee: int
    breakdown: tuple[BreakdownLine, ...]
    at_ms: int

    def to_json_value(self) -> dict[str, Any]:
        """The quote in the ledger/API data model (integers and text only)."""
        out: dict[str, Any] = {
            "service_code": self.service_code,
            "service_name": self.service_name,
            "category": self.category,
            "unit": self.unit,
            "schedule_version": self.version_id,
            "legal_basis": self.legal_basis,
            "legal_ref": self.legal_ref,
            "provenance": self.provenance,
            "free": self.free,
            "unverified": self.unverified,
            "inputs": dict(self.inputs),
            "official_fee": self.official_fee,
            "official_fee_text": format_rupiah(self.official_fee),
            "breakdown": [{"label": b.label, "value": b.value} for b in self.breakdown],
            "at": self.at_ms,
        }
        if self.warning_id is not None:
            out["warning_id"] = self.warning_id
            out["warning_en"] = self.warning_en
        return out


def price_item(
    item: ScheduleItem, inputs: Mapping[str, object]
) -> tuple[dict[str, Fraction], Fraction, int, list[BreakdownLine]]:
    """Values used, exact fee, official fee and breakdown for ``item``.

    Raises :class:`InvalidInputsError` for bad inputs and :class:`FormulaEvaluationError`
    when the formula cannot be computed for them or gives a negative amount.
    """
    values = read_inputs(item.code, item.tariff.inputs, inputs)
    exact, lines = item.tariff.price(values)
    official = _official(item, values, exact)
    if exact != official:
        lines.append(BreakdownLine("Dibulatkan (setengah ke atas)", format_rupiah(official)))
    lines.append(BreakdownLine("Tarif resmi", format_rupiah(official)))
    return values, exact, official, lines


def official_fee_of(item: ScheduleItem, inputs: Mapping[str, object]) -> int:
    """The official fee of :func:`price_item`, without building its breakdown (the check
    of a charge needs only the amount). Raises as :func:`price_item` does."""
    values = read_inputs(item.code, item.tariff.inputs, inputs)
    return _official(item, values, item.tariff.fee(values))


def _official(item: ScheduleItem, values: Mapping[str, Fraction], exact: Fraction) -> int:
    if exact < 0:
        raise FormulaEvaluationError(
            f"{item.code}: expected an amount ≥ 0, found {format_number(exact)} for inputs "
            + ", ".join(f"{k}={decimal_text(v)}" for k, v in values.items())
        )
    return round_half_up(exact)


def quote(
    version_or_history: ScheduleVersion | ScheduleHistory,
    service_code: str,
    inputs: Mapping[str, str | int],
    at_ms: int,
) -> Quote:
    """The official fee of ``service_code`` with ``inputs`` under the version in force
    at ``at_ms``.

    Raises :class:`NoScheduleInForce`, :class:`UnknownServiceError`,
    :class:`InvalidInputsError` or :class:`FormulaEvaluationError`.
    """
    version = resolve_version(version_or_history, at_ms)
    item = version.item(service_code)
    values, exact, official, lines = price_item(item, inputs)
    return Quote(
        service_code=item.code,
        service_name=item.name,
        category=item.category.value,
        unit=item.unit,
        version_id=version.id,
        legal_basis=version.legal_basis,
        legal_ref=item.legal_ref,
        provenance=item.provenance.value,
        free=item.is_free,
        unverified=item.unverified,
        warning_id=item.warning_id,
        warning_en=item.warning_en,
        inputs={name: number_value(value) for name, value in values.items()},
        exact_fee=exact,
        official_fee=official,
        breakdown=tuple(lines),
        at_ms=at_ms,
    )
