"""Deterministic CBOR (RFC 8949 §4.2.1): the encoder agrees with cbor2, the decoder is strict."""

from __future__ import annotations

import struct
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from receipts import MalformedReceipt
from receipts.cbor import Tagged, decode, decode_tagged, encode, encode_small_int_map

_ints = st.integers(min_value=-(2**64), max_value=2**64 - 1)
_scalars = _ints | st.binary(max_size=40) | st.text(max_size=20)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(_ints | st.text(max_size=8) | st.binary(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _keys_of_one_length(value: Any) -> bool:
    """True when every map inside ``value`` has keys whose encodings share one length."""
    if isinstance(value, list):
        return all(_keys_of_one_length(v) for v in value)
    if isinstance(value, dict):
        return len({len(encode(k)) for k in value}) <= 1 and all(
            _keys_of_one_length(v) for v in value.values()
        )
    return True


@settings(max_examples=300, deadline=None)
@given(_values)
def test_round_trip_and_agreement_with_cbor2(value: Any) -> None:
    data = encode(value)
    assert decode(data) == value
    assert cbor2.loads(data) == value
    # cbor2's canonical mode sorts length-first (RFC 7049 §3.9); where every map's keys
    # encode to one length that order and RFC 8949 §4.2.1's bytewise order agree.
    if _keys_of_one_length(value):
        assert cbor2.dumps(value, canonical=True) == data


def test_map_keys_sort_bytewise_not_length_first() -> None:
    # RFC 8949 §4.2.1: 24 (0x18 0x18) sorts before -1 (0x20) although it is longer.
    assert encode({-1: 0, 24: 0}).hex() == "a21818002000"
    decoded = decode(bytes.fromhex("a21818002000"))
    assert isinstance(decoded, dict)
    assert list(decoded) == [24, -1]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "00"),
        (23, "17"),
        (24, "1818"),
        (255, "18ff"),
        (256, "190100"),
        (65535, "19ffff"),
        (65536, "1a00010000"),
        (2**32, "1b0000000100000000"),
        (-1, "20"),
        (-25, "3818"),
        (b"", "40"),
        ("a", "6161"),
        ([1, [2]], "82018102"),
        ({10: 1, 2: 2, -1: 3}, "a302020a012003"),
    ],
)
def test_known_encodings(value: Any, expected: str) -> None:
    # RFC 8949 Appendix A examples and §4.2.1 bytewise key order (0x02 < 0x0a < 0x20).
    assert encode(value).hex() == expected


def test_tagged_round_trip() -> None:
    data = encode(Tagged(18, [b"", {}, b"x", b"y"]))
    assert data[0] == 0xD2
    assert decode_tagged(data, 18) == [b"", {}, b"x", b"y"]


@pytest.mark.parametrize("value", [True, None, 1.5, object()])
def test_encoder_refuses_types_outside_the_subset(value: object) -> None:
    with pytest.raises(TypeError):
        encode(value)


def _reason(data: bytes) -> str:
    with pytest.raises(MalformedReceipt) as caught:
        decode(data)
    return caught.value.reason


@pytest.mark.parametrize(
    ("hex_data", "reason"),
    [
        ("1817", "non-canonical"),  # 23 in one extra byte
        ("1900ff", "non-canonical"),  # 255 in two bytes
        ("1a0000ffff", "non-canonical"),
        ("1b00000000ffffffff", "non-canonical"),
        ("3817", "non-canonical"),  # negative, same rule
        ("5801ff", "non-canonical"),  # byte string length 1 in an extra byte
        ("9801" + "00", "non-canonical"),  # array length 1 in an extra byte
        ("5f41ff", "non-canonical"),  # indefinite byte string
        ("7f6161ff", "non-canonical"),  # indefinite text string
        ("9f01ff", "non-canonical"),  # indefinite array
        ("bf0101ff", "non-canonical"),  # indefinite map
        ("a202010101", "non-canonical"),  # keys 2, 1: unsorted
        ("a201010101", "duplicate-key"),
        ("a3010102020101", "duplicate-key"),  # duplicate not adjacent to its twin
        ("f93c00", "float"),  # half 1.0
        ("fa3f800000", "float"),  # single 1.0
        ("fb" + struct.pack(">d", 1.0).hex(), "float"),
        ("f4", "unsupported-type"),  # false
        ("f5", "unsupported-type"),  # true
        ("f6", "unsupported-type"),  # null
        ("f7", "unsupported-type"),  # undefined
        ("f820", "unsupported-type"),  # simple(32)
        ("c11a00000000", "unsupported-type"),  # a tag inside
        ("a1810101", "unsupported-type"),  # an array as a map key
        ("1c", "not-cbor"),  # reserved additional information
        ("ff", "not-cbor"),  # break outside an indefinite item
        ("62c328", "not-cbor"),  # invalid UTF-8
        ("0000", "trailing-bytes"),
        ("19", "truncated"),
        ("4401", "truncated"),
        ("9bffffffffffffffff", "truncated"),  # a huge count, checked before allocating
        ("", "truncated"),
        ("818181818181818181818100", "structure"),  # nested deeper than the limit
    ],
)
def test_attack_decoder_rejects_non_deterministic_and_foreign_items(
    hex_data: str, reason: str
) -> None:
    assert _reason(bytes.fromhex(hex_data)) == reason


@pytest.mark.parametrize(
    ("hex_data", "reason"),
    [
        ("8400", "wrong-tag"),  # untagged
        ("d86200", "wrong-tag"),  # tag 98
        ("d100", "wrong-tag"),  # tag 17
        ("d81200", "non-canonical"),  # tag 18 in an extra byte
        ("", "truncated"),
    ],
)
def test_attack_decode_tagged_requires_the_exact_outer_tag(hex_data: str, reason: str) -> None:
    with pytest.raises(MalformedReceipt) as caught:
        decode_tagged(bytes.fromhex(hex_data), 18)
    assert caught.value.reason == reason
    assert caught.value.code == f"malformed.{reason}"


def test_cbor2_silently_accepts_what_the_strict_decoder_refuses() -> None:
    # Why the project does not decode with a general-purpose library's defaults.
    duplicate = bytes.fromhex("a201010102")
    assert cbor2.loads(duplicate) == {1: 2}
    assert _reason(duplicate) == "duplicate-key"


_SMALL_MAP_VALUES = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.binary(max_size=40),
    st.text(max_size=40),
    st.lists(st.text(max_size=8), max_size=3),
)


@given(st.dictionaries(st.integers(min_value=0, max_value=23), _SMALL_MAP_VALUES, max_size=24))
def test_small_int_map_encoding_equals_the_general_encoder(value: dict[int, Any]) -> None:
    pairs = sorted(value.items())
    assert encode_small_int_map(pairs) == encode(value)
    assert decode(encode_small_int_map(pairs)) == value


@pytest.mark.parametrize(
    "pairs",
    [
        [(2, 1), (1, 1)],  # out of order: the bytes would not be deterministic
        [(1, 1), (1, 2)],  # a duplicate key
        [(24, 1)],  # a key needing two bytes: its order is not its numeric order
        [(-1, 1)],
    ],
)
def test_small_int_map_encoding_refuses_keys_it_cannot_order(pairs: list[tuple[int, int]]) -> None:
    with pytest.raises(ValueError, match="ascending map keys"):
        encode_small_int_map(pairs)
