"""``bukti export``: copy a log, pinned to its newest checkpoint, into an audit bundle.

:func:`write_bundle` copies any :class:`~audit.source.AuditSource` — in practice a
:class:`~audit.sources.DatabaseSource` — into the bundle layout of :mod:`audit.bundle`:
the pinned checkpoint first, then exactly the entries below its size, their receipts,
every checkpoint up to it, the trust list and the schedule documents committed by hash.
The service's ``GET /api/v1/export`` and the command line both call it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

from audit.bundle import BundleManifest, BundleWriter
from audit.entries import read_entry
from audit.errors import ExportError
from audit.source import RECEIPT_ATTACHMENT, AuditSource
from ledger.errors import EncodingError

__all__ = ["write_bundle"]

_BATCH: Final = 1000
_PUBLISHED: Final = b'"kind":"schedule.published"'


def write_bundle(
    source: AuditSource,
    out: Path,
    *,
    exported_at: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BundleManifest:
    """Write the bundle of ``source`` into the new (or empty) directory ``out``.

    ``exported_at`` (UTC ms, from the caller's clock) is recorded in the manifest.
    Raises :class:`~audit.errors.ExportError`.
    """
    note = source.pinned_note
    if note is None:
        raise ExportError(
            "expected a log with a signed checkpoint to pin the export to, found none"
        )
    writer = BundleWriter(out, origin=source.origin)
    for checkpoint in source.checkpoints():
        writer.add_checkpoint(checkpoint)
    batch: list[tuple[int, bytes]] = []
    written = 0
    for seq, data in source.entries(0):
        batch.append((seq, data))
        if len(batch) == _BATCH:
            written += _flush(source, writer, batch)
            if progress is not None:
                progress(written, source.pinned_size)
    written += _flush(source, writer, batch)
    if progress is not None:
        progress(written, source.pinned_size)
    return writer.finish(note, source.trust_list(), exported_at=exported_at)


def _flush(source: AuditSource, writer: BundleWriter, batch: list[tuple[int, bytes]]) -> int:
    receipts = source.attachments(RECEIPT_ATTACHMENT, [seq for seq, _ in batch])
    for seq, data in batch:
        writer.add_entry(data, receipts.get(seq))
        if _PUBLISHED in data:
            _copy_schedule_document(source, writer, data)
    count = len(batch)
    batch.clear()
    return count


def _copy_schedule_document(source: AuditSource, writer: BundleWriter, data: bytes) -> None:
    try:
        body = read_entry(data)["body"]
    except EncodingError:
        return  # copied as it is; the audit reports it
    digest = body.get("sha256")
    if body.get("storage") == "sha256" and isinstance(digest, str):
        document = source.schedule_document(digest)
        if document is not None:
            writer.add_schedule_document(digest, document)
