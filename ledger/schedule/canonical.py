"""The canonical form of a schedule version: a JSON map in the ledger's data model.

Only text, integers, lists and maps appear (no floats, no nulls): whole numbers are
integers, other decimals are their shortest exact text (``"0.005"``), optional fields
are left out when absent. Reading the canonical map back with
:func:`ledger.schedule.loading.version_from_mapping` gives an equal version, and its
RFC 8785 bytes are what :func:`document_sha256` hashes — so ``sha256sum`` of a stored
document file matches the digest in the log.
"""

from __future__ import annotations

import hashlib
from fractions import Fraction
from typing import Any

from ledger.encoding import canonical_json
from ledger.schedule.amounts import decimal_text
from ledger.schedule.document import ScheduleItem, ScheduleVersion
from ledger.schedule.inputs import InputSpec
from ledger.schedule.tariffs import (
    FixedTariff,
    FormulaTariff,
    FreeTariff,
    PerUnitTariff,
    Tariff,
    TieredTariff,
)

__all__ = ["document_bytes", "document_sha256", "number_value", "version_to_mapping"]


def number_value(value: Fraction) -> int | str:
    """An exact number in the data model: an integer, or decimal text."""
    return value.numerator if value.denominator == 1 else decimal_text(value)


def _input(spec: InputSpec) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": spec.name,
        "label": spec.label,
        "type": spec.type.value,
        "min": number_value(spec.minimum),
        "max": number_value(spec.maximum),
    }
    if spec.unit is not None:
        out["unit"] = spec.unit
    if spec.default is not None:
        out["default"] = number_value(spec.default)
    return out


def _tariff(tariff: Tariff) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": tariff.kind.value}
    if isinstance(tariff, FreeTariff):
        return out
    if isinstance(tariff, FixedTariff):
        out["amount"] = tariff.amount
        return out
    out["inputs"] = [_input(spec) for spec in tariff.inputs]
    if isinstance(tariff, PerUnitTariff):
        out["rate"] = tariff.rate
    elif isinstance(tariff, TieredTariff):
        out["mode"] = tariff.mode.value
        brackets = []
        for bracket in tariff.brackets:
            entry: dict[str, Any] = {"amount": bracket.amount, "rate": bracket.rate}
            if bracket.up_to is not None:
                entry["up_to"] = number_value(bracket.up_to)
            brackets.append(entry)
        out["brackets"] = brackets
    elif isinstance(tariff, FormulaTariff):
        out["expression"] = tariff.formula.text
        if tariff.constants:
            out["constants"] = {name: number_value(value) for name, value in tariff.constants}
    return out


def _item(item: ScheduleItem) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": item.code,
        "name": item.name,
        "category": item.category.value,
        "unit": item.unit,
        "tariff": _tariff(item.tariff),
        "legal_ref": item.legal_ref,
        "provenance": item.provenance.value,
    }
    if item.notes is not None:
        out["notes"] = item.notes
    return out


def version_to_mapping(version: ScheduleVersion) -> dict[str, Any]:
    """The canonical map of ``version`` (docs/schedule-format.md §Canonical form)."""
    out: dict[str, Any] = {
        "format": version.format,
        "id": version.id,
        "title": version.title,
        "legal_basis": version.legal_basis,
        "effective_from": version.effective_from,
        "items": [_item(item) for item in version.items],
    }
    if version.notes is not None:
        out["notes"] = version.notes
    return out


def document_bytes(version: ScheduleVersion) -> bytes:
    """RFC 8785 bytes of the canonical map: the bytes that are hashed and stored."""
    return canonical_json(version_to_mapping(version))


def document_sha256(version: ScheduleVersion) -> str:
    """Lowercase hex SHA-256 of :func:`document_bytes` — the document's content address."""
    return hashlib.sha256(document_bytes(version)).hexdigest()
