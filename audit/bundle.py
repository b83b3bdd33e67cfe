"""The audit bundle: a directory that holds one log, pinned to one signed checkpoint.

Layout (``docs/audit-bundle.md``)::

    manifest.json            format, origin, pinned checkpoint, counts, SHA-256 of every file
    checkpoint               the signed checkpoint the bundle is pinned to (C2SP signed note)
    checkpoints              every signed checkpoint up to it, ascending by size, each as a
                             big-endian uint16 length and the note bytes
    keys.json                the trust list (keys with purpose, status and validity)
    tile/entries/<N>[.p/<W>] entries 256 at a time, C2SP tlog-tiles entry bundles
    tile/<L>/<N>[.p/<W>]     hash tiles of the tree at the pinned size (C2SP tlog-tiles)
    receipts/<N>[.p/<W>]     the signed receipt of each seq, 256 seqs per file, each as a
                             uint16 length and the COSE bytes (length 0: no receipt)
    schedules/<sha256>.json  schedule documents committed by SHA-256 only
    README.txt               this layout, for whoever opens the directory

:class:`BundleWriter` writes one sequentially in constant memory (entries and receipts
are streamed out 256 at a time; the tree is a compact range) and records each file's
digest for the manifest, which it writes last: a bundle without ``manifest.json`` is
incomplete. Nothing in a bundle is personal data: the log holds none (``docs/entries.md``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from audit.errors import ExportError, ManifestError
from ledger.checkpoint import Checkpoint
from ledger.encoding import parse_json_strict
from ledger.errors import EncodingError
from ledger.merkle import TreeBuilder, leaf_hash
from ledger.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    TileCoord,
    encode_entry_bundle,
    entries_path,
    tile_path,
)

__all__ = [
    "BUNDLE_FORMAT",
    "CHECKPOINT",
    "CHECKPOINTS",
    "KEYS",
    "MANIFEST",
    "BundleManifest",
    "BundleWriter",
    "decode_prefixed",
    "encode_prefixed",
    "parse_manifest",
    "receipts_path",
]

BUNDLE_FORMAT: Final = "bukti-audit-bundle/1"
MANIFEST: Final = "manifest.json"
CHECKPOINT: Final = "checkpoint"
CHECKPOINTS: Final = "checkpoints"
KEYS: Final = "keys.json"
README: Final = "README.txt"
_PREFIX: Final = 2
_MAX_PREFIXED: Final = 0xFFFF

_README_TEXT: Final = """Bukti audit bundle ({format})

A copy of one Bukti transparency log, pinned to the signed checkpoint in `checkpoint`.
Audit it offline with:   bukti audit --bundle <this directory> [--keys keys.json]

manifest.json            format, origin, pinned checkpoint, counts, SHA-256 of every file
checkpoint               the signed checkpoint the bundle is pinned to (C2SP signed note)
checkpoints              every signed checkpoint up to it, ascending by size,
                         each a big-endian uint16 length followed by the note
keys.json                the trust list: log and receipts keys with their validity
tile/entries/N[.p/W]     the entries, 256 per file (C2SP tlog-tiles entry bundles:
                         each a big-endian uint16 length followed by the entry's
                         canonical JSON bytes, RFC 8785)
tile/L/N[.p/W]           hash tiles of the Merkle tree at the pinned size (C2SP tlog-tiles)
receipts/N[.p/W]         signed receipts (COSE_Sign1), one slot per seq, 256 per file;
                         each a big-endian uint16 length then the bytes (length 0: none)
schedules/SHA256.json    schedule documents committed in the log by SHA-256 only

