"""The RFC 6962 / RFC 9162 Merkle tree: hashing, roots, proofs and their verification.

Everything here is pure. Proof *generation* reads stored hashes of perfect subtrees
through a :data:`NodeReader`, so a proof over a log of any size costs O(log n) reads;
proof *verification* follows RFC 9162 §2.1.3.2 and §2.1.4.2 step by step.

A perfect subtree is named by ``(level, index)``: it covers leaves
``[index * 2**level, (index + 1) * 2**level)``; level 0 nodes are leaf hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from ledger.errors import ConsistencyProofError, InclusionProofError, ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "NodeReader",
    "TreeBuilder",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "memory_reader",
    "node_hash",
    "perfect_subtrees",
    "root_from_leaves",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
#: RFC 9162 §2.1.1: the hash of an empty list is the hash of an empty string.
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: Reads hashes of perfect subtrees, given as ``(level, index)`` pairs, in order.
NodeReader = Callable[[Sequence[tuple[int, int]]], Sequence[bytes]]


def leaf_hash(entry: bytes) -> bytes:
    """RFC 9162 §2.1.1: MTH({d(0)}) = SHA-256(0x00 || d(0))."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1: SHA-256(0x01 || MTH(left) || MTH(right))."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """Decompose the leaf range ``[start, end)`` into maximal aligned perfect subtrees.

    Returned left to right as ``(level, index)``. For the ranges the RFC tree
    produces, the hash of the range is the right fold of these subtrees.
    """
    out: list[tuple[int, int]] = []
    while start < end:
        # Largest level aligned at ``start`` and fitting in the remaining range.
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while (1 << level) > end - start:
            level -= 1
        out.append((level, start >> level))
        start += 1 << level
    return out


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold of perfect-subtree hashes: h1 ⊕ (h2 ⊕ (… ⊕ hn))."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


