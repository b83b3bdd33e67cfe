"""The body of a ``schedule.published`` ledger entry (pure part of publishing).

Two forms (docs/schedule-format.md §Publishing):

- ``"storage": "inline"`` — the whole canonical document is in the body under
  ``"document"``; used when its canonical bytes are at most
  :data:`MAX_INLINE_DOCUMENT_BYTES`, which keeps the entry under the 65,535-byte
  limit of C2SP tlog-tiles entry bundles;
- ``"storage": "sha256"`` — the body commits to the document by the SHA-256 of its
  canonical bytes; the document itself is kept content-addressed beside the log,
  served by version and included in every export bundle.

Either way the body carries the version id, effective time, SHA-256, size and the
publisher, so the fee in force at any moment is provable from the log (plus the
bundle's documents).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ledger.encoding import parse_canonical_json
from ledger.errors import EncodingError
from ledger.schedule.canonical import document_bytes, version_to_mapping
from ledger.schedule.document import ScheduleVersion
from ledger.schedule.errors import (
    DocumentDigestError,
    MissingDocumentError,
    PublicationError,
    ScheduleValidationError,
)
from ledger.schedule.loading import version_from_mapping

__all__ = [
    "MAX_INLINE_DOCUMENT_BYTES",
    "PUBLICATION_FORMAT",
    "Publication",
    "Storage",
    "publication_body",
    "publication_from_body",
]

PUBLICATION_FORMAT = 1
#: Largest canonical document carried inline; larger ones are committed by SHA-256.
MAX_INLINE_DOCUMENT_BYTES = 60_000
_MAX_PUBLISHER = 200

_COMMON_FIELDS = {"format", "version", "effective_from", "sha256", "size", "publisher", "storage"}


class Storage(StrEnum):
    INLINE = "inline"
    SHA256 = "sha256"


@dataclass(frozen=True, slots=True)
class Publication:
    """A publication read back from a body: the version, its digest, who published it."""

    version: ScheduleVersion
    sha256: str
    publisher: str
    storage: Storage


def _check_publisher(publisher: object) -> str:
    if not isinstance(publisher, str) or not publisher.strip() or len(publisher) > _MAX_PUBLISHER:
        raise PublicationError(
            f"expected the publisher as non-empty text of at most {_MAX_PUBLISHER} characters, "
            f"found {publisher!r}"
        )
    return publisher


def publication_body(
    document: ScheduleVersion,
    publisher: str,
    *,
    max_inline_bytes: int = MAX_INLINE_DOCUMENT_BYTES,
) -> dict[str, Any]:
    """The body of the ``schedule.published`` entry for ``document``.

    ``publisher`` identifies the administrator account (no personal data).
    """
    data = document_bytes(document)
    body: dict[str, Any] = {
        "format": PUBLICATION_FORMAT,
        "version": document.id,
        "effective_from": document.effective_from,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "publisher": _check_publisher(publisher),
    }
    if len(data) <= max_inline_bytes:
        body["storage"] = Storage.INLINE.value
        body["document"] = version_to_mapping(document)
    else:
        body["storage"] = Storage.SHA256.value
    return body


def _field(body: Mapping[str, object], key: str, kind: type) -> Any:
    value = body.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise PublicationError(
            f"schedule.published body: expected {key!r} as {kind.__name__}, found {value!r}"
        )
    return value


def _read_document(raw: object, version_id: str) -> ScheduleVersion:
    try:
        return version_from_mapping(raw)
    except ScheduleValidationError as exc:
        raise PublicationError(
            f"document of schedule version {version_id!r} is invalid: {exc}"
        ) from exc


def publication_from_body(
    body: Mapping[str, object], documents: Mapping[str, bytes] | None = None
) -> Publication:
    """Read a ``schedule.published`` body back into the version it publishes.

    ``documents`` maps lowercase hex SHA-256 to canonical document bytes; it is needed
    only for bodies with ``"storage": "sha256"``. Every digest is recomputed; raises
    :class:`PublicationError` (or :class:`DocumentDigestError`,
    :class:`MissingDocumentError`) saying what was expected and what was found.
    """
    if body.get("format") != PUBLICATION_FORMAT:
        raise PublicationError(
            f"schedule.published body: expected format {PUBLICATION_FORMAT}, "
            f"found {body.get('format')!r}"
        )
    version_id: str = _field(body, "version", str)
    digest: str = _field(body, "sha256", str)
    size: int = _field(body, "size", int)
    publisher = _check_publisher(body.get("publisher"))
    effective: str = _field(body, "effective_from", str)
    try:
        storage = Storage(_field(body, "storage", str))
    except ValueError:
        raise PublicationError(
            f"schedule.published body: expected storage 'inline' or 'sha256', "
            f"found {body.get('storage')!r}"
        ) from None
    expected_fields = _COMMON_FIELDS | ({"document"} if storage is Storage.INLINE else set())
    if set(body) != expected_fields:
        raise PublicationError(
            f"schedule.published body: expected fields {sorted(expected_fields)}, "
            f"found {sorted(body)}"
        )

    if storage is Storage.INLINE:
        version = _read_document(body["document"], version_id)
        if version_to_mapping(version) != body["document"]:
            raise PublicationError(
                f"document of schedule version {version_id!r} is not in canonical form"
            )
        data = document_bytes(version)
    else:
        stored = (documents or {}).get(digest)
        if stored is None:
            raise MissingDocumentError(digest, version_id)
        data = stored
    actual = hashlib.sha256(data).hexdigest()
    if actual != digest:
        raise DocumentDigestError(
            f"schedule version {version_id!r}: expected document SHA-256 {digest}, found {actual}"
        )
    if len(data) != size:
        raise PublicationError(
            f"schedule version {version_id!r}: expected a {size}-byte document, found {len(data)}"
        )
    if storage is Storage.SHA256:
        try:
            raw = parse_canonical_json(data)
        except EncodingError as exc:
            raise PublicationError(
                f"document of schedule version {version_id!r} is not canonical JSON: {exc}"
            ) from exc
        version = _read_document(raw, version_id)
    if (version.id, version.effective_from) != (version_id, effective):
        raise PublicationError(
            f"body names version {version_id!r} effective {effective}; the document is "
            f"{version.id!r} effective {version.effective_from}"
        )
    return Publication(version=version, sha256=digest, publisher=publisher, storage=storage)
