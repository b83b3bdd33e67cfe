"""Declared inputs of a tariff (quantities a petugas enters) and reading given values.

An input has a name used in formulas, a label in Bahasa Indonesia, a type (``integer``
or ``decimal``), inclusive bounds, an optional unit and an optional default. Given
values are ``int`` or text; text is read exactly (``"0.773"``), never through ``float``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from ledger.schedule.amounts import decimal_text, format_number, parse_decimal
from ledger.schedule.errors import InputProblem, InvalidInputsError

__all__ = ["InputSpec", "InputType", "read_inputs"]

#: Longest text accepted for one input value.
_MAX_VALUE_LENGTH = 40


class InputType(StrEnum):
    """The type of an input's values."""

    INTEGER = "integer"
    DECIMAL = "decimal"


@dataclass(frozen=True, slots=True)
class InputSpec:
    """One declared input. Bounds are inclusive; ``default`` is used when no value is given."""

    name: str
    label: str
    type: InputType
    minimum: Fraction
    maximum: Fraction
    unit: str | None = None
    default: Fraction | None = None

    def describe(self) -> str:
        """``LLt (Luas lantai total, m²)`` — the name with label and unit, for messages."""
        unit = f", {self.unit}" if self.unit else ""
        return f"{self.name} ({self.label}{unit})"

    def with_unit(self, value: Fraction) -> str:
        """A value in Indonesian notation with the unit: ``235 m²``."""
        return f"{format_number(value)} {self.unit}" if self.unit else format_number(value)

    def _value_or_problem(self, raw: object) -> Fraction | InputProblem:
        name = self.name
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            kind = type(raw).__name__
            return InputProblem(
                name,
                f'isian {name} harus berupa angka (bilangan bulat atau teks seperti "0.773"), '
                f"bukan {kind}",
                f'input {name}: expected an integer or decimal text such as "0.773", found {kind}',
            )
        if isinstance(raw, str):
            text = raw.strip()
            if len(text) > _MAX_VALUE_LENGTH:
                return InputProblem(
                    name,
                    f"isian {name} terlalu panjang ({len(text)} karakter)",
                    f"input {name}: expected at most {_MAX_VALUE_LENGTH} characters, "
                    f"found {len(text)}",
                )
            try:
                value = parse_decimal(text)
            except ValueError as exc:
                hint = " (gunakan titik untuk desimal, mis. 0.773)" if "," in text else ""
                return InputProblem(
                    name,
                    f"isian {name} bukan angka yang sah: {text!r}{hint}",
                    f"input {name}: {exc}",
                )
        else:
            value = Fraction(raw)
        if self.type is InputType.INTEGER and value.denominator != 1:
            return InputProblem(
                name,
                f"isian {name} harus bilangan bulat, tertulis {format_number(value)}",
                f"input {name}: expected a whole number, found {decimal_text(value)}",
            )
        if not self.minimum <= value <= self.maximum:
            return InputProblem(
                name,
                f"isian {name} ({self.label}) harus antara {self.with_unit(self.minimum)} "
                f"dan {self.with_unit(self.maximum)}, tertulis {self.with_unit(value)}",
                f"input {name}: expected between {decimal_text(self.minimum)} and "
                f"{decimal_text(self.maximum)}, found {decimal_text(value)}",
            )
        return value


def read_inputs(
    service_code: str, specs: Sequence[InputSpec], given: Mapping[str, object]
) -> dict[str, Fraction]:
    """Exact values of every declared input, defaults applied.

    Reports every problem at once (missing, unexpected, malformed, wrong type, out of
    bounds) in :class:`InvalidInputsError`.
    """
    problems: list[InputProblem] = []
    values: dict[str, Fraction] = {}
    declared = {spec.name for spec in specs}
    for key in given:
        if key not in declared:
            takes_en = ", ".join(s.name for s in specs) if specs else "no inputs"
            takes_id = ", ".join(s.name for s in specs) if specs else "tanpa isian"
            problems.append(
                InputProblem(
                    str(key),
                    f"isian {key} tidak dikenal untuk {service_code}; layanan ini memakai: "
                    f"{takes_id}",
                    f"unexpected input {key} for {service_code}; expected: {takes_en}",
                )
            )
    for spec in specs:
        if spec.name not in given:
            if spec.default is not None:
                values[spec.name] = spec.default
                continue
            problems.append(
                InputProblem(
                    spec.name,
                    f"isian {spec.describe()} wajib diisi",
                    f"input {spec.describe()} is required and missing",
                )
            )
            continue
        result = spec._value_or_problem(given[spec.name])
        if isinstance(result, InputProblem):
            problems.append(result)
        else:
            values[spec.name] = result
    if problems:
        raise InvalidInputsError(service_code, problems)
    return values
