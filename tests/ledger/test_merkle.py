"""The RFC 6962 tree: known answers, peer vectors, proof round trips and a reference model."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from ledger.errors import ConsistencyProofError, InclusionProofError, ProofError
from ledger.merkle import (
    EMPTY_ROOT,
    TreeBuilder,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    memory_reader,
    root_from_leaves,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors" / "tlog-merkle"

CLASSIC_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
ROOT_8 = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
ROOT_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def _vector_files() -> list[Path]:
    if not VECTORS.is_dir():
        return []
    return sorted(VECTORS.rglob("*.json"))


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


def test_vectors_folder_is_present() -> None:
    if VECTORS.is_dir():
        assert _vector_files(), f"no vectors under {VECTORS.name}"
        return
    if os.environ.get("CI") == "true":
        pytest.fail("shared/vectors/tlog-merkle is missing beside the repository")
    pytest.skip("shared/vectors/tlog-merkle is not beside the repository")


@pytest.mark.parametrize(
    "path", _vector_files(), ids=lambda p: str(p.relative_to(VECTORS)) if VECTORS.is_dir() else ""
)
def test_peer_vector(path: Path) -> None:
    case: dict[str, Any] = json.loads(path.read_text())
    proof = [_b64(p) for p in case["proof"] or []]
    if path.relative_to(VECTORS).parts[0] == "inclusion":

        def check() -> None:
            verify_inclusion(
                _b64(case["leafHash"]), case["leafIdx"], case["treeSize"], proof, _b64(case["root"])
            )

        error: type[ProofError] = InclusionProofError
    else:

        def check() -> None:
            verify_consistency(
                case["size1"], case["size2"], proof, _b64(case["root1"]), _b64(case["root2"])
            )

        error = ConsistencyProofError
    if case["wantErr"]:
        with pytest.raises(error):
            check()
    else:
        check()


def test_classic_leaves_root() -> None:
    leaves = [leaf_hash(d) for d in CLASSIC_LEAVES]
    assert root_from_leaves(leaves).hex() == ROOT_8
    assert tree_root(8, memory_reader(leaves)).hex() == ROOT_8


def test_empty_tree_root() -> None:
    assert EMPTY_ROOT.hex() == ROOT_EMPTY
    assert root_from_leaves([]).hex() == ROOT_EMPTY
    assert TreeBuilder().root().hex() == ROOT_EMPTY
    assert tree_root(0, memory_reader([])).hex() == ROOT_EMPTY


def test_leaf_and_node_domain_separation() -> None:
    # RFC 9162 §2.1.1: a one-leaf tree's root is the leaf hash, never SHA-256 of the data.
    assert root_from_leaves([leaf_hash(b"")]) == leaf_hash(b"")
    assert leaf_hash(b"") != EMPTY_ROOT


LEAVES_100 = [leaf_hash(i.to_bytes(2, "big")) for i in range(100)]


@pytest.mark.parametrize("size", range(1, 101))
def test_proofs_round_trip(size: int) -> None:
    leaves = LEAVES_100[:size]
    read = memory_reader(leaves)
    root = root_from_leaves(leaves)
    assert tree_root(size, read) == root
    for index in range(size):
        proof = inclusion_proof(index, size, read)
        verify_inclusion(leaves[index], index, size, proof, root)
    for size1 in range(1, size + 1):
        proof = consistency_proof(size1, size, read)
        verify_consistency(size1, size, proof, root_from_leaves(leaves[:size1]), root)


def test_tampered_proofs_fail() -> None:
    read = memory_reader(LEAVES_100)
    root = root_from_leaves(LEAVES_100)
    proof = inclusion_proof(37, 100, read)
    bad = [proof[0][:-1] + bytes([proof[0][-1] ^ 1]), *proof[1:]]
    with pytest.raises(InclusionProofError, match="does not match expected root"):
        verify_inclusion(LEAVES_100[37], 37, 100, bad, root)
    with pytest.raises(InclusionProofError, match="too short"):
        verify_inclusion(LEAVES_100[37], 37, 100, proof[:-1], root)
    with pytest.raises(InclusionProofError):
        verify_inclusion(LEAVES_100[37], 38, 100, proof, root)
    cproof = consistency_proof(37, 100, read)
    old_root = root_from_leaves(LEAVES_100[:37])
    with pytest.raises(ConsistencyProofError):
        verify_consistency(37, 100, cproof, old_root, root[:-1] + b"\x00")
    with pytest.raises(ConsistencyProofError):
        verify_consistency(36, 100, cproof, old_root, root)


def test_proof_arguments_out_of_range_are_rejected() -> None:
    read = memory_reader(LEAVES_100)
    with pytest.raises(InclusionProofError, match="not in a tree of size 5"):
        inclusion_proof(5, 5, read)
    with pytest.raises(ConsistencyProofError, match="no consistency proof from size 0"):
        consistency_proof(0, 5, read)
    with pytest.raises(ConsistencyProofError, match="from size 6 to 5"):
        consistency_proof(6, 5, read)


def test_tree_builder_resumes_from_its_frontier() -> None:
    full = TreeBuilder()
    for leaf in LEAVES_100[:57]:
        full.append(leaf)
    resumed = TreeBuilder(57, full.frontier)
    assert resumed.root() == full.root()
    for leaf in LEAVES_100[57:]:
        full.append(leaf)
        resumed.append(leaf)
    assert resumed.root() == full.root() == root_from_leaves(LEAVES_100)
    with pytest.raises(ValueError, match="has 3 frontier hashes, got 1"):
        TreeBuilder(7, [LEAVES_100[0]])


def test_tree_builder_reports_completed_nodes() -> None:
    builder = TreeBuilder()
    read = memory_reader(LEAVES_100[:8])
    created = [node for leaf in LEAVES_100[:8] for node in builder.append(leaf)]
    assert len(created) == 15  # 8 leaves, 4 + 2 + 1 inner nodes
    for level, index, value in created:
        assert read([(level, index)]) == [value]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=70))
def test_property_roots_match_reference_implementation(data: list[bytes]) -> None:
    # pymerkle's default "security" mode is exactly RFC 6962 prefixing (0x00 leaf,
    # 0x01 node), so it must stay enabled for its roots to be comparable.
    reference = InmemoryTree(algorithm="sha256")
    assert reference.security
    builder = TreeBuilder()
    assert builder.root() == reference.get_root()
    for item in data:
        reference.append_entry(item)
        builder.append(leaf_hash(item))
        assert builder.root() == reference.get_root()
    leaves = [leaf_hash(d) for d in data]
    assert root_from_leaves(leaves) == reference.get_root()
    for size in range(len(data) + 1):
        assert root_from_leaves(leaves[:size]) == reference.get_root(size)
