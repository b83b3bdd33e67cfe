"""Tiles (C2SP tlog-tiles): naming, widths, hash tiles, entry bundles, proofs from tiles."""

from __future__ import annotations

from collections import Counter

import pytest

from ledger.errors import EntryTooLargeError, InclusionProofError, TileError
from ledger.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    memory_reader,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)
from ledger.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    EntriesCoord,
    TileCoord,
    build_hash_tile,
    decode_entry_bundle,
    decode_hash_tile,
    encode_entry_bundle,
    entries_path,
    node_reader_from_tiles,
    parse_tile_path,
    tile_node_range,
    tile_path,
    tile_width,
    tiles_for_size,
)


def test_tree_of_70000_known_answer() -> None:
    # C2SP tlog-tiles, "Partial Tiles".
    tiles = tiles_for_size(70_000)
    shapes = Counter((t.level, t.width) for t in tiles)
    assert shapes == {(0, 256): 273, (0, 112): 1, (1, 256): 1, (1, 17): 1, (2, 1): 1}
    assert tiles[273] == TileCoord(0, 273, 112)
    assert [t for t in tiles if t.level > 0] == [
        TileCoord(1, 0, 256),
        TileCoord(1, 1, 17),
        TileCoord(2, 0, 1),
    ]
    assert [t.path for t in tiles[273:]] == [
        "tile/0/273.p/112",
        "tile/1/000",
        "tile/1/001.p/17",
        "tile/2/000.p/1",
    ]


def test_tree_of_256_has_a_partial_level_1_tile() -> None:
    assert tiles_for_size(256) == [TileCoord(0, 0, 256), TileCoord(1, 0, 1)]


def test_tiles_of_small_sizes() -> None:
    assert tiles_for_size(0) == []
    assert tiles_for_size(1) == [TileCoord(0, 0, 1)]
    assert tiles_for_size(257) == [TileCoord(0, 0), TileCoord(0, 1, 1), TileCoord(1, 0, 1)]


def test_tile_width() -> None:
    assert tile_width(0, 272, 70_000) == 256
    assert tile_width(0, 273, 70_000) == 112
    assert tile_width(0, 274, 70_000) == 0
    assert tile_width(1, 1, 70_000) == 17
    assert tile_width(2, 0, 70_000) == 1
    assert tile_width(3, 0, 70_000) == 0
    with pytest.raises(TileError, match="non-negative"):
        tile_width(0, -1, 10)


def test_tile_node_range() -> None:
    assert tile_node_range(TileCoord(0, 3, 256)) == (0, 768, 1024)
    assert tile_node_range(TileCoord(1, 1, 17)) == (8, 256, 273)
    assert tile_node_range(TileCoord(2, 0, 1)) == (16, 0, 1)


@pytest.mark.parametrize(
    ("coord", "path"),
    [
        (TileCoord(0, 0), "tile/0/000"),
        (TileCoord(0, 1234, 5), "tile/0/x001/234.p/5"),
        (TileCoord(1, 1234067), "tile/1/x001/x234/067"),
        (TileCoord(2, 67, 255), "tile/2/067.p/255"),
        (TileCoord(63, 1000), "tile/63/x001/000"),
        (TileCoord(0, 1_000_000), "tile/0/x001/x000/000"),
        (EntriesCoord(0, 1), "tile/entries/000.p/1"),
        (EntriesCoord(1234, 5), "tile/entries/x001/234.p/5"),
        (EntriesCoord(1234067), "tile/entries/x001/x234/067"),
    ],
)
def test_path_encoding_and_parsing(coord: TileCoord | EntriesCoord, path: str) -> None:
    assert coord.path == path
    if isinstance(coord, EntriesCoord):
        assert entries_path(coord.index, coord.width) == path
    else:
        assert tile_path(coord) == path
    assert parse_tile_path(path) == coord


def test_paths_of_every_tile_of_a_tree_round_trip() -> None:
    for coord in tiles_for_size(70_000):
        assert parse_tile_path(tile_path(coord)) == coord
        if coord.level == 0:
            entries = EntriesCoord(coord.index, coord.width)
            assert parse_tile_path(entries.path) == entries


