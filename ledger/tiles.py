"""Tiles (C2SP tlog-tiles): the log's Merkle tree and entries as static, cacheable resources.

A tile at level ``L`` with index ``N`` holds up to 256 consecutive node hashes of the
tree at height ``8 * L``: the perfect subtrees ``(8 * L, N * 256 + i)``. Level 0 tiles hold
leaf hashes; entry bundles hold the entries themselves, uint16 length-prefixed. A tile
of a tree whose size does not fill it is *partial* and served as ``.p/<W>``.

This module is pure: it names tiles, encodes and decodes their bytes, builds them from
stored node hashes (server side) and reads node hashes back out of fetched tiles (client
side), so that proofs can be computed from tiles alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ledger.encoding import MAX_ENTRY_BYTES
from ledger.errors import EntryTooLargeError, TileError
from ledger.merkle import HASH_SIZE, NodeReader, node_hash

__all__ = [
    "MAX_TILE_LEVEL",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "EntriesCoord",
    "TileCoord",
    "TileFetcher",
    "build_hash_tile",
    "decode_entry_bundle",
    "decode_hash_tile",
    "encode_entry_bundle",
    "entries_path",
    "node_reader_from_tiles",
    "parse_tile_path",
    "tile_node_range",
    "tile_path",
    "tile_width",
    "tiles_for_size",
]

#: Tree levels covered by one tile (C2SP tlog-tiles: "subtree of height 8").
TILE_HEIGHT = 8
#: Hashes (or entries) in a full tile.
TILE_WIDTH = 1 << TILE_HEIGHT
#: C2SP tlog-tiles: ``<L>`` is between 0 and 63.
MAX_TILE_LEVEL = 63
#: The largest tile index of a tree of at most 2**64 - 1 leaves.
_MAX_TILE_INDEX = (2**64 - 1) >> TILE_HEIGHT
#: ``_MAX_TILE_INDEX`` has 17 decimal digits: at most six 3-digit path elements.
_MAX_INDEX_ELEMENTS = 6
_LENGTH_PREFIX = 2

_LEVEL_RE = re.compile(r"0|[1-9][0-9]?", re.ASCII)
_WIDTH_RE = re.compile(r"[1-9][0-9]{0,2}", re.ASCII)
_GROUP_RE = re.compile(r"[0-9]{3}", re.ASCII)
_PREFIXED_GROUP_RE = re.compile(r"x[0-9]{3}", re.ASCII)


def _check_index_width(index: int, width: int) -> None:
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= _MAX_TILE_INDEX:
        raise TileError(f"tile index must be an integer in 0..{_MAX_TILE_INDEX}, found {index!r}")
    if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= TILE_WIDTH:
        raise TileError(f"tile width must be an integer in 1..{TILE_WIDTH}, found {width!r}")


@dataclass(frozen=True, order=True)
class TileCoord:
    """A hash tile: ``level`` 0..63, ``index`` within the level, ``width`` 1..256 (256 = full)."""

    level: int
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if (
            isinstance(self.level, bool)
            or not isinstance(self.level, int)
            or not 0 <= self.level <= MAX_TILE_LEVEL
        ):
            raise TileError(f"tile level must be an integer in 0..63, found {self.level!r}")
        _check_index_width(self.index, self.width)

    @property
    def is_partial(self) -> bool:
        return self.width < TILE_WIDTH

    @property
    def path(self) -> str:
        return tile_path(self)


@dataclass(frozen=True, order=True)
class EntriesCoord:
    """An entry bundle: ``index`` of the bundle, ``width`` 1..256 entries (256 = full)."""

    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        _check_index_width(self.index, self.width)

    @property
    def is_partial(self) -> bool:
        return self.width < TILE_WIDTH

    @property
    def path(self) -> str:
        return entries_path(self.index, self.width)


def _encode_index(index: int) -> str:
    """C2SP tlog-tiles: zero-padded 3-digit elements, all but the last prefixed ``x``."""
    digits = str(index)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def _partial_suffix(width: int) -> str:
    return "" if width == TILE_WIDTH else f".p/{width}"


def tile_path(coord: TileCoord) -> str:
    """``tile/<L>/<N>[.p/<W>]``, e.g. ``tile/0/x001/234.p/5``."""
    return f"tile/{coord.level}/{_encode_index(coord.index)}{_partial_suffix(coord.width)}"


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    """``tile/entries/<N>[.p/<W>]``, e.g. ``tile/entries/x001/234.p/5``."""
    _check_index_width(index, width)
    return f"tile/entries/{_encode_index(index)}{_partial_suffix(width)}"


def _parse_index(elements: Sequence[str], path: str) -> int:
    if not 1 <= len(elements) <= _MAX_INDEX_ELEMENTS:
        raise TileError(
            f"tile index must have 1 to {_MAX_INDEX_ELEMENTS} path elements, "
            f"found {len(elements)} in {path!r}"
        )
    *upper, last = elements
    for element in upper:
        if not _PREFIXED_GROUP_RE.fullmatch(element):
            raise TileError(f"index element {element!r} must be 'x' and 3 digits in {path!r}")
    if not _GROUP_RE.fullmatch(last):
        raise TileError(f"last index element {last!r} must be 3 digits in {path!r}")
    if upper and upper[0] == "x000":
        raise TileError(f"tile index has a leading all-zero element in {path!r}")
    index = int("".join(e.lstrip("x") for e in elements))
    if index > _MAX_TILE_INDEX:
        raise TileError(f"tile index {index} exceeds {_MAX_TILE_INDEX} in {path!r}")
    return index


def parse_tile_path(path: str) -> TileCoord | EntriesCoord:
    """Parse ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]`` strictly."""
    if not path.startswith("tile/"):
        raise TileError(f"tile path must start with 'tile/', found {path!r}")
    head, *elements = path[len("tile/") :].split("/")
    width = TILE_WIDTH
    if len(elements) >= 2 and elements[-2].endswith(".p"):
        width_text = elements[-1]
        if not _WIDTH_RE.fullmatch(width_text) or int(width_text) >= TILE_WIDTH:
            raise TileError(
                f"partial width must be 1..255 without leading zeros, found {width_text!r}"
            )
        width = int(width_text)
        elements = [*elements[:-2], elements[-2][: -len(".p")]]
    index = _parse_index(elements, path)
    if head == "entries":
        return EntriesCoord(index, width)
    if not _LEVEL_RE.fullmatch(head) or int(head) > MAX_TILE_LEVEL:
        raise TileError(f"tile level must be 0..63 without leading zeros, found {head!r}")
    return TileCoord(int(head), index, width)


def tile_width(level: int, index: int, size: int) -> int:
    """Width of tile ``(level, index)`` in a tree of ``size`` leaves; 0 if it does not exist.

    C2SP tlog-tiles, "Partial Tiles": the partial tile at level l has
    ``floor(size / 256**l) mod 256`` hashes.
    """
    if min(level, index, size) < 0:
        raise TileError(f"level, index and size must be non-negative: {level}, {index}, {size}")
    nodes = size >> (TILE_HEIGHT * level)
    full, rest = divmod(nodes, TILE_WIDTH)
    if index < full:
        return TILE_WIDTH
    if index == full:
        return rest
    return 0


def tiles_for_size(size: int) -> list[TileCoord]:
    """Every hash tile of a tree of ``size`` leaves, level by level, left to right."""
    if size < 0:
        raise TileError(f"tree size must be non-negative, found {size}")
    out: list[TileCoord] = []
    level = 0
    while level <= MAX_TILE_LEVEL and (nodes := size >> (TILE_HEIGHT * level)):
        for index in range(-(-nodes // TILE_WIDTH)):
            out.append(TileCoord(level, index, tile_width(level, index, size)))
        level += 1
    return out


def tile_node_range(coord: TileCoord) -> tuple[int, int, int]:
    """``(tree_level, start, end)``: the tile holds nodes ``(tree_level, i)`` for
    ``start <= i < end``.

    C2SP tlog-tiles: hash i of tile (l, n) is MTH(D[(n*256 + i) * 256**l : …]), the
    perfect subtree at tree level 8*l with index n*256 + i.
    """
    start = coord.index * TILE_WIDTH
    return TILE_HEIGHT * coord.level, start, start + coord.width


def build_hash_tile(coord: TileCoord, read: NodeReader) -> bytes:
    """The bytes of a hash tile, read from stored perfect-subtree hashes (server side)."""
    tree_level, start, end = tile_node_range(coord)
    hashes = list(read([(tree_level, i) for i in range(start, end)]))
    if len(hashes) != coord.width or any(len(h) != HASH_SIZE for h in hashes):
        raise TileError(f"node reader returned a malformed tile for {tile_path(coord)}")
    return b"".join(hashes)


def decode_hash_tile(data: bytes, width: int) -> list[bytes]:
    """Split a hash tile into its ``width`` hashes; the length must be exact."""
    if not 1 <= width <= TILE_WIDTH:
        raise TileError(f"tile width must be 1..{TILE_WIDTH}, found {width}")
    if len(data) != width * HASH_SIZE:
        raise TileError(
            f"tile of width {width} must be {width * HASH_SIZE} bytes, found {len(data)}"
        )
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


#: Fetches the bytes of one hash tile (a client's HTTP GET of ``tile_path(coord)``).
TileFetcher = Callable[[TileCoord], bytes]


def node_reader_from_tiles(size: int, fetch: TileFetcher) -> NodeReader:
    """A :data:`~ledger.merkle.NodeReader` for a tree of ``size`` leaves that reads tiles only.

    Node ``(level, index)`` lies in tile level ``level // 8``; the ``level % 8`` tree levels
    between tile rows are rebuilt by hashing (C2SP tlog-tiles, "Merkle Tree"). Tiles are
    fetched at the width the tree of ``size`` requires and cached by this reader; their
    contents are authenticated only by verifying the resulting proof against a checkpoint.
    """
    if size < 0:
        raise TileError(f"tree size must be non-negative, found {size}")
    cache: dict[tuple[int, int], list[bytes]] = {}

    def tile_hashes(level: int, index: int) -> list[bytes]:
        key = (level, index)
        if key not in cache:
            width = tile_width(level, index, size)
            if width == 0:
                raise TileError(f"tile {level}/{index} does not exist in a tree of size {size}")
            coord = TileCoord(level, index, width)
            cache[key] = decode_hash_tile(fetch(coord), width)
        return cache[key]

    def node(level: int, index: int) -> bytes:
        tile_level, height = divmod(level, TILE_HEIGHT)
        count = 1 << height
        tile_index, offset = divmod(index * count, TILE_WIDTH)
        hashes = tile_hashes(tile_level, tile_index)
        if offset + count > len(hashes):
            raise TileError(f"node ({level}, {index}) is not in a tree of size {size}")
        layer = hashes[offset : offset + count]
        # RFC 9162 §2.1.1: rebuild the levels inside the tile from its row of hashes.
        while len(layer) > 1:
            layer = [node_hash(layer[i], layer[i + 1]) for i in range(0, len(layer), 2)]
        return layer[0]

    def read(coords: Sequence[tuple[int, int]]) -> list[bytes]:
        return [node(level, index) for level, index in coords]

    return read


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    """C2SP tlog-tiles entry bundle: each entry as a big-endian uint16 length and its bytes."""
    if len(entries) > TILE_WIDTH:
        raise TileError(f"an entry bundle holds at most {TILE_WIDTH} entries, got {len(entries)}")
    parts: list[bytes] = []
    for i, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_BYTES:
            raise EntryTooLargeError(
                f"entry {i} of the bundle is {len(entry)} bytes; the limit is {MAX_ENTRY_BYTES}"
            )
        parts.append(len(entry).to_bytes(_LENGTH_PREFIX, "big"))
        parts.append(entry)
    return b"".join(parts)


def decode_entry_bundle(data: bytes, *, width: int | None = None) -> list[bytes]:
    """Split an entry bundle into entries; ``width``, if given, is the exact count expected."""
    entries: list[bytes] = []
    pos = 0
    while pos < len(data):
        if len(entries) == TILE_WIDTH:
            raise TileError(f"entry bundle holds more than {TILE_WIDTH} entries")
        if len(data) - pos < _LENGTH_PREFIX:
            raise TileError(f"entry bundle truncated in the length of entry {len(entries)}")
        length = int.from_bytes(data[pos : pos + _LENGTH_PREFIX], "big")
        pos += _LENGTH_PREFIX
        if len(data) - pos < length:
            raise TileError(
                f"entry {len(entries)} of the bundle declares {length} bytes, "
                f"only {len(data) - pos} remain"
            )
        entries.append(data[pos : pos + length])
        pos += length
    if width is not None and len(entries) != width:
        raise TileError(f"entry bundle holds {len(entries)} entries; expected {width}")
    return entries