class TreeBuilder:
    """Incremental RFC 6962 tree over appended leaf hashes (a compact range from 0).

    ``append`` returns every perfect-subtree node completed by the new leaf, as
    ``(level, index, hash)``, so storage can persist them; ``root()`` is the tree
    head of the leaves appended so far.
    """

    __slots__ = ("_stack", "size")

    def __init__(self, size: int = 0, frontier: Sequence[bytes] = ()) -> None:
        subtrees = perfect_subtrees(0, size)
        if len(subtrees) != len(frontier):
            raise ValueError(
                f"a tree of size {size} has {len(subtrees)} frontier hashes, got {len(frontier)}"
            )
        self.size = size
        self._stack: list[tuple[int, bytes]] = [
            (lvl, h) for (lvl, _), h in zip(subtrees, frontier, strict=True)
        ]

    @staticmethod
    def frontier_coords(size: int) -> list[tuple[int, int]]:
        """The perfect subtrees whose hashes resume a builder at ``size``."""
        return perfect_subtrees(0, size)

    @property
    def frontier(self) -> list[bytes]:
        return [h for _, h in self._stack]

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        index = self.size
        self.size += 1
        created = [(0, index, leaf)]
        level, h = 0, leaf
        while self._stack and self._stack[-1][0] == level:
            _, left = self._stack.pop()
            h = node_hash(left, h)
            level += 1
            created.append((level, index >> level, h))
        self._stack.append((level, h))
        return created

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Append many leaf hashes without reporting the nodes they complete.

        The same tree as :meth:`append` one leaf at a time (RFC 9162 §2.1.1), built a level
        at a time: the new nodes of each level are hashed pairwise into the next one, the
        first pairing with the old frontier node of that level when it is a right child.
        """
        if not leaves:
            return
        sha256 = hashlib.sha256
        old = dict(self._stack)  # the frontier: one subtree per set bit of the old size
        first = self.size  # index of the first new node on the current level
        total = self.size + len(leaves)
        nodes = list(leaves)
        new: list[tuple[int, list[bytes]]] = []  # per level: first new index, new nodes
        level = 0
        while nodes:
            new.append((first, nodes))
            if first & 1:  # the first new node is a right child: its sibling is old
                nodes = [old[level], *nodes]
                first -= 1
            # An odd last node has no right sibling yet: it completes no parent.
            lefts, rights = nodes[0::2], nodes[1::2]
            nodes = [
                sha256(b"\x01" + left + right).digest()
                for left, right in zip(lefts, rights, strict=False)
            ]
            first >>= 1
            level += 1
        stack: list[tuple[int, bytes]] = []
        for lvl in range(total.bit_length() - 1, -1, -1):
            if total >> lvl & 1:
                index = (total >> lvl) - 1
                start, hashes = new[lvl] if lvl < len(new) else (index + 1, [])
                stack.append((lvl, hashes[index - start] if index >= start else old[lvl]))
        self._stack = stack
        self.size = total

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        return _fold([h for _, h in self._stack])


def root_from_leaves(leaves: Iterable[bytes]) -> bytes:
    """Tree head over leaf hashes (not entries)."""
    builder = TreeBuilder()
    for leaf in leaves:
        builder.append(leaf)
    return builder.root()


def tree_root(size: int, read: NodeReader) -> bytes:
    """Root of the first ``size`` leaves from stored perfect-subtree hashes."""
    if size == 0:
        return EMPTY_ROOT
    coords = perfect_subtrees(0, size)
    return _fold(list(read(coords)))


def memory_reader(leaves: Sequence[bytes]) -> NodeReader:
    """A :data:`NodeReader` over leaf hashes held in memory (tests, small trees)."""
    cache: dict[tuple[int, int], bytes] = {}

    def node(level: int, index: int) -> bytes:
        key = (level, index)
        if key not in cache:
            if level == 0:
                cache[key] = leaves[index]
            else:
                cache[key] = node_hash(node(level - 1, 2 * index), node(level - 1, 2 * index + 1))
        return cache[key]

    def read(coords: Sequence[tuple[int, int]]) -> list[bytes]:
        return [node(level, index) for level, index in coords]

    return read


def _range_plan(ranges: Sequence[tuple[int, int]], read: NodeReader) -> list[bytes]:
    """Hash each leaf range with one batched read of the perfect subtrees it needs."""
    parts = [perfect_subtrees(a, b) for a, b in ranges]
    flat = [c for p in parts for c in p]
    hashes = list(read(flat)) if flat else []
    if len(hashes) != len(flat):
        raise ProofError(f"node reader returned {len(hashes)} hashes for {len(flat)} nodes")
    out: list[bytes] = []
    pos = 0
    for p in parts:
        out.append(_fold(hashes[pos : pos + len(p)]))
        pos += len(p)
    return out


def inclusion_proof(index: int, size: int, read: NodeReader) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(m, D[n]) using stored subtree hashes."""
    if not 0 <= index < size:
        raise InclusionProofError(f"index {index} is not in a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    lo, hi, m = 0, size, index
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if m < k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            m -= k
    # PATH lists siblings from the leaf upwards: the recursion found them top-down.
    ranges.reverse()
    return _range_plan(ranges, read)


def consistency_proof(size1: int, size2: int, read: NodeReader) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(m, D[n]) using stored subtree hashes."""
    if not 0 < size1 <= size2:
        raise ConsistencyProofError(f"no consistency proof from size {size1} to {size2}")
    ranges: list[tuple[int, int]] = []
    lo, hi, m, complete = 0, size2, size1, True
    while m != hi - lo:
        k = _largest_power_of_two_below(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            m -= k
            complete = False
    if not complete:
        ranges.append((lo, hi))
    ranges.reverse()
    return _range_plan(ranges, read)


def _check_hash(value: bytes, what: str, error: type[ProofError]) -> None:
    if len(value) != HASH_SIZE:
        raise error(f"{what} must be {HASH_SIZE} bytes, found {len(value)}")


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 §2.1.3.2: raise :class:`InclusionProofError` unless the proof holds."""
    _check_hash(leaf, "leaf hash", InclusionProofError)
    _check_hash(root, "root", InclusionProofError)
    for i, p in enumerate(proof):
        _check_hash(p, f"proof[{i}]", InclusionProofError)
    # Step 1: leaf_index must be less than tree_size.
    if not 0 <= index < size:
        raise InclusionProofError(f"leaf index {index} is not below tree size {size}")
    # Step 2: fn = leaf_index, sn = tree_size - 1, r = hash.
    fn, sn, r = index, size - 1, leaf
    # Step 3: for each value p in the inclusion path.
    for p in proof:
        if sn == 0:  # 3a: proof is longer than the path
            raise InclusionProofError(f"proof has more than the {len(proof) - 1} hashes needed")
        if fn & 1 or fn == sn:  # 3b
            r = node_hash(p, r)
            if not fn & 1:  # 3b.ii: shift until LSB(fn) set or fn is 0
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:  # 3c
            r = node_hash(r, p)
        fn >>= 1  # 3d
        sn >>= 1
    # Step 4: sn must be 0 and r equal to the root.
    if sn != 0:
        raise InclusionProofError(f"proof of {len(proof)} hashes is too short for size {size}")
    if r != root:
        raise InclusionProofError(
            f"computed root {r.hex()} does not match expected root {root.hex()}"
        )


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """RFC 9162 §2.1.4.2: raise :class:`ConsistencyProofError` unless the proof holds."""
    if size1 < 0 or size2 < size1:
        raise ConsistencyProofError(f"size {size1} cannot precede size {size2}")
    if size1 == 0:
        # A proof from the empty tree proves nothing, even to an empty tree; refuse it
        # rather than accept anything.
        raise ConsistencyProofError("no consistency proof from an empty tree")
    if size1 == size2:
        # Equal trees: the proof is empty and the roots are the same bytes.
        if proof:
            raise ConsistencyProofError("proof between equal sizes must be empty")
        if root1 != root2:
            raise ConsistencyProofError("equal sizes but different roots: the log forked")
        return
    _check_hash(root1, "first root", ConsistencyProofError)
    _check_hash(root2, "second root", ConsistencyProofError)
    for i, p in enumerate(proof):
        _check_hash(p, f"proof[{i}]", ConsistencyProofError)
    if not proof:
        raise ConsistencyProofError("proof is empty")
    path = list(proof)
    # Step 2: if first_size is an exact power of 2, prepend first_hash to the path.
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    # Step 3: fn = first_size - 1, sn = second_size - 1.
    fn, sn = size1 - 1, size2 - 1
    # Step 4: while LSB(fn) is set, shift fn and sn right by one.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Step 5: fr = sr = first value of the path.
    fr = sr = path[0]
    # Step 6: for each subsequent value c in the path.
    for c in path[1:]:
        if sn == 0:  # 6a
            raise ConsistencyProofError("proof is longer than needed")
        if fn & 1 or fn == sn:  # 6b
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:  # 6c
            sr = node_hash(sr, c)
        fn >>= 1  # 6d
        sn >>= 1
    # Step 7: fr must equal first_hash, sr second_hash, and sn must be 0.
    if sn != 0:
        raise ConsistencyProofError("proof is too short")
    if fr != root1:
        raise ConsistencyProofError(f"proof does not lead to first root {root1.hex()}")
    if sr != root2:
        raise ConsistencyProofError(f"proof does not lead to second root {root2.hex()}")
