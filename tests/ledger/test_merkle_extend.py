"""``TreeBuilder.extend`` builds the same tree as ``append`` one leaf at a time."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.merkle import TreeBuilder, root_from_leaves

LEAVES = [hashlib.sha256(b"leaf %d" % i).digest() for i in range(320)]


def _appended(count: int) -> TreeBuilder:
    builder = TreeBuilder()
    for leaf in LEAVES[:count]:
        builder.append(leaf)
    return builder


@settings(max_examples=200, deadline=None)
@given(before=st.integers(0, 150), added=st.integers(0, 150))
def test_extend_equals_append(before: int, added: int) -> None:
    builder = _appended(before)
    builder.extend(LEAVES[before : before + added])
    expected = _appended(before + added)
    assert builder.size == expected.size
    assert builder.frontier == expected.frontier
    assert builder.root() == expected.root() == root_from_leaves(LEAVES[: before + added])
    builder.append(LEAVES[before + added])  # and it carries on like any builder
    assert builder.root() == root_from_leaves(LEAVES[: before + added + 1])


@pytest.mark.parametrize("size", [0, 1, 2, 3, 255, 256, 257])
def test_extend_resumes_from_a_stored_frontier(size: int) -> None:
    stored = _appended(size)
    resumed = TreeBuilder(size, stored.frontier)
    resumed.extend(LEAVES[size:])
    assert resumed.root() == root_from_leaves(LEAVES)