Entries hold no personal data. See docs/audit-bundle.md in the Bukti source.
"""


def encode_prefixed(items: list[bytes]) -> bytes:
    """Concatenate items, each preceded by its big-endian uint16 length."""
    out = bytearray()
    for item in items:
        if len(item) > _MAX_PREFIXED:
            raise ExportError(f"expected items of at most {_MAX_PREFIXED} bytes, found {len(item)}")
        out += len(item).to_bytes(_PREFIX, "big")
        out += item
    return bytes(out)


def receipts_path(index: int, width: int = TILE_WIDTH) -> str:
    """``receipts/<N>[.p/<W>]``, numbered like entry bundles."""
    return "receipts/" + entries_path(index, width)[len("tile/entries/") :]


@dataclass(frozen=True, slots=True)
class BundleManifest:
    """What ``manifest.json`` says. ``files`` maps path to (SHA-256 hex, size)."""

    origin: str
    size: int  # the pinned checkpoint's
    root: bytes
    entries: int  # entries written (the pinned size, unless the store lacks some)
    checkpoints: int
    receipts: int
    schedules: int
    exported_at: int | None
    files: Mapping[str, tuple[str, int]]

    def to_document(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "format": BUNDLE_FORMAT,
            "origin": self.origin,
            "checkpoint": {"size": self.size, "root": base64.b64encode(self.root).decode()},
            "counts": {
                "entries": self.entries,
                "checkpoints": self.checkpoints,
                "receipts": self.receipts,
                "schedules": self.schedules,
            },
            "files": {
                path: {"sha256": digest, "size": size}
                for path, (digest, size) in sorted(self.files.items())
            },
        }
        if self.exported_at is not None:
            document["exported_at"] = self.exported_at
        return document


class BundleWriter:
    """Writes a bundle sequentially; call :meth:`finish` last (it writes the manifest)."""

    def __init__(self, out: Path, *, origin: str) -> None:
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise ExportError(f"expected an empty or new directory for the bundle, found {out}")
        out.mkdir(parents=True, exist_ok=True)
        self._out = out
        self._origin = origin
        self._files: dict[str, tuple[str, int]] = {}
        self._tree = TreeBuilder()
        self._entries: list[bytes] = []
        self._receipts: list[bytes] = []
        self._receipt_count = 0
        self._hash_rows: dict[int, list[bytes]] = {}  # tile level -> hashes of its open tile
        self._checkpoints: list[bytes] = []
        self._schedules = 0
        self._size = 0

    def _write(self, path: str, data: bytes) -> None:
        target = self._out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self._files[path] = (hashlib.sha256(data).hexdigest(), len(data))

    def add_entry(self, data: bytes, receipt: bytes | None = None) -> None:
        """Append the next entry (seq = entries added so far) and its signed receipt."""
        created = self._tree.append(leaf_hash(data))
        for level, index, node in created:
            if level % TILE_HEIGHT == 0:
                self._hash_rows.setdefault(level // TILE_HEIGHT, []).append(node)
                row = self._hash_rows[level // TILE_HEIGHT]
                if len(row) == TILE_WIDTH:
                    self._write(
                        tile_path(TileCoord(level // TILE_HEIGHT, index // TILE_WIDTH)),
                        b"".join(row),
                    )
                    row.clear()
        self._entries.append(data)
        self._receipts.append(receipt or b"")
        self._receipt_count += receipt is not None
        self._size += 1
        if len(self._entries) == TILE_WIDTH:
            index = (self._size - 1) // TILE_WIDTH
            self._write(entries_path(index), encode_entry_bundle(self._entries))
            self._write(receipts_path(index), encode_prefixed(self._receipts))
            self._entries.clear()
            self._receipts.clear()

    def add_checkpoint(self, note: bytes) -> None:
        """Add a signed checkpoint (ascending by size, up to the pinned one)."""
        self._checkpoints.append(note)

    def add_schedule_document(self, sha256_hex: str, document: bytes) -> None:
        if hashlib.sha256(document).hexdigest() != sha256_hex:
            raise ExportError(f"schedule document does not hash to {sha256_hex}")
        path = f"schedules/{sha256_hex}.json"
        if path not in self._files:
            self._write(path, document)
            self._schedules += 1

    def finish(
        self, pinned_note: bytes, trust_list: bytes | None, *, exported_at: int | None = None
    ) -> BundleManifest:
        """Write the partial tiles, checkpoints, keys, README and the manifest."""
        size = self._size
        if self._entries:
            index, width = size // TILE_WIDTH, len(self._entries)
            self._write(entries_path(index, width), encode_entry_bundle(self._entries))
            self._write(receipts_path(index, width), encode_prefixed(self._receipts))
        for level, row in sorted(self._hash_rows.items()):
            if row:
                nodes = size >> (TILE_HEIGHT * level)
                self._write(
                    tile_path(TileCoord(level, nodes // TILE_WIDTH, len(row))), b"".join(row)
                )
        # The manifest names the checkpoint as signed; whether the entries match it is
        # for the audit to find, not for the export to hide.
        text = pinned_note.decode("utf-8", "replace")
        pinned = Checkpoint.parse(text[: text.rfind("\n\n") + 1])
        self._write(CHECKPOINT, pinned_note)
        self._write(CHECKPOINTS, encode_prefixed(self._checkpoints))
        if trust_list is not None:
            self._write(KEYS, trust_list)
        self._write(README, _README_TEXT.format(format=BUNDLE_FORMAT).encode("utf-8"))
        manifest = BundleManifest(
            origin=self._origin,
            size=pinned.size,
            root=pinned.root,
            entries=size,
            checkpoints=len(self._checkpoints),
            receipts=self._receipt_count,
            schedules=self._schedules,
            exported_at=exported_at,
            files=dict(self._files),
        )
        data = json.dumps(manifest.to_document(), indent=1, sort_keys=True).encode() + b"\n"
        temporary = self._out / f".{MANIFEST}.tmp"
        temporary.write_bytes(data)
        os.replace(temporary, self._out / MANIFEST)
        return manifest


def _field(document: Mapping[str, Any], key: str, kind: type, where: str = "manifest") -> Any:
    value = document.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ManifestError(f"{where}: expected {key!r} as {kind.__name__}, found {value!r}")
    return value


def parse_manifest(data: bytes) -> BundleManifest:
    """Read ``manifest.json`` strictly; raises :class:`ManifestError` saying what is wrong."""
    try:
        document = parse_json_strict(data)
    except EncodingError as exc:
        raise ManifestError(f"manifest.json is not strict JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ManifestError("manifest.json must hold a JSON object")
    if document.get("format") != BUNDLE_FORMAT:
        raise ManifestError(
            f"expected bundle format {BUNDLE_FORMAT!r}, found {document.get('format')!r}"
        )
    checkpoint = _field(document, "checkpoint", dict)
    counts = _field(document, "counts", dict)
    files = _field(document, "files", dict)
    try:
        root = base64.b64decode(_field(checkpoint, "root", str, "checkpoint"), validate=True)
    except ValueError as exc:
        raise ManifestError(f"manifest checkpoint root is not base64: {exc}") from exc
    listed: dict[str, tuple[str, int]] = {}
    for path, entry in files.items():
        if not isinstance(entry, dict) or ".." in path.split("/") or path.startswith("/"):
            raise ManifestError(f"manifest file entry {path!r} is malformed")
        listed[path] = (_field(entry, "sha256", str, path), _field(entry, "size", int, path))
    exported_at = document.get("exported_at")
    return BundleManifest(
        origin=_field(document, "origin", str),
        size=_field(checkpoint, "size", int, "checkpoint"),
        root=root,
        entries=_field(counts, "entries", int, "counts"),
        checkpoints=_field(counts, "checkpoints", int, "counts"),
        receipts=_field(counts, "receipts", int, "counts"),
        schedules=_field(counts, "schedules", int, "counts"),
        exported_at=exported_at if isinstance(exported_at, int) else None,
        files=listed,
    )


def decode_prefixed(data: bytes) -> list[bytes]:
    """Split items written by :func:`encode_prefixed`; raises :class:`ValueError`."""
    items: list[bytes] = []
    pos = 0
    while pos < len(data):
        if len(data) - pos < _PREFIX:
            raise ValueError(f"truncated in the length of item {len(items)}")
        length = int.from_bytes(data[pos : pos + _PREFIX], "big")
        pos += _PREFIX
        if len(data) - pos < length:
            raise ValueError(f"item {len(items)} declares {length} bytes, {len(data) - pos} remain")
        items.append(data[pos : pos + length])
        pos += length
    return items
