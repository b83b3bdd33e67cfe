"""Checking a run of stored entries: everything the audit can learn from the bytes alone.

:func:`check_entry_chunk` is pure and runs on whichever core is free (:mod:`audit.parallel`).
For one run of entries in stored order it works out:

- the RFC 9162 §2.1.1 leaf hash of each entry and the nodes above them
  (:func:`audit.tree.subtree_levels`), so that the main pass never hashes per entry;
- whether each entry is canonical (:func:`audit.entries.read_entry`) and, if not, why, with
  its ``seq`` and ``prev`` read leniently (:func:`audit.entries.lenient_fields`);
- where the chain *steps out of line inside the run*: an entry that is canonical, whose
  ``prev`` is the leaf hash of the entry stored before it and whose ``seq`` is one more
  than that entry's needs no attention from :class:`audit.integrity.ChainChecker`. Only
  the others — the first of the run, and every entry at a break — are listed, with their
  ``(seq, prev, problem)``;
- for each canonical entry, its replay record: ``(seq, kind, at, body, facts)``, where a
  ``receipt.issued`` body the rules can read comes as
  :data:`~audit.compliance.ReceiptFacts` instead of a body
  (:func:`audit.compliance.receipt_facts`). A receipt of the usual shape is read straight
  from its bytes (:class:`audit.receipt_entries.ReceiptReader`, one for every run a
  process checks, so that what recurs is taken apart once), and so is a refused charge
  of the usual shape (:class:`audit.rejection_entries.RejectionReader`); anything else is
  decoded by :func:`audit.entries.read_entry`.

A run arrives as entry bytes, packed in one buffer (:class:`PackedEntries`), or as the
entry bundles they are stored in (:class:`TileRun`), split here rather than in the main
process (:func:`split_entry_bundle`).

Records cross from a worker process as one :mod:`marshal` blob per run: equal strings
(office, counter, service, …) are sent once and arrive as one object, which both keeps the
transfer small and makes them cheap dictionary keys in the main pass.
"""

from __future__ import annotations

import hashlib
import marshal
from array import array
from binascii import hexlify
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from audit.entries import lenient_fields, read_entry
from audit.receipt_entries import ReceiptReader
from audit.rejection_entries import RejectionReader
from audit.source import FileDigest
from audit.tree import levels_above
from ledger.errors import EncodingError, TileError
from ledger.merkle import HASH_SIZE
from ledger.tiles import TILE_WIDTH, decode_entry_bundle

if TYPE_CHECKING:  # modules a worker process needs only at times (see _receipt_facts)
    from audit.compliance import ReceiptFacts
    from audit.integrity import Head

__all__ = [
    "ChunkJob",
    "EntryChunk",
    "PackedEntries",
    "Record",
    "TileRun",
    "check_entry_chunk",
    "digest_files",
    "split_entry_bundle",
    "unpack_entries",
]

#: A canonical entry for the replay: ``(seq, kind, at, body, facts)``. For a
#: ``receipt.issued`` entry whose body the rules can read, ``facts`` is set and ``body`` is
#: ``None``; otherwise ``facts`` is ``None``.
Record = tuple[int, str, int, "dict[str, Any] | None", "ReceiptFacts | None"]


class PackedEntries:
    """A run of entries in one buffer, for the trip to a worker process.

    Pickling two thousand separate byte strings costs several times what one buffer and
    the offsets where its entries end cost; the worker gets the list back on unpickling
    (:func:`unpack_entries`).
    """

    __slots__ = ("_blob", "_ends")

    def __init__(self, entries: Sequence[bytes]) -> None:
        self._blob = b"".join(entries)
        self._ends = array("Q", accumulate(map(len, entries)))

    def __reduce__(self) -> tuple[Callable[[bytes, bytes], list[bytes]], tuple[bytes, bytes]]:
        return unpack_entries, (self._blob, self._ends.tobytes())

    def unpack(self) -> list[bytes]:
        return unpack_entries(self._blob, self._ends.tobytes())


def unpack_entries(blob: bytes, ends: bytes) -> list[bytes]:
    """The entries of a :class:`PackedEntries` (``ends``: native unsigned 64-bit offsets)."""
    entries: list[bytes] = []
    start = 0
    for end in array("Q", ends):
        entries.append(blob[start:end])
        start = end
    return entries


