"""Fee schedules: publishing a version into the log, reading versions back, quoting fees.

Publishing appends ``schedule.published`` with the canonical document (DESIGN §2); the
schedule's own rules refuse a retroactive version or a reused id before anything is
written. Reads come from the configuration folded from the log, so what is served is
exactly what the log proves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from api.errors import NotFoundError
from api.services.follower import ConfigFollower
from ledger.schedule import (
    PublishedVersion,
    Quote,
    ScheduleVersion,
    parse_json,
    parse_toml,
    publication_body,
    quote,
    version_to_mapping,
)
from ledger.storage import AppendRequest, LogStore

if TYPE_CHECKING:
    from api.settings import Settings

__all__ = ["PublishedView", "ScheduleService", "load_schedule_file", "publish_file"]


@dataclass(frozen=True, slots=True)
class PublishedView:
    version: str
    title: str
    legal_basis: str
    effective_from: int  # UTC ms, as the document states it
    in_force_from: int  # UTC ms, never before its publication
    published_at: int
    sha256: str
    publisher: str
    current: bool
    document: Mapping[str, Any]


def load_schedule_file(path: Path) -> ScheduleVersion:
    """Parse a TOML or JSON schedule document (by file suffix)."""
    if path.suffix.lower() == ".json":
        return parse_json(path.read_bytes())
    return parse_toml(path.read_text(encoding="utf-8"))


class ScheduleService:
    def __init__(
        self, store: LogStore, follower: ConfigFollower, *, clock: Callable[[], int]
    ) -> None:
        self._store = store
        self._follower = follower
        self._clock = clock

    def publish(self, document: ScheduleVersion, publisher: str) -> PublishedView:
        """Append ``schedule.published`` for ``document``; raises the schedule's refusals."""
        snapshot = self._follower.current()
        now = self._clock()
        size = self._store.size()
        last_at = self._store.entry(size - 1).decode().at if size else 0
        snapshot.history.check_publish(document, now, last_at)
        entry = self._store.append(
            AppendRequest(
                kind="schedule.published", at=now, body=publication_body(document, publisher)
            )
        )
        return self._view(
            PublishedVersion(entry.at, document, str(entry.body["sha256"]), publisher), now
        )

    def _view(self, published: PublishedVersion, now: int) -> PublishedView:
        history = self._follower.current().history
        try:
            current_id: str | None = history.in_force(now).id
        except Exception:
            current_id = None
        version = published.version
        return PublishedView(
            version=version.id,
            title=version.title,
            legal_basis=version.legal_basis,
            effective_from=version.effective_from_ms,
            in_force_from=published.in_force_from_ms,
            published_at=published.entry_at_ms,
            sha256=published.sha256,
            publisher=published.publisher,
            current=version.id == current_id,
            document=version_to_mapping(version),
        )

    def list(self) -> list[PublishedView]:
        now = self._clock()
        return [self._view(p, now) for p in self._follower.current().history]

    def current(self) -> PublishedView:
        history = self._follower.current().history
        now = self._clock()
        version = history.in_force(now)
        return self.version(version.id)

    def version(self, version_id: str) -> PublishedView:
        now = self._clock()
        for published in self._follower.current().history:
            if published.version.id == version_id:
                return self._view(published, now)
        raise NotFoundError(
            f"expected a published schedule version, found no version {version_id!r}",
            f"Versi tarif {version_id} tidak ada.",
        )

    def quote(self, service: str, inputs: Mapping[str, str | int]) -> Quote:
        return quote(self._follower.current().history, service, inputs, self._clock())


def publish_file(settings: Settings, path: Path, publisher: str) -> PublishedView:
    """Publish the schedule document at ``path`` (``bukti schedule publish``)."""
    from api.services.container import open_services  # noqa: PLC0415 - the container imports us

    document = load_schedule_file(path)
    with open_services(settings) as services:
        return services.schedules.publish(document, publisher)
