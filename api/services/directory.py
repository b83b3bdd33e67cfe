"""Offices and counters: registered in the log (``office.added``, ``counter.added``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from api.errors import DuplicateError, InvalidRequestError, NotFoundError
from api.services.config_state import Counter, Office
from api.services.follower import ConfigFollower
from ledger.storage import AppendContext, AppendRequest, LogStore

__all__ = ["DirectoryService", "OfficeView"]

#: Kode wilayah of a kecamatan in Kabupaten Bekasi (32.16.NN) plus a unit code.
_OFFICE_RE = re.compile(r"32\.16\.[0-9]{2}-[A-Z0-9]{2,20}")
_COUNTER_RE = re.compile(r"L[0-9]{2}")


@dataclass(frozen=True, slots=True)
class OfficeView:
    office: Office
    counters: tuple[Counter, ...]


class DirectoryService:
    def __init__(
        self, store: LogStore, follower: ConfigFollower, *, clock: Callable[[], int]
    ) -> None:
        self._store = store
        self._follower = follower
        self._clock = clock

    def offices(self) -> list[OfficeView]:
        state = self._follower.current().state
        return [
            OfficeView(
                office,
                tuple(c for (o, _), c in sorted(state.counters.items()) if o == office.code),
            )
            for office in sorted(state.offices.values(), key=lambda o: o.code)
        ]

    def add_office(self, code: str, name: str, area: str, by: str) -> Office:
        if not _OFFICE_RE.fullmatch(code):
            raise InvalidRequestError(
                f"expected an office code like 32.16.20-DUKCAPIL, found {code!r}",
                "Kode kantor harus kode wilayah kecamatan + kode unit, mis. 32.16.20-DUKCAPIL.",
                field="office",
            )
        _text(name, "name")
        _text(area, "address_area")

        def factory(ctx: AppendContext) -> dict[str, str]:
            if ctx.next_number(f"office:{code}") > 1:
                raise DuplicateError(
                    f"expected a new office code, found {code} already registered",
                    f"Kantor {code} sudah terdaftar.",
                )
            return {"office": code, "name": name, "address_area": area, "by": by}

        entry = self._store.append(
            AppendRequest(kind="office.added", at=self._clock(), body=factory)
        )
        return Office(code, name, area, entry.seq)

    def add_counter(self, office: str, code: str, name: str, by: str) -> Counter:
        if office not in self._follower.current().state.offices:
            raise NotFoundError(
                f"expected a registered office, found {office!r}",
                f"Kantor {office} belum terdaftar.",
            )
        if not _COUNTER_RE.fullmatch(code):
            raise InvalidRequestError(
                f"expected a counter code L01..L99, found {code!r}",
                "Kode loket harus L01 sampai L99.",
                field="counter",
            )
        _text(name, "name")

        def factory(ctx: AppendContext) -> dict[str, str]:
            if ctx.next_number(f"counter:{office}:{code}") > 1:
                raise DuplicateError(
                    f"expected a new counter, found {code} already registered at {office}",
                    f"Loket {code} sudah terdaftar di {office}.",
                )
            return {"office": office, "counter": code, "name": name, "by": by}

        entry = self._store.append(
            AppendRequest(kind="counter.added", at=self._clock(), body=factory)
        )
        return Counter(office, code, name, entry.seq)


def _text(value: str, field: str) -> None:
    if not 2 <= len(value.strip()) <= 200:
        raise InvalidRequestError(
            f"expected {field} of 2 to 200 characters, found {len(value.strip())}",
            f"Isian {field} harus 2–200 karakter.",
            field=field,
        )