class TileRun:
    """A run of entries as the entry bundles (tiles) they are stored in, split where they
    are checked: the main process hands the bytes on as it read them.

    ``tiles``: ``(entries it must hold, the bundle)`` of each tile, in order; ``digest``:
    whether the checker also hashes each bundle whole (:attr:`EntryChunk.digests`), for a
    source that left its file digests to the reader (:class:`~audit.source.FileDigests`).
    """

    __slots__ = ("digest", "tiles")

    def __init__(self, tiles: list[tuple[int, bytes]], digest: bool = False) -> None:
        self.tiles = tiles
        self.digest = digest

    def __reduce__(self) -> tuple[type[TileRun], tuple[list[tuple[int, bytes]], bool]]:
        return TileRun, (self.tiles, self.digest)

    def digests(self) -> list[tuple[str, int]]:
        """``(SHA-256 hex, size)`` of each tile's bundle, as stored."""
        return [(hashlib.sha256(data).hexdigest(), len(data)) for _, data in self.tiles]

    def split(self) -> tuple[list[bytes], tuple[int, str] | None]:
        """The entries of the tiles up to the first that is not a bundle of as many
        entries as it must hold, and that one: ``(its index in the run, why)``."""
        entries: list[bytes] = []
        for index, (width, data) in enumerate(self.tiles):
            try:
                entries += split_entry_bundle(data, width)
            except TileError as exc:
                return entries, (index, f"is not an entry bundle of {width} entries: {exc}")
        return entries, None


def split_entry_bundle(data: bytes, width: int) -> list[bytes]:
    """:func:`ledger.tiles.decode_entry_bundle` of a bundle of ``width`` entries, with fewer
    checks per entry: a bundle that splits into exactly ``width`` entries without running
    past its end is what the ledger's decoder accepts; anything else is handed to that
    decoder, whose :class:`~ledger.errors.TileError` stands."""
    entries: list[bytes] = []
    append = entries.append
    pos, end = 0, len(data)
    while pos + 2 <= end:
        start = pos + 2
        pos = start + (data[pos] << 8 | data[pos + 1])  # C2SP tlog-tiles: uint16 length
        append(data[start:pos])
    if pos == end and len(entries) == width <= TILE_WIDTH:
        return entries
    return decode_entry_bundle(data, width=width)


#: The entries of one run (packed when sent to a worker process, or as their tiles), and
#: whether the result stays in this process (records kept as objects).
ChunkJob = tuple[Sequence[bytes] | PackedEntries | TileRun, bool]

_RECEIPT: Final = "receipt.issued"
_LEAF: Final = b"\x00"
#: The receipt reader of this process: what it remembers of one run (the recurring
#: stretches of receipt bodies) serves the next (:meth:`ReceiptReader.trim` bounds it).
#: Threads that check runs in one process (a server's live audits run inline) share it:
#: its tables are only added to or cleared, one dictionary operation at a time, and
#: whatever one thread clears is derived again from the bytes.
_RECEIPTS: Final = ReceiptReader()


@dataclass(frozen=True, slots=True)
class EntryChunk:
    """One run of entries, checked.

    ``leaves``: the leaf hashes, concatenated; ``levels``: the nodes above them
    (:func:`~audit.tree.subtree_levels`); ``heads``: by index in the run, every entry that
    is not canonical or does not follow the entry before it in line (always index 0);
    ``kinds``: canonical entries per kind; the records as objects (``records``) or as one
    :mod:`marshal` blob (``packed``) when the run was checked in a worker process;
    ``bad_tile``: for a :class:`TileRun`, the first tile that did not split, ``(its index
    in the run, why)`` — the run's entries end before it; ``digests``: for a
    :class:`TileRun` asked for them, ``(SHA-256 hex, size)`` of every one of its tiles.
    """

    leaves: bytes
    levels: list[bytes]
    heads: dict[int, Head]
    kinds: dict[str, int]
    records: list[Record | None] | None = None
    packed: bytes | None = None
    bad_tile: tuple[int, str] | None = None
    digests: list[tuple[str, int]] | None = None

    @property
    def count(self) -> int:
        """How many entries were checked (fewer than sent after a bad tile)."""
        return len(self.leaves) // HASH_SIZE

    @property
    def problems(self) -> dict[int, str]:
        """By index in the run, why each non-canonical entry is not canonical."""
        return {i: head[2] for i, head in self.heads.items() if head[2] is not None}

    def replay_records(self) -> list[Record | None]:
        """The record of each entry of the run (``None`` where not canonical)."""
        if self.records is not None:
            return self.records
        assert self.packed is not None
        # Bytes our own worker wrote from values it decoded (never input data).
        records: list[Record | None] = marshal.loads(self.packed)  # noqa: S302
        return records


