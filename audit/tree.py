"""The recomputed Merkle tree, grown a whole run of entries at a time.

An audit needs the tree head (RFC 9162 §2.1.1) only at the sizes of the stored
checkpoints, but it reads every leaf. The leaves are read in runs of a fixed power-of-two
length starting at position 0, so every run spans one perfect subtree (the last run
possibly a part of one); :func:`subtree_levels` hashes that subtree bottom-up (on
whichever core checked the run) and :class:`RunTree` keeps only the frontier of the runs
already complete. The head at a size inside the current run is the right fold of the
frontier and of the few perfect subtrees of the run below that size: ``O(log n)`` node
hashes per checkpoint instead of one per entry.
"""

from __future__ import annotations

import hashlib
from typing import Final

from ledger.merkle import HASH_SIZE, node_hash, perfect_subtrees

__all__ = ["RunTree", "levels_above", "subtree_levels"]

_NODE: Final = b"\x01"


def subtree_levels(leaves: bytes) -> list[bytes]:
    """Every complete node above the leaves of one run, level by level.

    ``leaves`` is the concatenation of the run's leaf hashes. Item ``L - 1`` of the result
    holds the nodes of level ``L`` — the ``count >> L`` subtrees of ``2**L`` leaves from the
    start of the run — concatenated; RFC 9162 §2.1.1: ``SHA-256(0x01 || left || right)``.
    """
    return levels_above(
        [leaves[i : i + HASH_SIZE] for i in range(0, len(leaves) - HASH_SIZE + 1, HASH_SIZE)]
    )


def levels_above(leaves: list[bytes]) -> list[bytes]:
    """:func:`subtree_levels` of the run whose leaf hashes are ``leaves``, one by one."""
    levels: list[bytes] = []
    below = leaves
    sha256 = hashlib.sha256
    while len(below) >= 2:
        # An odd node at the end has no sibling yet: it is not part of any complete node.
        pairs = iter(below)
        below = [
            sha256(_NODE + left + right).digest() for left, right in zip(pairs, pairs, strict=False)
        ]
        levels.append(b"".join(below))
    return levels


class RunTree:
    """The tree over every leaf read so far, fed run by run.

    ``run`` is the length of every run but the last (a power of two). For each run, call
    :meth:`root_within` for the sizes inside it that need a head, then :meth:`complete`.
    """

    __slots__ = ("_stack", "run", "size")

    def __init__(self, run: int) -> None:
        if run < 1 or run & (run - 1):
            raise ValueError(f"the run length must be a power of two, found {run}")
        self.run = run
        #: The maximal perfect subtrees covering ``[0, size)``, left to right.
        self._stack: list[tuple[int, bytes]] = []
        self.size = 0

    def _node(self, level: int, index: int, leaves: bytes, levels: list[bytes]) -> bytes:
        local = index - (self.size >> level)
        row = leaves if level == 0 else levels[level - 1]
        return row[HASH_SIZE * local : HASH_SIZE * (local + 1)]

    def root_within(self, size: int, leaves: bytes, levels: list[bytes]) -> bytes:
        """The tree head at ``size``, ``size - run <= self.size < size``, from the current
        run's leaf hashes and their :func:`subtree_levels` (the run starts at ``self.size``).
        """
        if not self.size < size <= self.size + self.run:
            raise ValueError(f"size {size} is outside the run from {self.size}")
        # RFC 9162 §2.1.1: the head of [0, n) is the right fold of its perfect subtrees.
        # The frontier's levels all exceed the run's but when the run is complete; then
        # its one subtree pairs with the last of the frontier, which the fold does as well.
        hashes = [h for _, h in self._stack]
        hashes += [
            self._node(level, index, leaves, levels)
            for level, index in perfect_subtrees(self.size, size)
        ]
        acc = hashes[-1]
        for h in reversed(hashes[:-1]):
            acc = node_hash(h, acc)
        return acc

    def complete(self, count: int, leaves: bytes, levels: list[bytes]) -> None:
        """Take in the run of ``count`` leaves (``run``, or fewer for the last run)."""
        if self.size % self.run or not 0 < count <= self.run:
            raise ValueError(f"a run of {count} leaves cannot follow {self.size} leaves")
        stack = self._stack
        for level, index in perfect_subtrees(self.size, self.size + count):
            node = self._node(level, index, leaves, levels)
            # Binary addition of 2**level to an aligned size: merge equal neighbours.
            height = level
            while stack and stack[-1][0] == height:
                node = node_hash(stack.pop()[1], node)
                height += 1
            stack.append((height, node))
        self.size += count
