"""The audit's fast entry reader never accepts what ``ledger.encoding.decode_entry`` refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.entries import read_entry
from ledger.encoding import Entry, decode_entry, encode_entry
from ledger.errors import EncodingError

_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], max_codepoint=0x1F600), max_size=12
)
_leaf = st.one_of(st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1), _text, st.booleans())
_body = st.recursive(
    st.dictionaries(_text, _leaf, max_size=4),
    lambda inner: st.dictionaries(_text, st.one_of(_leaf, inner, st.lists(inner, max_size=3))),
    max_leaves=12,
)


def _judge(data: bytes) -> dict[str, Any] | str:
    try:
        entry = decode_entry(data)
    except EncodingError as exc:
        return f"refused: {type(exc).__name__}"
    return {
        "seq": entry.seq,
        "kind": entry.kind,
        "at": entry.at,
        "prev": entry.prev.hex(),
        "body": entry.body,
    }


def _ours(data: bytes) -> dict[str, Any] | str:
    try:
        return read_entry(data)
    except EncodingError as exc:
        return f"refused: {type(exc).__name__}"


@settings(max_examples=100, deadline=None)
@given(body=_body, seq=st.integers(min_value=1, max_value=2**40), at=st.integers(0, 2**45))
def test_canonical_entries_read_the_same(body: dict[str, Any], seq: int, at: int) -> None:
    data = encode_entry(Entry(seq, "complaint.filed", at, bytes(range(32)), body))
    assert _ours(data) == _judge(data)


@settings(max_examples=100, deadline=None)
@given(body=_body, seq=st.integers(min_value=1, max_value=2**40), cut=st.integers(0, 400))
def test_mutated_entries_are_judged_the_same(body: dict[str, Any], seq: int, cut: int) -> None:
    data = encode_entry(Entry(seq, "complaint.filed", 7, bytes(range(32)), body))
    variants = [
        data[: cut % (len(data) + 1)],
        data.replace(b":", b": ", 1),
        json.dumps(json.loads(data), sort_keys=False).encode(),
        data.replace(b'"at":7', b'"at":7.0'),
        data.replace(b'"at":7', b'"at":9007199254740993'),
        data.replace(b'"kind"', b'"kind":"x","kind"', 1),
    ]
    for variant in variants:
        assert _ours(variant) == _judge(variant)


@pytest.mark.parametrize(
    "text",
    [
        "cafe\u0301",  # combining mark, BMP
        "\u2013 en dash",
        "\U0001f600 beyond the BMP",
        "\uffff last BMP",
        "line\nbreak\u2028",
        "\u007f delete",
    ],
)
def test_non_ascii_text_reads_the_same(text: str) -> None:
    data = encode_entry(
        Entry(3, "complaint.filed", 1, bytes(32), {text: text, "z": [text], "\ue000": 1})
    )
    assert _ours(data) == _judge(data)
    assert isinstance(_ours(data), dict)
