"""The succession of published schedule versions, rebuilt from the log.

A version is in force from its effective time until the next version's. Publishing
may never change the fee in force at a moment the log already covers:

- a version's effective time may not be earlier than its publication entry, nor at
  or before the latest entry already in the log, nor at or before the moment the
  previous version came into force (:class:`RetroactiveScheduleError`);
- a version id is used once; versions are immutable (:class:`DuplicateVersionError`).

The one exception is the *first* version of a log: it may state an effective date in
the past (the date the Perda took effect); in Bukti it is in force from its
publication entry onwards, never before (docs/schedule-format.md §Succession).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from ledger.schedule.canonical import document_sha256
from ledger.schedule.document import ScheduleVersion
from ledger.schedule.errors import (
    DuplicateVersionError,
    NoScheduleInForce,
    PublicationError,
    RetroactiveScheduleError,
)
from ledger.schedule.publication import publication_from_body
from ledger.schedule.wib import format_wib

__all__ = ["PublishedVersion", "ScheduleHistory", "resolve_version"]


@dataclass(frozen=True, slots=True)
class PublishedVersion:
    """A version as published in the log at ``entry_at_ms``."""

    entry_at_ms: int
    version: ScheduleVersion
    sha256: str
    publisher: str

    @property
    def in_force_from_ms(self) -> int:
        """When the version starts to govern charges: its effective time, never before
        its publication."""
        return max(self.version.effective_from_ms, self.entry_at_ms)


class ScheduleHistory:
    """Immutable, validated sequence of published versions, oldest first."""

    __slots__ = ("_published", "_starts")

    def __init__(self, published: Iterable[PublishedVersion] = ()) -> None:
        accepted: list[PublishedVersion] = []
        for entry in published:
            _refuse_succession(accepted, entry.version, entry.entry_at_ms)
            accepted.append(entry)
        self._published = tuple(accepted)
        self._starts = [p.in_force_from_ms for p in accepted]

    @classmethod
    def from_entries(
        cls,
        entries: Iterable[tuple[int, Mapping[str, object]]],
        documents: Mapping[str, bytes] | None = None,
    ) -> ScheduleHistory:
        """Rebuild from ``(entry_at_ms, body)`` of every ``schedule.published`` entry in
        log order. ``documents`` supplies documents committed by SHA-256 (hex → bytes).

        Raises :class:`PublicationError` for a malformed body and
        :class:`PublishRefusedError` if the log holds a retroactive or duplicate version.
        """
        published = []
        for at_ms, body in entries:
            publication = publication_from_body(body, documents)
            published.append(
                PublishedVersion(
                    at_ms, publication.version, publication.sha256, publication.publisher
                )
            )
        return cls(published)

    @property
    def published(self) -> tuple[PublishedVersion, ...]:
        return self._published

    @property
    def latest(self) -> PublishedVersion | None:
        return self._published[-1] if self._published else None

    def __iter__(self) -> Iterator[PublishedVersion]:
        return iter(self._published)

    def __len__(self) -> int:
        return len(self._published)

    def in_force(self, at_ms: int) -> ScheduleVersion:
        """The version governing charges at ``at_ms``; raises :class:`NoScheduleInForce`."""
        index = bisect.bisect_right(self._starts, at_ms) - 1
        if index < 0:
            if not self._published:
                raise NoScheduleInForce(at_ms, "no schedule version has been published")
            raise NoScheduleInForce(
                at_ms,
                f"no schedule version was in force at {format_wib(at_ms)}; the first is in "
                f"force from {format_wib(self._starts[0])}",
            )
        return self._published[index].version

    def check_publish(self, document: ScheduleVersion, now_ms: int, last_entry_at_ms: int) -> None:
        """Refuse ``document`` if publishing it at ``now_ms`` would be retroactive or reuse
        a version id. ``last_entry_at_ms`` is the time of the latest entry in the log.

        Raises :class:`RetroactiveScheduleError` or :class:`DuplicateVersionError`.
        """
        _refuse_succession(list(self._published), document, now_ms)
        effective = document.effective_from_ms
        if self._published and effective <= last_entry_at_ms:
            raise RetroactiveScheduleError(
                f"schedule version {document.id!r}: expected an effective time after the latest "
                f"log entry ({format_wib(last_entry_at_ms)}), found {format_wib(effective)}"
            )

    def with_published(
        self, entry_at_ms: int, document: ScheduleVersion, publisher: str
    ) -> ScheduleHistory:
        """A new history with ``document`` appended as published at ``entry_at_ms``."""
        entry = PublishedVersion(entry_at_ms, document, document_sha256(document), publisher)
        return ScheduleHistory((*self._published, entry))


def _refuse_succession(
    earlier: list[PublishedVersion], version: ScheduleVersion, entry_at_ms: int
) -> None:
    for previous in earlier:
        if previous.version.id == version.id:
            raise DuplicateVersionError(
                f"schedule version {version.id!r} was already published (sha256 "
                f"{previous.sha256}); versions are immutable — publish under a new id"
            )
    if not earlier:
        return
    latest = earlier[-1]
    if entry_at_ms < latest.entry_at_ms:
        raise PublicationError(
            f"schedule version {version.id!r}: expected its entry at or after the previous "
            f"publication ({format_wib(latest.entry_at_ms)}), found {format_wib(entry_at_ms)}"
        )
    effective = version.effective_from_ms
    if effective < entry_at_ms:
        raise RetroactiveScheduleError(
            f"schedule version {version.id!r}: expected an effective time at or after its "
            f"publication ({format_wib(entry_at_ms)}), found {format_wib(effective)}"
        )
    if effective <= latest.in_force_from_ms:
        raise RetroactiveScheduleError(
            f"schedule version {version.id!r}: expected an effective time after that of "
            f"{latest.version.id!r} ({format_wib(latest.in_force_from_ms)}), "
            f"found {format_wib(effective)}"
        )


def resolve_version(source: ScheduleVersion | ScheduleHistory, at_ms: int) -> ScheduleVersion:
    """The version in force at ``at_ms``: from a history, or a lone version once effective."""
    if isinstance(source, ScheduleHistory):
        return source.in_force(at_ms)
    if at_ms < source.effective_from_ms:
        raise NoScheduleInForce(
            at_ms,
            f"schedule version {source.id!r} takes effect at "
            f"{format_wib(source.effective_from_ms)}, after {format_wib(at_ms)}",
        )
    return source
