"""An :class:`~audit.source.AuditSource` that reads an exported bundle directory, nothing else.

Every file is checked against the SHA-256 the manifest lists when it is read (and, at the
end, every listed file the audit did not need) — or, where the audit asks
(:class:`~audit.source.FileDigests`), in its worker processes: the entry tiles with the
entries they hold, the files the pass does not read alongside it. A digest that differs
is reported as a finding, not an error: the audit goes on with the bytes that are there,
so tampering is still localized to the entry it touched. A file the layout needs but the
directory lacks ends the stream there (the audit then reports the log as truncated).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final

from audit.bundle import (
    CHECKPOINT,
    CHECKPOINTS,
    KEYS,
    MANIFEST,
    BundleManifest,
    decode_prefixed,
    parse_manifest,
    receipts_path,
)
from audit.errors import BundleFormatError, ManifestError
from audit.findings import BreakKind, Finding
from audit.source import RECEIPT_ATTACHMENT, EntryTile, FileDigest
from ledger.errors import TileError
from ledger.merkle import consistency_proof
from ledger.tiles import (
    TILE_WIDTH,
    TileCoord,
    decode_entry_bundle,
    entries_path,
    node_reader_from_tiles,
)

__all__ = ["BundleSource"]

_SCHEDULES: Final = "schedules"
_RECEIPTS: Final = "receipts/"
_HASH_TILES: Final = "tile/"
_ENTRY_TILES: Final = "tile/entries/"


class BundleSource:
    """A bundle directory as an audit source. Raises :class:`BundleError` if unreadable."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        if not (directory / MANIFEST).is_file():
            raise ManifestError(
                f"expected a Bukti audit bundle with {MANIFEST} in {directory}, found none"
            )
        self.manifest: BundleManifest = parse_manifest((directory / MANIFEST).read_bytes())
        self._checked: set[str] = set()
        self._findings: list[Finding] = []
        self._receipt_tile: tuple[int, list[bytes]] | None = None
        self._defer = False  # entry tiles' digests are checked by the reader
        self._pinned_note = self._read(CHECKPOINT, required=True)

    # -- files -----------------------------------------------------------------------------

    def _read(self, path: str, *, required: bool = False, check: bool = True) -> bytes | None:
        file = self._dir / path
        if path not in self.manifest.files or not file.is_file():
            if required:
                raise BundleFormatError(
                    f"expected {path} in the bundle (manifest and directory), found it missing"
                )
            if path in self.manifest.files:
                self._problem(path, "is listed in the manifest but missing from the directory")
            return None
        data = file.read_bytes()
        if check and path not in self._checked:
            self.file_digest(path, (hashlib.sha256(data).hexdigest(), len(data)))
        return data

    def file_digest(self, name: str, found: FileDigest) -> None:
        if name in self._checked:
            return
        self._checked.add(name)
        if found is None:
            self._problem(name, "is listed in the manifest but missing from the directory")
            return
        actual, length = found
        digest, size = self.manifest.files[name]
        if (actual, length) != (digest, size):
            self._problem(
                name,
                f"has SHA-256 {actual} ({length} bytes); the manifest lists {digest} "
                f"({size} bytes)",
            )

    def defer_digests(self, attachments: Collection[str]) -> list[tuple[str, str]]:
        self._defer = True
        skip = _RECEIPTS if RECEIPT_ATTACHMENT in attachments else None
        return [
            (path, str(self._dir / path))
            for path in sorted(self.manifest.files)
            if path not in self._checked
            and path.startswith((_HASH_TILES, _RECEIPTS))
            and not path.startswith(_ENTRY_TILES)
            and (skip is None or not path.startswith(skip))
        ]

    def _problem(self, path: str, message: str) -> None:
        self._findings.append(
            Finding(
                "integrity.bundle_file",
                f"bundle file {path} {message}",
                kind=BreakKind.CHANGED,
                evidence={"path": path},
            )
        )

    # -- AuditSource -------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        return self.manifest.origin

    @property
    def description(self) -> str:
        return f"bundle {self._dir}"

    @property
    def pinned_size(self) -> int:
        return self.manifest.size

    @property
    def pinned_note(self) -> bytes | None:
        return self._pinned_note

    def trust_list(self) -> bytes | None:
        return self._read(KEYS)

    def checkpoints(self) -> Iterator[bytes]:
        data = self._read(CHECKPOINTS, required=True)
        assert data is not None
        try:
            notes = decode_prefixed(data)
        except ValueError as exc:
            raise BundleFormatError(f"{CHECKPOINTS} is not length-prefixed notes: {exc}") from exc
        yield from notes

    def entries(self, start: int = 0) -> Iterator[tuple[int, bytes]]:
        for tile in self._tiles(start // TILE_WIDTH):
            base, width, data, _ = tile
            try:
                items = decode_entry_bundle(data, width=width)
            except TileError as exc:
                self.bad_tile(tile, f"is not an entry bundle of {width} entries: {exc}")
                return
            skip = max(0, start - base)
            yield from zip(range(base + skip, base + len(items)), items[skip:], strict=True)

    def entry_tiles(self) -> Iterator[EntryTile]:
        return self._tiles(0, check=not self._defer)

    def bad_tile(self, tile: EntryTile, problem: str) -> None:
        self._problem(tile[3], problem)

    def _tiles(self, index: int, *, check: bool = True) -> Iterator[EntryTile]:
        count = self.manifest.entries
        while index * TILE_WIDTH < count:
            width = min(TILE_WIDTH, count - index * TILE_WIDTH)
            path = entries_path(index, width)
            data = self._read(path, check=check)
            if data is None:
                if path not in self.manifest.files:
                    self._problem(
                        path, "holds entries the manifest counts, but it does not list it"
                    )
                return
            yield index * TILE_WIDTH, width, data, path
            index += 1

    def attachments(self, name: str, seqs: Sequence[int]) -> Mapping[int, bytes]:
        if name != RECEIPT_ATTACHMENT:
            return {}
        found: dict[int, bytes] = {}
        for seq in seqs:
            if not 0 <= seq < self.manifest.entries:
                continue
            index, offset = divmod(seq, TILE_WIDTH)
            slots = self._receipts(index)
            if offset < len(slots) and slots[offset]:
                found[seq] = slots[offset]
        return found

    def _receipts(self, index: int) -> list[bytes]:
        cached = self._receipt_tile
        if cached is not None and cached[0] == index:
            return cached[1]
        width = min(TILE_WIDTH, self.manifest.entries - index * TILE_WIDTH)
        data = self._read(receipts_path(index, width))
        slots: list[bytes] = []
        if data is not None:
            try:
                slots = decode_prefixed(data)
            except ValueError as exc:
                self._problem(receipts_path(index, width), f"is not length-prefixed: {exc}")
        self._receipt_tile = (index, slots)
        return slots

    def schedule_document(self, sha256_hex: str) -> bytes | None:
        return self._read(f"{_SCHEDULES}/{sha256_hex}.json")

    def consistency_proof(self, old_size: int, new_size: int) -> Sequence[bytes]:
        def fetch(coord: TileCoord) -> bytes:
            path = coord.path
            data = self._read(path)
            if data is None:
                raise TileError(f"hash tile {path} is not in the bundle")
            return data

        reader = node_reader_from_tiles(self.manifest.entries, fetch)
        return consistency_proof(old_size, new_size, reader)

    def unsigned_tail(self) -> int:
        return 0  # a bundle holds only what its pinned checkpoint covers

    def source_findings(self) -> Iterator[Finding]:
        for path in sorted(self.manifest.files):
            if path not in self._checked:
                self._read(path)
        # By file (and, for one file, as found): the same order whichever process checked
        # a digest and whenever its answer came in.
        yield from sorted(self._findings, key=lambda finding: str(finding.evidence["path"]))
