"""The demo offices, counters and staff of ``api/data/demo.toml`` (or ``BUKTI_DEMO_FILE``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from api.errors import SetupError

__all__ = ["DemoCounter", "DemoData", "DemoOffice", "DemoUser", "load_demo"]


@dataclass(frozen=True, slots=True)
class DemoCounter:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class DemoOffice:
    code: str
    name: str
    area: str
    counters: tuple[DemoCounter, ...]


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    name: str
    role: str
    office: str | None
    password: str


@dataclass(frozen=True, slots=True)
class DemoData:
    offices: tuple[DemoOffice, ...]
    staff: tuple[DemoUser, ...]


def load_demo(path: Path | None = None) -> DemoData:
    """Parse the demo file; raises :class:`SetupError` naming what is wrong."""
    try:
        if path is None:
            text = resources.files("api.data").joinpath("demo.toml").read_text(encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
        offices = tuple(
            DemoOffice(
                code=str(o["code"]),
                name=str(o["name"]),
                area=str(o["area"]),
                counters=tuple(DemoCounter(str(c["code"]), str(c["name"])) for c in o["counters"]),
            )
            for o in raw["offices"]
        )
        staff = tuple(
            DemoUser(
                username=str(u["username"]),
                name=str(u["name"]),
                role=str(u["role"]),
                office=str(u["office"]) if "office" in u else None,
                password=str(u["password"]),
            )
            for u in raw["staff"]
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise SetupError(
            f"expected a demo file with [[offices]] and [[staff]], found a problem: {exc!r}",
            f"Berkas demo tidak valid: {exc!r}",
        ) from exc
    return DemoData(offices, staff)