def test_largest_index_round_trips() -> None:
    index = (2**64 - 1) >> TILE_HEIGHT
    coord = TileCoord(0, index)
    assert tile_path(coord) == "tile/0/x072/x057/x594/x037/x927/935"
    assert parse_tile_path(tile_path(coord)) == coord


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1234",  # not 3-digit groups
        "tile/0/12",
        "tile/0/x1/234",
        "tile/0/001/234",  # upper group without x
        "tile/0/x001/x234",  # last group with x
        "tile/0/x000/001",  # leading all-zero group
        "tile/00/000",  # level with leading zero
        "tile/64/000",  # level out of range
        "tile/-1/000",
        "tile/a/000",
        "tile/0/-01",
        "tile/0/abc",
        "tile/0/0x1",
        "tile/0/000.p/0",  # width 0
        "tile/0/000.p/256",  # a full tile has no .p
        "tile/0/000.p/007",  # width with leading zeros
        "tile/0/000.p/-1",
        "tile/0/000.p/",
        "tile/0/000.p",
        "tile/0/000.p/5/6",
        "tile/0/x001.p/5/234",
        "tile/0/x001/x002/x003/x004/x005/x006/007",  # too many groups
        "tile/0/x999/x999/x999/x999/x999/999",  # beyond any 64-bit tree
        "tile/0/000/",
        "tile/0/",
        "tile/0",
        "tile/entries",
        "tile/entries/00",
        "/tile/0/000",
        "tiles/0/000",
        "tile/0/\u0661\u0662\u0663",  # non-ASCII digits
    ],
)
def test_malformed_paths_are_rejected(path: str) -> None:
    with pytest.raises(TileError):
        parse_tile_path(path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((64, 0, 256), "level must be an integer in 0..63"),
        ((-1, 0, 256), "level must be an integer in 0..63"),
        ((0, -1, 256), "index must be an integer"),
        ((0, 0, 0), "width must be an integer in 1..256"),
        ((0, 0, 257), "width must be an integer in 1..256"),
    ],
)
def test_tile_coordinates_are_validated(args: tuple[int, int, int], message: str) -> None:
    with pytest.raises(TileError, match=message):
        TileCoord(*args)


LEAVES = [leaf_hash(i.to_bytes(4, "big")) for i in range(70_000)]


def test_hash_tiles_at_tree_level_8_are_subtree_roots() -> None:
    read = memory_reader(LEAVES)
    tile = build_hash_tile(TileCoord(1, 1, 17), read)
    hashes = decode_hash_tile(tile, 17)
    for i, value in enumerate(hashes):
        n = 256 + i
        assert value == root_from_leaves(LEAVES[n * 256 : (n + 1) * 256])
    top = decode_hash_tile(build_hash_tile(TileCoord(2, 0, 1), read), 1)
    assert top == [root_from_leaves(LEAVES[: 256 * 256])]
    level0 = decode_hash_tile(build_hash_tile(TileCoord(0, 273, 112), read), 112)
    assert level0 == LEAVES[273 * 256 :]


def _serve(leaves: list[bytes], size: int) -> dict[str, bytes]:
    """What a log serves for a checkpoint of ``size``: every tile at its width."""
    read = memory_reader(leaves[:size])
    return {tile_path(c): build_hash_tile(c, read) for c in tiles_for_size(size)}


