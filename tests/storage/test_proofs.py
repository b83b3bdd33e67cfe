"""Proofs and tiles served from storage equal those computed in memory over the same leaves."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, event, text

from ledger.errors import InclusionProofError, TileError
from ledger.merkle import (
    consistency_proof,
    inclusion_proof,
    memory_reader,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)
from ledger.storage import AppendRequest, LogStore, TreeSizeError
from ledger.storage.queries import nodes_statement
from ledger.tiles import TileCoord, build_hash_tile, encode_entry_bundle
from tests.conftest import FixedClock

LOG_SIZE = 600  # two full entry tiles and a partial one; a partial level-1 tile of width 2
SIZES = [1, 2, 3, 7, 8, 9, 255, 256, 257, 511, 512, 513, 599, 600]


@pytest.fixture
def log(log_store: LogStore, fixed_clock: FixedClock) -> tuple[LogStore, list[bytes], list[bytes]]:
    """The store, its entries' bytes and leaf hashes, appended in uneven batches."""
    data: list[bytes] = []
    leaves: list[bytes] = []
    n = 0
    batch = 1
    while n < LOG_SIZE:
        count = min(batch, LOG_SIZE - n)
        reqs = [
            AppendRequest("receipt.issued", fixed_clock.advance(1), {"n": n + i})
            for i in range(count)
        ]
        for outcome in log_store.append_many(reqs):
            assert not isinstance(outcome, Exception)
            data.append(outcome.data)
            leaves.append(outcome.leaf_hash)
        n += count
        batch = batch * 3 % 97 + 1
    return log_store, data, leaves


def test_inclusion_proofs_match_memory(log: tuple[LogStore, list[bytes], list[bytes]]) -> None:
    store, _, leaves = log
    reader = memory_reader(leaves)
    for size in SIZES:
        root = root_from_leaves(leaves[:size])
        for index in sorted({0, 1, size // 2, size - 2, size - 1} & set(range(size))):
            proof = store.inclusion_proof(index, size)
            assert proof == inclusion_proof(index, size, reader)
            verify_inclusion(leaves[index], index, size, proof, root)


def test_consistency_proofs_match_memory(log: tuple[LogStore, list[bytes], list[bytes]]) -> None:
    store, _, leaves = log
    reader = memory_reader(leaves)
    for i, size1 in enumerate(SIZES):
        for size2 in SIZES[i:]:
            proof = store.consistency_proof(size1, size2)
            assert proof == consistency_proof(size1, size2, reader)
            root1, root2 = root_from_leaves(leaves[:size1]), root_from_leaves(leaves[:size2])
            verify_consistency(size1, size2, proof, root1, root2)


def test_hash_tiles_match_memory(log: tuple[LogStore, list[bytes], list[bytes]]) -> None:
    store, _, leaves = log
    reader = memory_reader(leaves)
    for level, index, width in [
        (0, 0, 256),
        (0, 1, 256),
        (0, 2, 88),
        (0, 2, 1),
        (0, 1, 17),
        (1, 0, 2),
        (1, 0, 1),
    ]:
        expected = build_hash_tile(TileCoord(level, index, width), reader)
        assert store.hash_tile(level, index, width) == expected, (level, index, width)


def test_entry_bundles_match_the_stored_bytes(
    log: tuple[LogStore, list[bytes], list[bytes]],
) -> None:
    store, data, _ = log
    assert store.entry_bundle(0, 256) == encode_entry_bundle(data[:256])
    assert store.entry_bundle(1, 256) == encode_entry_bundle(data[256:512])
    assert store.entry_bundle(2, 88) == encode_entry_bundle(data[512:600])
    assert store.entry_bundle(2, 5) == encode_entry_bundle(data[512:517])


def test_requests_beyond_the_log_are_refused(
    log: tuple[LogStore, list[bytes], list[bytes]],
) -> None:
    store, _, _ = log
    with pytest.raises(TreeSizeError, match="tree size 601 is beyond the log"):
        store.inclusion_proof(599, 601)
    with pytest.raises(TreeSizeError, match="tree size 601 is beyond the log"):
        store.inclusion_proof(600, 601)  # the one leaf the proof itself does not read
    with pytest.raises(TreeSizeError, match="tree size 601 is beyond the log"):
        store.consistency_proof(601, 601)
    with pytest.raises(TreeSizeError, match="beyond the log"):
        store.consistency_proof(10, 601)
    with pytest.raises(InclusionProofError, match="not in a tree of size 600"):
        store.inclusion_proof(600, 600)
    with pytest.raises(TreeSizeError, match="needs 89 hashes"):
        store.hash_tile(0, 2, 89)
    with pytest.raises(TreeSizeError, match="needs 256 hashes"):
        store.hash_tile(1, 0, 256)
    with pytest.raises(TreeSizeError, match="the log has 88 of them"):
        store.entry_bundle(2, 89)
    with pytest.raises(TileError):
        store.hash_tile(0, 0, 0)
    with pytest.raises(TileError):
        store.entry_bundle(0, 257)


def test_proofs_cost_a_fixed_number_of_queries(
    log: tuple[LogStore, list[bytes], list[bytes]], db_engine: Engine
) -> None:
    # O(log n) hashes in ONE indexed query per proof or tile: never a pass over the log.
    store, _, _ = log
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db_engine, "before_cursor_execute", count)
    try:
        store.inclusion_proof(300, 599)
        store.consistency_proof(257, 599)
        store.hash_tile(0, 1, 256)
    finally:
        event.remove(db_engine, "before_cursor_execute", count)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 3, reads


def test_node_reads_are_index_lookups_not_scans(
    log: tuple[LogStore, list[bytes], list[bytes]], db_engine: Engine
) -> None:
    statement = nodes_statement(3)
    params = {"l0": 0, "i0": 5, "l1": 3, "i1": 1, "l2": 8, "i2": 0}
    with db_engine.connect() as conn:
        if db_engine.dialect.name == "sqlite":
            plan = conn.execute(text(f"EXPLAIN QUERY PLAN {statement.text}"), params).all()
            details = [str(row[-1]) for row in plan]
            assert not [d for d in details if d.startswith("SCAN")], details
            assert any("USING PRIMARY KEY" in d for d in details), details
        else:
            # With sequential scans priced out, a plan without an index path would still scan.
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = conn.execute(text(f"EXPLAIN {statement.text}"), params).all()
            details = [str(row[0]) for row in plan]
            assert not [d for d in details if "Seq Scan" in d], details
