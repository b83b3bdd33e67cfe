"""Small schedule documents for tests, built as plain maps (what TOML or JSON gives)."""

from __future__ import annotations

from typing import Any

from ledger.schedule import ScheduleVersion, parse_wib, version_from_mapping

#: Effective time of the test documents: 2024-01-01 00:00 WIB.
EFFECTIVE = "2024-01-01T00:00"
EFFECTIVE_MS = parse_wib(EFFECTIVE)


def at(text: str) -> int:
    """UTC milliseconds of a WIB time ``YYYY-MM-DDTHH:MM``."""
    return parse_wib(text)


def quantity(name: str = "n", **overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": name,
        "label": "Jumlah",
        "type": "integer",
        "min": 1,
        "max": 100,
    }
    spec.update(overrides)
    return spec


def item(code: str, tariff: Any, **overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "code": code,
        "name": f"Layanan {code}",
        "category": "jasa_umum",
        "unit": "per layanan",
        "legal_ref": "Perda Uji 1/2024 Pasal 1",
        "provenance": "C",
        "tariff": tariff,
    }
    entry.update(overrides)
    return entry


def fixed(code: str = "UJI-TTP-01", amount: Any = 10_000, **overrides: Any) -> dict[str, Any]:
    return item(code, {"kind": "fixed", "amount": amount}, **overrides)


def free(code: str = "UJI-GRT-01") -> dict[str, Any]:
    return item(
        code,
        {"kind": "free"},
        category="layanan_gratis",
        provenance="L",
        legal_ref="UU 24/2013 Pasal 79A",
    )


def document(*items: Any, **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": 1,
        "id": "uji-2024.1",
        "title": "Jadwal retribusi uji",
        "legal_basis": "Peraturan Daerah Uji Nomor 1 Tahun 2024",
        "effective_from": EFFECTIVE,
        "items": list(items) or [fixed()],
    }
    doc.update(overrides)
    return doc


def version(*items: Any, **overrides: Any) -> ScheduleVersion:
    return version_from_mapping(document(*items, **overrides))