@pytest.mark.parametrize("size", [1, 255, 256, 257, 65_536, 65_537, 70_000])
def test_client_verifies_proofs_from_tiles_only(size: int) -> None:
    served = _serve(LEAVES, size)
    fetched: list[str] = []

    def fetch(coord: TileCoord) -> bytes:
        fetched.append(tile_path(coord))
        return served[tile_path(coord)]

    reader = node_reader_from_tiles(size, fetch)
    root = root_from_leaves(LEAVES[:size])
    for index in sorted({0, size // 3, size // 2, size - 1}):
        proof = inclusion_proof(index, size, reader)
        assert proof == inclusion_proof(index, size, memory_reader(LEAVES[:size]))
        verify_inclusion(LEAVES[index], index, size, proof, root)
    if size > 1:
        old = size // 2 + 1
        cproof = consistency_proof(old, size, reader)
        verify_consistency(old, size, cproof, root_from_leaves(LEAVES[:old]), root)
    assert len(fetched) == len(set(fetched))  # each tile fetched once


def test_attack_tampered_tile_fails_the_proof() -> None:
    size = 70_000
    served = _serve(LEAVES, size)
    path = tile_path(TileCoord(1, 0))
    served[path] = served[path][:100] + bytes([served[path][100] ^ 1]) + served[path][101:]
    reader = node_reader_from_tiles(size, lambda c: served[tile_path(c)])
    proof = inclusion_proof(60_000, size, reader)
    with pytest.raises(InclusionProofError):
        verify_inclusion(LEAVES[60_000], 60_000, size, proof, root_from_leaves(LEAVES))


def test_tile_reader_rejects_short_tiles_and_absent_nodes() -> None:
    reader = node_reader_from_tiles(300, lambda c: b"\x00" * 32 * (c.width - 1))
    with pytest.raises(TileError, match="must be"):
        reader([(0, 5)])
    reader = node_reader_from_tiles(300, lambda c: b"\x00" * 32 * c.width)
    with pytest.raises(TileError, match="not in a tree of size 300"):
        reader([(0, 300)])
    with pytest.raises(TileError, match="not in a tree of size 300"):
        reader([(8, 1)])
    with pytest.raises(TileError, match="tile 2/0 does not exist in a tree of size 300"):
        reader([(16, 0)])


def test_decode_hash_tile_requires_exact_length() -> None:
    assert decode_hash_tile(bytes(64), 2) == [bytes(32), bytes(32)]
    with pytest.raises(TileError, match="must be 64 bytes, found 63"):
        decode_hash_tile(bytes(63), 2)
    with pytest.raises(TileError, match=r"width must be 1\.\.256"):
        decode_hash_tile(b"", 0)


def test_entry_bundle_round_trip() -> None:
    entries = [b"", b"a", b"\x00" * 300, b"x" * 65_535]
    bundle = encode_entry_bundle(entries)
    assert bundle[:5] == b"\x00\x00\x00\x01a"
    assert decode_entry_bundle(bundle) == entries
    assert decode_entry_bundle(bundle, width=4) == entries
    assert decode_entry_bundle(b"") == []


def test_entry_bundle_refuses_oversize_entries() -> None:
    with pytest.raises(EntryTooLargeError, match="65536 bytes; the limit is 65535"):
        encode_entry_bundle([b"ok", b"x" * 65_536])


def test_entry_bundle_holds_at_most_256_entries() -> None:
    with pytest.raises(TileError, match="at most 256 entries"):
        encode_entry_bundle([b"e"] * 257)
    with pytest.raises(TileError, match="more than 256 entries"):
        decode_entry_bundle(b"\x00\x01e" * 257)
    assert len(decode_entry_bundle(b"\x00\x01e" * TILE_WIDTH)) == TILE_WIDTH


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00", "truncated in the length of entry 0"),
        (b"\x00\x01a\x00", "truncated in the length of entry 1"),
        (b"\x00\x05abc", "declares 5 bytes, only 3 remain"),
        (b"\xff\xff", "declares 65535 bytes, only 0 remain"),
    ],
)
def test_truncated_entry_bundles_are_rejected(data: bytes, message: str) -> None:
    with pytest.raises(TileError, match=message):
        decode_entry_bundle(data)


def test_entry_bundle_width_mismatch_is_rejected() -> None:
    with pytest.raises(TileError, match="holds 2 entries; expected 3"):
        decode_entry_bundle(encode_entry_bundle([b"a", b"b"]), width=3)


def test_entry_bundle_matches_level_0_tile() -> None:
    entries = [f"entri {i}".encode() for i in range(300)]
    leaves = [leaf_hash(e) for e in entries]
    bundle = decode_entry_bundle(encode_entry_bundle(entries[256:]), width=44)
    tile = build_hash_tile(TileCoord(0, 1, 44), memory_reader(leaves))
    assert [leaf_hash(e) for e in bundle] == decode_hash_tile(tile, 44)
