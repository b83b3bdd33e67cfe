"""Canonical entry bytes (RFC 8785): round trips and every rejection with its reason."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.encoding import (
    ENTRY_KINDS,
    MAX_ENTRY_BYTES,
    MAX_SAFE_INTEGER,
    ZERO_HASH,
    Entry,
    canonical_json,
    decode_entry,
    encode_entry,
    parse_canonical_json,
    parse_json_strict,
)
from ledger.errors import EncodingError, EntryTooLargeError

PREV = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")


def sample(seq: int = 1, **body: Any) -> Entry:
    return Entry(
        seq=seq,
        kind="receipt.issued",
        at=1_767_200_400_000,
        prev=PREV if seq else ZERO_HASH,
        body=body or {"charged": 15_000, "service": "RJU-PASAR-01", "ok": True, "tags": ["a"]},
    )


def test_round_trip_gives_equal_entry_and_same_bytes() -> None:
    e = sample()
    data = encode_entry(e)
    assert decode_entry(data) == e
    assert encode_entry(decode_entry(data)) == data


def test_known_answer_bytes() -> None:
    data = encode_entry(sample(1, charged=15_000, note="é"))
    assert data == (
        b'{"at":1767200400000,"body":{"charged":15000,"note":"\xc3\xa9"},'
        b'"kind":"receipt.issued","prev":"' + PREV.hex().encode() + b'","seq":1}'
    )


def test_entry_zero_has_zero_prev() -> None:
    data = encode_entry(sample(0))
    assert decode_entry(data).prev == ZERO_HASH


def test_duplicate_keys_are_rejected() -> None:
    with pytest.raises(EncodingError, match="duplicate key 'a'"):
        parse_json_strict(b'{"a":1,"a":2}')
    data = encode_entry(sample()).replace(b'"seq":1}', b'"seq":1,"seq":1}')
    with pytest.raises(EncodingError, match="duplicate key 'seq'"):
        decode_entry(data)


@pytest.mark.parametrize("text", [b"1.5", b"1e3", b"-0.0", b'{"x":2.0}'])
def test_floats_are_rejected(text: bytes) -> None:
    with pytest.raises(EncodingError, match="floats are not allowed"):
        parse_json_strict(text)


def test_float_values_are_rejected_when_encoding() -> None:
    with pytest.raises(EncodingError, match=r"\$\.body\.charged: floats are not allowed"):
        encode_entry(sample(charged=1.5))


@pytest.mark.parametrize("value", [MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1, 2**64])
def test_integers_beyond_safe_range_are_rejected(value: int) -> None:
    with pytest.raises(EncodingError, match=r"outside ±\(2\*\*53 - 1\)"):
        encode_entry(sample(charged=value))
    with pytest.raises(EncodingError, match=r"outside ±\(2\*\*53 - 1\)"):
        parse_json_strict(str(value).encode())


@pytest.mark.parametrize("value", [MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER])
def test_integers_at_the_safe_limit_are_accepted(value: int) -> None:
    assert decode_entry(encode_entry(sample(charged=value))).body["charged"] == value


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_standard_constants_are_rejected(constant: bytes) -> None:
    with pytest.raises(EncodingError, match="non-standard JSON constant"):
        parse_json_strict(constant)


def test_null_is_rejected() -> None:
    with pytest.raises(EncodingError, match="null is not allowed"):
        parse_json_strict(b'{"a":null}')


@pytest.mark.parametrize(
    ("mutate", "why"),
    [
        (lambda b: b.replace(b'{"at"', b'{ "at"'), "whitespace"),
        (lambda b: b + b"\n", "trailing newline"),
        (
            lambda b: b.replace(
                b'"charged":15000,"note":"\xc3\xa9"', b'"note":"\xc3\xa9","charged":15000'
            ),
            "key order",
        ),
        (lambda b: b.replace(b"\xc3\xa9", b"\\u00e9"), "escaped unicode"),
        (lambda b: b.replace(b'"service"', b'"\\u0073ervice"'), "escaped ASCII"),
        (lambda b: b.replace(b"15000", b"15000.0"), "float form of an integer"),
    ],
)
def test_non_canonical_bytes_are_rejected(mutate: Any, why: str) -> None:
    data = encode_entry(sample(1, charged=15_000, note="é", service="x"))
    bad = mutate(data)
    assert bad != data, why
    with pytest.raises(EncodingError, match=r"canonical|floats"):
        decode_entry(bad)


def test_unknown_kind_is_rejected() -> None:
    e = sample()
    with pytest.raises(EncodingError, match=r"unknown entry kind 'receipt\.forged'"):
        encode_entry(Entry(e.seq, "receipt.forged", e.at, e.prev, e.body))
    data = encode_entry(e).replace(b"receipt.issued", b"receipt.isNued")
    with pytest.raises(EncodingError, match="unknown entry kind"):
        decode_entry(data)


@pytest.mark.parametrize(
    ("prev", "message"),
    [
        ("00" * 31, "64 lowercase hex"),
        ("zz" * 32, "not hex"),
        (PREV.hex().upper(), "lowercase hex"),
        ("", "64 lowercase hex"),
    ],
)
def test_malformed_prev_is_rejected(prev: str, message: str) -> None:
    data = encode_entry(sample()).replace(PREV.hex().encode(), prev.encode())
    with pytest.raises(EncodingError, match=message):
        decode_entry(data)


def test_entry_zero_with_nonzero_prev_is_rejected() -> None:
    with pytest.raises(EncodingError, match="entry 0 must have prev = 32 zero bytes"):
        encode_entry(Entry(0, "log.created", 0, PREV, {}))


def test_prev_of_wrong_length_is_rejected_when_encoding() -> None:
    with pytest.raises(EncodingError, match="32-byte hash"):
        encode_entry(Entry(1, "log.created", 0, b"\x00" * 31, {}))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"seq": -1}, "seq must be a non-negative integer"),
        ({"seq": True}, "seq must be a non-negative integer"),
        ({"at": -5}, "at must be non-negative integer milliseconds"),
        ({"at": "2026-01-01"}, "at must be non-negative integer milliseconds"),
        ({"body": ["not", "a", "map"]}, "body must be a map"),
    ],
)
def test_invalid_fields_are_rejected(fields: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {"seq": 1, "kind": "log.created", "at": 0, "prev": PREV, "body": {}}
    base.update(fields)
    with pytest.raises(EncodingError, match=message):
        encode_entry(Entry(**base))


def test_missing_and_extra_fields_are_rejected() -> None:
    with pytest.raises(EncodingError, match=r"missing \['body'\], unexpected \['bodi'\]"):
        decode_entry(
            canonical_json(
                {"seq": 1, "kind": "log.created", "at": 0, "prev": PREV.hex(), "bodi": {}}
            )
        )


def test_not_an_object_is_rejected() -> None:
    with pytest.raises(EncodingError, match="must be a JSON object, found list"):
        decode_entry(b"[1,2]")


def test_not_utf8_is_rejected() -> None:
    with pytest.raises(EncodingError, match="not UTF-8 at byte 1"):
        parse_json_strict(b'"\xff"')


def test_oversize_entry_is_rejected() -> None:
    small = encode_entry(sample(padding=""))
    pad = "p" * (MAX_ENTRY_BYTES - len(small))
    exact = encode_entry(sample(padding=pad))
    assert len(exact) == MAX_ENTRY_BYTES
    assert decode_entry(exact).body["padding"] == pad
    with pytest.raises(EntryTooLargeError, match="65536 bytes; the limit is 65535"):
        encode_entry(sample(padding=pad + "p"))
    with pytest.raises(EntryTooLargeError, match="the limit is 65535"):
        decode_entry(exact + b" ")


def test_deep_nesting_is_rejected() -> None:
    value: Any = 1
    for _ in range(40):
        value = [value]
    with pytest.raises(EncodingError, match="nesting deeper than 32"):
        canonical_json(value)


def test_parse_canonical_json_requires_the_canonical_form() -> None:
    assert parse_canonical_json(b'{"a":1,"b":[true,"x"]}') == {"a": 1, "b": [True, "x"]}
    with pytest.raises(EncodingError, match="not in RFC 8785 canonical form"):
        parse_canonical_json(b'{"b":1,"a":1}')


_safe_ints = st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
_values = st.recursive(
    st.booleans() | _safe_ints | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    seq = draw(st.integers(min_value=0, max_value=MAX_SAFE_INTEGER))
    prev = ZERO_HASH if seq == 0 else draw(st.binary(min_size=32, max_size=32))
    return Entry(
        seq=seq,
        kind=draw(st.sampled_from(sorted(ENTRY_KINDS))),
        at=draw(st.integers(min_value=0, max_value=MAX_SAFE_INTEGER)),
        prev=prev,
        body=draw(st.dictionaries(st.text(max_size=8), _values, max_size=5)),
    )


@settings(max_examples=200, deadline=None)
@given(entries())
def test_property_round_trip(e: Entry) -> None:
    data = encode_entry(e)
    assert decode_entry(data) == e
    assert encode_entry(decode_entry(data)) == data
    assert canonical_json(parse_json_strict(data)) == data
