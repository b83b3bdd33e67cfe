"""What the audit reads: the :class:`AuditSource` port.

The audit core never opens a file or a database connection itself; it consumes an
``AuditSource``. Two adapters implement it: :class:`audit.sources.DatabaseSource` (a live
database, read through the ledger's storage layer) and :class:`audit.sources.BundleSource`
(an exported bundle directory, nothing else). Anything else that yields the same bytes —
a mirror, a witness's copy — can be audited the same way.

Everything a source returns is *untrusted*: the audit re-derives every hash, checks every
signature against the trust anchor, and reports what differs.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Protocol, runtime_checkable

from audit.findings import Finding

__all__ = [
    "RECEIPT_ATTACHMENT",
    "AuditSource",
    "EntryTile",
    "EntryTiles",
    "FileDigest",
    "FileDigests",
]

#: Name of the attachment holding the signed COSE receipt of an entry (``docs/entries.md``).
RECEIPT_ATTACHMENT = "receipt.cose"


@runtime_checkable
class AuditSource(Protocol):
    """Read access to one log, pinned to one signed checkpoint.

    ``pinned_size`` is the tree size of the newest signed checkpoint the source presents;
    the audit covers the entries below it. Entries are yielded in *stored order* with the
    position they are stored at, which need not be the ``seq`` inside their bytes — a
    tampered store may have gaps, duplicates or swaps, and the audit must see them as
    they are.
    """

    @property
    def origin(self) -> str:
        """The checkpoint origin line the log's checkpoints must carry."""
        ...

    @property
    def description(self) -> str:
        """Where the data comes from, for the report (never a password)."""
        ...

    @property
    def pinned_size(self) -> int:
        """Tree size of the newest checkpoint this source is pinned to."""
        ...

    @property
    def pinned_note(self) -> bytes | None:
        """The signed note of the checkpoint the source is pinned to (``None``: none stored)."""
        ...

    def trust_list(self) -> bytes | None:
        """The trust list document (``keys.json``) the source carries, if any."""
        ...

    def checkpoints(self) -> Iterator[bytes]:
        """Every stored signed checkpoint note up to the pinned size, ascending by size."""
        ...

    def entries(self, start: int = 0) -> Iterator[tuple[int, bytes]]:
        """``(stored position, entry bytes)`` from ``start`` up to the pinned size."""
        ...

    def attachments(self, name: str, seqs: Sequence[int]) -> Mapping[int, bytes]:
        """The attachments called ``name`` of the entries ``seqs`` (absent ones left out)."""
        ...

    def schedule_document(self, sha256_hex: str) -> bytes | None:
        """A schedule document committed only by its SHA-256, if the source holds it."""
        ...

    def consistency_proof(self, old_size: int, new_size: int) -> Sequence[bytes]:
        """RFC 9162 §2.1.4 proof between two tree sizes, from the source's stored hashes."""
        ...

    def unsigned_tail(self) -> int:
        """Entries stored after the pinned size that no signed checkpoint covers."""
        ...

    def source_findings(self) -> Iterator[Finding]:
        """Problems with the container itself (e.g. a bundle file whose digest differs)."""
        ...


#: A stored run of entries as one blob: ``(stored position of its first entry, the number
#: of entries it must hold, the blob, its name)``; the blob is a C2SP tlog-tiles entry
#: bundle (:func:`ledger.tiles.decode_entry_bundle`), not yet split.
EntryTile = tuple[int, int, bytes, str]


@runtime_checkable
class EntryTiles(Protocol):
    """What a source may offer besides :meth:`AuditSource.entries`: the same entries as
    the entry bundles they are stored in, for whoever checks them to split — the bytes
    cross to a worker process as they were read. The entries of a tile are stored at
    consecutive positions, and the tiles follow one another.

    The stream is the same as :meth:`AuditSource.entries` up to the first tile that is
    not a well-formed bundle of its entries; the reader reports that tile with
    :meth:`bad_tile` and reads no further, as :meth:`AuditSource.entries` would stop there.
    """

    def entry_tiles(self) -> Iterator[EntryTile]:
        """Every tile from position 0 up to the pinned size (ends early where the
        source lacks one)."""
        ...

    def bad_tile(self, tile: EntryTile, problem: str) -> None:
        """Record that ``tile`` does not split into its entries: ``problem`` says why."""
        ...


#: What a file was found to be: ``(its SHA-256 in hex, its size)``; ``None``: not there.
FileDigest = tuple[str, int] | None


@runtime_checkable
class FileDigests(Protocol):
    """What a source whose files carry listed digests (a bundle) may offer: letting the
    reader check those digests where it likes — in a worker process, alongside the pass —
    instead of on the reading thread.

    After :meth:`defer_digests`, :meth:`EntryTiles.entry_tiles` yields tiles whose digest
    the source has not checked; the reader hashes each tile's blob and hands the result
    to :meth:`file_digest` (a tile it never gets to is checked by
    :meth:`AuditSource.source_findings`, as before). The findings are the same either way.
    """

    def defer_digests(self, attachments: Collection[str]) -> list[tuple[str, str]]:
        """Stop checking entry tiles as they are read; return ``(name, path to read)`` of
        the files nothing will read during the pass when only the attachments
        ``attachments`` are asked for, for the reader to check with :meth:`file_digest`."""
        ...

    def file_digest(self, name: str, found: FileDigest) -> None:
        """Take in what the file ``name`` was found to be (ignored if already checked)."""
        ...
