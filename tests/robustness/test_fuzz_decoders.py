"""Every decoder of untrusted bytes, fuzzed: only its documented errors, quickly, in bounded memory.

Hypothesis feeds each decoder random input *and* mutations of a real, valid sample (bytes
flipped, cut, inserted, duplicated), which reach much deeper than noise alone. A decoder
may return a value or raise the error type its module documents — any other exception is a
defect, and so is an input that takes longer than the deadline. A few explicit attack
inputs (huge declared lengths, deep nesting) are checked for memory with ``tracemalloc``.

CI runs a small number of examples per decoder; ``BUKTI_SOAK=1`` runs many more.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.bundle import decode_prefixed, parse_manifest
from audit.errors import ManifestError
from ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger.encoding import (
    ZERO_HASH,
    Entry,
    decode_entry,
    encode_entry,
    parse_canonical_json,
    parse_json_strict,
)
from ledger.errors import CheckpointError, EncodingError, NoteError, ProofError, TileError
from ledger.merkle import verify_consistency, verify_inclusion
from ledger.note import NoteSigner, NoteVerifier, open_note
from ledger.schedule import (
    FormulaError,
    ScheduleError,
    default_schedule,
    default_schedule_text,
    parse_json,
    parse_toml,
    quote,
)
from ledger.schedule.canonical import document_bytes
from ledger.schedule.formula import compile_formula
from ledger.tiles import decode_entry_bundle, decode_hash_tile, encode_entry_bundle, parse_tile_path
from receipts import (
    KeyPair,
    KeyPurpose,
    KeyRecord,
    ReceiptClaims,
    ReceiptKind,
    ReceiptsError,
    TrustList,
    build_trust_list,
    extract_payload,
    normalize_short_code,
    sign_receipt,
    verify_receipt,
)
from receipts.cbor import decode as cbor_decode
from receipts.claims import decode_claims
from receipts.cose import parse_sign1
from receipts.keyfile import decode_key_file, encode_key_file
from receipts.qr import base32_encode
from tests.robustness.harness import soak_mode

EXAMPLES = 5000 if soak_mode() else 150
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=not soak_mode(),  # CI: the same examples every run
)

ORIGIN = "fuzz.bukti.example/log"
LOG_SIGNER = NoteSigner(ORIGIN, hashlib.sha256(b"bukti fuzz log key").digest())
RECEIPT_KEY = KeyPair(hashlib.sha256(b"bukti fuzz receipts key").digest())
TRUST = build_trust_list(
    [
        KeyRecord(
            name="fuzz-receipts",
            purpose=KeyPurpose.RECEIPTS,
            public_key=RECEIPT_KEY.public_key,
            valid_from=0,
            valid_until=None,
        )
    ]
)
CLAIMS = ReceiptClaims(
    office_code="32.16.20-DLH",
    counter_code="L01",
    number="32.16.20-DLH/L01/2025/000001",
    ledger_index=21,
    issued_at=1_735_700_000,
    service_code="RJU-SMP-01",
    schedule_version="bekasi-2024.1",
    official_fee=11_000,
    amount_charged=11_000,
    kind=ReceiptKind.NORMAL,
    commitment=bytes(range(16)),
)
RECEIPT = sign_receipt(CLAIMS, RECEIPT_KEY)
ENTRY = encode_entry(
    Entry(seq=0, kind="receipt.issued", at=1_735_700_000_000, prev=ZERO_HASH, body={"a": [1, "x"]})
)
NOTE = sign_checkpoint(Checkpoint(ORIGIN, 5, hashlib.sha256(b"r").digest()), LOG_SIGNER).note
SCHEDULE_TOML = default_schedule_text()
SCHEDULE_JSON = document_bytes(default_schedule())
KEY_FILE = encode_key_file(RECEIPT_KEY)


def _mutate(sample: bytes) -> st.SearchStrategy[bytes]:
    """Mutations of a valid sample: flips, cuts, insertions, repeats, splices."""

    @st.composite
    def mutated(draw: st.DrawFn) -> bytes:
        data = bytearray(sample)
        for _ in range(draw(st.integers(1, 4))):
            op = draw(st.sampled_from(("flip", "cut", "insert", "repeat", "truncate")))
            pos = draw(st.integers(0, max(0, len(data) - 1)))
            if op == "flip" and data:
                data[pos] ^= 1 << draw(st.integers(0, 7))
            elif op == "cut":
                del data[pos : pos + draw(st.integers(1, 16))]
            elif op == "insert":
                data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
            elif op == "repeat":
                data[pos:pos] = data[pos : pos + draw(st.integers(1, 64))]
            else:
                del data[pos:]
        return bytes(data)

    return mutated()


def _inputs(sample: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=512), _mutate(sample))


def _texts(sample: str) -> st.SearchStrategy[str]:
    mutated = _mutate(sample.encode("utf-8")).map(lambda b: b.decode("utf-8", "replace"))
    return st.one_of(st.text(max_size=512), mutated)


def _only(allowed: tuple[type[BaseException], ...], fn: Callable[[], Any]) -> None:
    """Run ``fn``; a result or an ``allowed`` error passes, anything else fails the test."""
    with contextlib.suppress(*allowed):
        fn()


# -- receipts -------------------------------------------------------------------------------


@FUZZ
@given(_inputs(RECEIPT))
def test_fuzz_receipt_cbor_and_cose(data: bytes) -> None:
    _only((ReceiptsError,), lambda: cbor_decode(data))
    _only((ReceiptsError,), lambda: parse_sign1(data))
    _only((ReceiptsError,), lambda: decode_claims(data))
    _only((ReceiptsError,), lambda: verify_receipt(data, TRUST, at_ms=1_800_000_000_000))


@FUZZ
@given(_texts("https://bukti.example/v#" + base32_encode(RECEIPT)))
def test_fuzz_receipt_links_and_codes(text: str) -> None:
    _only((ReceiptsError,), lambda: extract_payload(text))
    _only((ReceiptsError,), lambda: normalize_short_code(text))


@FUZZ
@given(_inputs(b"%PDF-1.4\n") | _inputs(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
def test_fuzz_receipt_files(data: bytes) -> None:
    _only((ReceiptsError,), lambda: extract_payload(data))


@FUZZ
@given(_inputs(TRUST.to_json()))
def test_fuzz_trust_list(data: bytes) -> None:
    _only((ReceiptsError,), lambda: TrustList.from_json(data))


@FUZZ
@given(_inputs(KEY_FILE))
def test_fuzz_key_file(data: bytes) -> None:
    _only((ReceiptsError,), lambda: decode_key_file(data))


# -- ledger ---------------------------------------------------------------------------------


@FUZZ
@given(_inputs(ENTRY))
def test_fuzz_entries_and_canonical_json(data: bytes) -> None:
    _only((EncodingError,), lambda: decode_entry(data))
    _only((EncodingError,), lambda: parse_json_strict(data))
    _only((EncodingError,), lambda: parse_canonical_json(data))


@FUZZ
@given(_inputs(NOTE))
def test_fuzz_signed_notes_and_checkpoints(data: bytes) -> None:
    verifier = LOG_SIGNER.verifier()
    _only((NoteError,), lambda: open_note(data, [verifier]))
    _only((NoteError, CheckpointError), lambda: open_checkpoint(data, [verifier], origin=ORIGIN))
    text = data.decode("utf-8", "replace")
    _only((CheckpointError,), lambda: Checkpoint.parse(text))
    _only((NoteError,), lambda: NoteVerifier.from_string(text))


_HASHES = st.lists(st.binary(min_size=0, max_size=40), max_size=70)
_SIZES = st.integers(-5, 2**70)


@FUZZ
@given(st.binary(max_size=40), _SIZES, _SIZES, _HASHES, st.binary(max_size=40))
def test_fuzz_proof_verification(
    leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes
) -> None:
    _only((ProofError,), lambda: verify_inclusion(leaf, index, size, proof, root))
    _only((ProofError,), lambda: verify_consistency(index, size, proof, leaf, root))


@FUZZ
@given(
    _inputs(encode_entry_bundle([ENTRY, ENTRY])),
    st.one_of(st.none(), st.integers(-3, 300)),
    st.text(max_size=80),
)
def test_fuzz_tiles_and_entry_bundles(data: bytes, width: int | None, path: str) -> None:
    _only((TileError,), lambda: decode_entry_bundle(data, width=width))
    _only((TileError,), lambda: decode_hash_tile(data, width if width is not None else 1))
    _only((TileError,), lambda: parse_tile_path(path))
    _only((TileError,), lambda: parse_tile_path("tile/" + path))


# -- the schedule ----------------------------------------------------------------------------


@FUZZ
@given(_texts(SCHEDULE_TOML))
def test_fuzz_schedule_toml(text: str) -> None:
    _only((ScheduleError,), lambda: parse_toml(text))


@FUZZ
@given(_inputs(SCHEDULE_JSON))
def test_fuzz_schedule_json(data: bytes) -> None:
    _only((ScheduleError,), lambda: parse_json(data))


_FORMULA_TOKENS = st.sampled_from(
    [
        "LLt",
        "Ilo",
        "x",
        "1",
        "0",
        "0.5",
        "1000000",
        "+",
        "-",
        "*",
        "/",
        "(",
        ")",
        ",",
        "min(",
        "max(",
        "round(",
        "floor(",
        "ceil(",
        "__import__",
        "'",
        ".",
        " ",
        "**",
        "[",
        "lambda",
    ]
)


@FUZZ
@given(
    st.one_of(st.text(max_size=120), st.lists(_FORMULA_TOKENS, max_size=60).map("".join)),
    st.dictionaries(st.sampled_from(["LLt", "Ilo", "x"]), st.fractions(), max_size=3),
)
def test_fuzz_formulas(text: str, env: dict[str, Fraction]) -> None:
    try:
        formula = compile_formula(text)
    except FormulaError:
        return
    _only((FormulaError,), lambda: formula.evaluate(env))


@FUZZ
@given(
    st.sampled_from([i.code for i in default_schedule().items] + ["", "NOPE"]),
    st.dictionaries(
        st.text(max_size=12),
        st.one_of(st.integers(-(2**70), 2**70), st.text(max_size=30)),
        max_size=6,
    ),
)
def test_fuzz_quote_inputs(code: str, inputs: dict[str, str | int]) -> None:
    version = default_schedule()
    _only((ScheduleError,), lambda: quote(version, code, inputs, 1_800_000_000_000))


# -- audit bundles ---------------------------------------------------------------------------

_MANIFEST = (
    b'{"format":"bukti-bundle/1","origin":"x","checkpoint":{"size":1,"root":"'
    + base64.b64encode(bytes(32))
    + b'"},"counts":{"entries":1,"checkpoints":1,"receipts":0,"schedules":0},"files":{}}'
)


@FUZZ
@given(_inputs(_MANIFEST), _inputs(b"\x00\x00\x00\x03abc\x00\x00\x00\x01d"))
def test_fuzz_audit_bundle_manifest_and_files(manifest: bytes, prefixed: bytes) -> None:
    _only((ManifestError,), lambda: parse_manifest(manifest))
    _only((ValueError,), lambda: decode_prefixed(prefixed))


# -- explicit attacks: amplification and depth -----------------------------------------------


def _peak_bytes(fn: Callable[[], Any], allowed: tuple[type[BaseException], ...]) -> int:
    tracemalloc.start()
    try:
        _only(allowed, fn)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("label", "fn", "allowed"),
    [
        # CBOR heads declaring 2**64-1 items or bytes, with nothing behind them.
        ("cbor-array", lambda: cbor_decode(b"\x9b" + b"\xff" * 8), (ReceiptsError,)),
        ("cbor-bytes", lambda: cbor_decode(b"\x5b" + b"\xff" * 8), (ReceiptsError,)),
        ("cbor-map", lambda: cbor_decode(b"\xbb" + b"\xff" * 8), (ReceiptsError,)),
        ("cbor-nesting", lambda: cbor_decode(b"\x81" * 100_000), (ReceiptsError,)),
        ("json-nesting", lambda: parse_json_strict(b"[" * 100_000), (EncodingError,)),
        ("entry-nesting", lambda: decode_entry(b'{"body":' * 50_000), (EncodingError,)),
        ("bundle-length", lambda: decode_entry_bundle(b"\xff\xff" + b"x"), (TileError,)),
        ("formula-nesting", lambda: compile_formula("(" * 400 + "1" + ")" * 400), (FormulaError,)),
        ("toml-nesting", lambda: parse_toml("a = " + "[" * 100_000), (ScheduleError,)),
        ("prefixed-length", lambda: decode_prefixed(b"\xff\xff\xff\xff"), (ValueError,)),
    ],
)
def test_attack_decoder_amplification_is_bounded(
    label: str, fn: Callable[[], Any], allowed: tuple[type[BaseException], ...]
) -> None:
    peak = _peak_bytes(fn, allowed)
    assert peak < 32 * 1024 * 1024, f"{label}: {peak} bytes at peak"
