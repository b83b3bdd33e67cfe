"""Tariff kinds and how each computes the exact fee with a readable breakdown.

Five kinds (docs/schedule-format.md §Tariffs):

- ``free``      — Rp0, by law;
- ``fixed``     — one amount;
- ``per_unit``  — ``rate × quantity`` over one declared input;
- ``tiered``    — brackets over one declared quantity, ``graduated`` (each portion at
                  its bracket's rate) or ``bracket`` (the bracket the quantity falls in
                  sets the fee);
- ``formula``   — an arithmetic formula over declared inputs and named constants.

Each returns the *exact* amount as a :class:`~fractions.Fraction`; rounding to whole
rupiah happens once, in :mod:`ledger.schedule.quoting`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import ClassVar

from ledger.schedule.amounts import format_number, format_rupiah
from ledger.schedule.formula import Formula
from ledger.schedule.inputs import InputSpec

__all__ = [
    "Bracket",
    "BreakdownLine",
    "FixedTariff",
    "FormulaTariff",
    "FreeTariff",
    "PerUnitTariff",
    "Tariff",
    "TariffKind",
    "TierMode",
    "TieredTariff",
]


class TariffKind(StrEnum):
    FREE = "free"
    FIXED = "fixed"
    PER_UNIT = "per_unit"
    TIERED = "tiered"
    FORMULA = "formula"


class TierMode(StrEnum):
    GRADUATED = "graduated"
    BRACKET = "bracket"


@dataclass(frozen=True, slots=True)
class BreakdownLine:
    """One line of a fee breakdown, in Bahasa Indonesia: a label and its value."""

    label: str
    value: str


def _money(value: Fraction | int) -> str:
    value = Fraction(value)
    if value.denominator == 1:
        return format_rupiah(value.numerator)
    return f"Rp{format_number(value)}"


def _bounds(spec: InputSpec) -> str:
    """``LLt (1–500.000 m², bawaan 1)``: an input with its bounds, for summaries."""
    unit = f" {spec.unit}" if spec.unit else ""
    default = f", bawaan {format_number(spec.default)}" if spec.default is not None else ""
    span = f"{format_number(spec.minimum)}–{format_number(spec.maximum)}"
    return f"{spec.name} ({span}{unit}{default})"


@dataclass(frozen=True, slots=True)
class FreeTariff:
    """No fee may be collected (e.g. population documents, UU 24/2013 Pasal 79A)."""

    kind: ClassVar[TariffKind] = TariffKind.FREE

    @property
    def inputs(self) -> tuple[InputSpec, ...]:
        return ()

    def summary(self) -> str:
        return "gratis (Rp0)"

    def price(self, values: Mapping[str, Fraction]) -> tuple[Fraction, list[BreakdownLine]]:
        return Fraction(0), [BreakdownLine("Tarif", "gratis (tidak dipungut biaya)")]

    def fee(self, values: Mapping[str, Fraction]) -> Fraction:
        return Fraction(0)


@dataclass(frozen=True, slots=True)
class FixedTariff:
    """One amount in whole rupiah."""

    amount: int
    kind: ClassVar[TariffKind] = TariffKind.FIXED

    @property
    def inputs(self) -> tuple[InputSpec, ...]:
        return ()

    def summary(self) -> str:
        return format_rupiah(self.amount)

    def price(self, values: Mapping[str, Fraction]) -> tuple[Fraction, list[BreakdownLine]]:
        return Fraction(self.amount), [BreakdownLine("Tarif tetap", format_rupiah(self.amount))]

    def fee(self, values: Mapping[str, Fraction]) -> Fraction:
        return Fraction(self.amount)


@dataclass(frozen=True, slots=True)
class PerUnitTariff:
    """``rate`` whole rupiah per unit of the one declared quantity."""

    rate: int
    quantity: InputSpec
    kind: ClassVar[TariffKind] = TariffKind.PER_UNIT

    @property
    def inputs(self) -> tuple[InputSpec, ...]:
        return (self.quantity,)

    def summary(self) -> str:
        per = self.quantity.unit or "satuan"
        return f"{format_rupiah(self.rate)} per {per} × {_bounds(self.quantity)}"

    def price(self, values: Mapping[str, Fraction]) -> tuple[Fraction, list[BreakdownLine]]:
        q = values[self.quantity.name]
        exact = self.rate * q
        per = f" per {self.quantity.unit}" if self.quantity.unit else " per satuan"
        return exact, [
            BreakdownLine(self.quantity.label, self.quantity.with_unit(q)),
            BreakdownLine(f"Tarif{per}", format_rupiah(self.rate)),
            BreakdownLine(f"{format_number(q)} × {format_rupiah(self.rate)}", _money(exact)),
        ]

    def fee(self, values: Mapping[str, Fraction]) -> Fraction:
        return self.rate * values[self.quantity.name]


@dataclass(frozen=True, slots=True)
class Bracket:
    """A bracket of a tiered tariff: quantities up to ``up_to`` (``None`` = no upper end).

    It contributes ``amount`` plus ``rate`` per unit (of the portion in the bracket in
    ``graduated`` mode, of the whole quantity in ``bracket`` mode).
    """

    up_to: Fraction | None
    amount: int = 0
    rate: int = 0


def _rule(bracket: Bracket, units: Fraction | None) -> str:
    """``Rp500 + 10 × Rp2.000`` for ``units``; ``Rp500 + Rp2.000 per satuan`` without."""
    parts = []
    if bracket.amount or not bracket.rate:
        parts.append(format_rupiah(bracket.amount))
    if bracket.rate and units is None:
        parts.append(f"{format_rupiah(bracket.rate)} per satuan")
    elif bracket.rate and units is not None:
        parts.append(f"{format_number(units)} × {format_rupiah(bracket.rate)}")
    return " + ".join(parts)


@dataclass(frozen=True, slots=True)
class TieredTariff:
    """Brackets over one declared quantity; the last bracket has no upper end."""

    mode: TierMode
    brackets: tuple[Bracket, ...]
    quantity: InputSpec
    kind: ClassVar[TariffKind] = TariffKind.TIERED

    @property
    def inputs(self) -> tuple[InputSpec, ...]:
        return (self.quantity,)

    def summary(self) -> str:
        parts = []
        lower: Fraction | None = None
        for bracket in self.brackets:
            parts.append(f"{self._range(lower, bracket.up_to)}: {_rule(bracket, None)}")
            lower = bracket.up_to
        mode = "berjenjang per bagian" if self.mode is TierMode.GRADUATED else "per golongan"
        return f"{mode} atas {_bounds(self.quantity)} — " + "; ".join(parts)

    def _range(self, lower: Fraction | None, upper: Fraction | None) -> str:
        unit = f" {self.quantity.unit}" if self.quantity.unit else ""
        if lower is None and upper is not None:
            return f"s.d. {format_number(upper)}{unit}"
        if upper is None:
            return f"di atas {format_number(lower or Fraction(0))}{unit}"
        return f"di atas {format_number(lower or Fraction(0))} s.d. {format_number(upper)}{unit}"

    @staticmethod
    def _part(bracket: Bracket, units: Fraction) -> tuple[Fraction, str]:
        return bracket.amount + bracket.rate * units, _rule(bracket, units)

    def _parts(self, q: Fraction) -> list[tuple[str, Fraction | None, Bracket, Fraction]]:
        """The brackets that price quantity ``q``: ``(how, lower end, bracket, units)``, where
        ``how`` is ``Golongan`` (the one bracket holding ``q``) or ``Bagian`` (each portion
        of a graduated quantity)."""
        parts: list[tuple[str, Fraction | None, Bracket, Fraction]] = []
        lower: Fraction | None = None
        for bracket in self.brackets:
            end = q if bracket.up_to is None or q <= bracket.up_to else bracket.up_to
            if self.mode is TierMode.BRACKET:
                if end == q:
                    return [("Golongan", lower, bracket, q)]
            else:
                start = lower or Fraction(0)
                if lower is not None and q <= start:
                    break
                parts.append(("Bagian", lower, bracket, end - start))
            lower = bracket.up_to
        return parts

    def price(self, values: Mapping[str, Fraction]) -> tuple[Fraction, list[BreakdownLine]]:
        q = values[self.quantity.name]
        lines = [BreakdownLine(self.quantity.label, self.quantity.with_unit(q))]
        total = Fraction(0)
        parts = self._parts(q)
        for how, lower, bracket, units in parts:
            exact, rule = self._part(bracket, units)
            total += exact
            label = f"{how} {self._range(lower, bracket.up_to)}: {rule}"
            lines.append(BreakdownLine(label, _money(exact)))
        if self.mode is not TierMode.BRACKET or not parts:
            lines.append(BreakdownLine("Jumlah", _money(total)))
        return total, lines

    def fee(self, values: Mapping[str, Fraction]) -> Fraction:
        parts = self._parts(values[self.quantity.name])
        return sum((b.amount + b.rate * units for _, _, b, units in parts), Fraction(0))


@dataclass(frozen=True, slots=True)
class FormulaTariff:
    """A formula over declared inputs and named constants (``constants`` in order)."""

    formula: Formula
    constants: tuple[tuple[str, Fraction], ...]
    declared: tuple[InputSpec, ...]
    kind: ClassVar[TariffKind] = TariffKind.FORMULA

    @property
    def inputs(self) -> tuple[InputSpec, ...]:
        return self.declared

    def summary(self) -> str:
        text = f"rumus {self.formula.text}; isian: " + ", ".join(map(_bounds, self.declared))
        if self.constants:
            text += "; tetapan: " + ", ".join(
                f"{name} = {format_number(value)}" for name, value in self.constants
            )
        return text

    def evaluate(self, values: Mapping[str, Fraction]) -> Fraction:
        return self.formula.evaluate({**dict(self.constants), **values})

    def price(self, values: Mapping[str, Fraction]) -> tuple[Fraction, list[BreakdownLine]]:
        exact = self.evaluate(values)
        lines = [
            BreakdownLine(f"{spec.name} — {spec.label}", spec.with_unit(values[spec.name]))
            for spec in self.declared
        ]
        lines += [
            BreakdownLine(f"{name} (tetapan)", format_number(value))
            for name, value in self.constants
        ]
        lines.append(BreakdownLine("Rumus", self.formula.text))
        lines.append(BreakdownLine("Hasil hitung", _money(exact)))
        return exact, lines

    def fee(self, values: Mapping[str, Fraction]) -> Fraction:
        return self.evaluate(values)


Tariff = FreeTariff | FixedTariff | PerUnitTariff | TieredTariff | FormulaTariff