def check_entry_chunk(job: ChunkJob) -> EntryChunk:
    """Check the entries of ``job[0]`` (see the module doc); ``job[1]``: the result stays
    in this process, so the records are kept as objects."""
    entries, in_process = job
    bad_tile = None
    digests = None
    datas: Sequence[bytes]
    if isinstance(entries, TileRun):
        digests = entries.digests() if entries.digest else None
        datas, bad_tile = entries.split()
    elif isinstance(entries, PackedEntries):
        datas = entries.unpack()
    else:
        datas = entries
    # A copy of a hash that has taken in the prefix costs less than starting one afresh.
    leaf_prefix = hashlib.sha256(_LEAF).copy
    leaves: list[bytes] = []
    heads: dict[int, Head] = {}
    kinds: dict[str, int] = {}
    records: list[Record | None] = []
    texts: dict[str, str] = {}  # one object for each recurring text
    inputs: dict[tuple[tuple[str, Any], ...], tuple[tuple[str, Any], ...]] = {}
    # The hex digits (ASCII bytes) of the leaf hash of the entry before, if canonical: a
    # receipt's ``prev`` is compared as it stands in the entry.
    prev_hex: bytes | None = None
    prev_seq = -2
    receipts = 0  # read by the receipt reader
    _RECEIPTS.trim()
    read_receipt = _RECEIPTS.read_bytes
    read_rejection = RejectionReader().read
    for i, data in enumerate(datas):
        leaf_hash = leaf_prefix()  # RFC 9162 §2.1.1
        leaf_hash.update(data)
        leaf = leaf_hash.digest()
        leaves.append(leaf)
        fast = read_receipt(data, prev_hex)
        if fast is not None:  # the usual case: a receipt of the usual shape
            fast_seq, fast_at, fast_prev, fast_facts = fast
            if prev_hex is None or fast_prev != prev_hex or fast_seq != prev_seq + 1:
                heads[i] = (fast_seq, fast_prev.decode("ascii"), None)
            prev_hex, prev_seq = hexlify(leaf), fast_seq
            receipts += 1
            records.append((fast_seq, _RECEIPT, fast_at, None, fast_facts))
            continue
        expected = None if prev_hex is None else prev_hex.decode("ascii")
        try:
            value = read_rejection(data) or read_entry(data, expected)
        except EncodingError as exc:
            seq, prev = lenient_fields(data)
            heads[i] = (seq, prev, str(exc))
            records.append(None)
            prev_hex = None
            continue
        seq, kind, at, prev, body = (
            value["seq"],
            value["kind"],
            value["at"],
            value["prev"],
            value["body"],
        )
        if expected is None or prev != expected or seq != prev_seq + 1:
            heads[i] = (seq, prev, None)
        prev_hex, prev_seq = hexlify(leaf), seq
        kind = texts.setdefault(kind, kind)
        kinds[kind] = kinds.get(kind, 0) + 1
        facts = _receipt_facts(body) if kind == _RECEIPT else None
        if facts is None:
            records.append((seq, kind, at, body, None))
            continue
        if not in_process:
            facts = _shared_facts(facts, texts, inputs)
        records.append((seq, kind, at, None, facts))
    if receipts:
        kinds[_RECEIPT] = kinds.get(_RECEIPT, 0) + receipts
    joined = b"".join(leaves)
    levels = levels_above(leaves)
    if in_process:
        return EntryChunk(
            joined, levels, heads, kinds, records=records, bad_tile=bad_tile, digests=digests
        )
    return EntryChunk(
        joined,
        levels,
        heads,
        kinds,
        packed=marshal.dumps(records),
        bad_tile=bad_tile,
        digests=digests,
    )


def digest_files(paths: list[str]) -> list[FileDigest]:
    """``(SHA-256 hex, size)`` of each file, ``None`` for one that is not there (no file
    of that name); any other failure to read one is raised, as reading it in the auditing
    process would."""
    found: list[FileDigest] = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            found.append(None)
            continue
        found.append((hashlib.sha256(data).hexdigest(), len(data)))
    return found


def _receipt_facts(body: dict[str, Any]) -> ReceiptFacts | None:
    """:func:`audit.compliance.receipt_facts`, imported on first use: the rules' module is
    needed only for a receipt of an unusual shape, and a worker process starts sooner
    without it."""
    from audit.compliance import receipt_facts  # noqa: PLC0415

    return receipt_facts(body)


def _shared_facts(
    facts: ReceiptFacts,
    texts: dict[str, str],
    inputs: dict[tuple[tuple[str, Any], ...], tuple[tuple[str, Any], ...]],
) -> ReceiptFacts:
    """The same facts, their recurring texts and inputs replaced by one object each."""
    office, counter, by, service, number, schedule, charged, official, items, waiver, crc = facts
    try:  # noqa: SIM105 - once per receipt: contextlib.suppress would cost a call each time
        items = inputs.setdefault(items, items)
    except TypeError:  # a value that is a list or a map: not shared
        pass
    share = texts.setdefault
    return (
        share(office, office),
        share(counter, counter),
        share(by, by),
        share(service, service),
        number,
        share(schedule, schedule),
        charged,
        official,
        items,
        waiver,
        crc,
    )
