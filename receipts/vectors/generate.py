"""Build the receipt test vectors from fixed keys, fixed times and fixed claims.

Every input is fixed, and Ed25519 signatures are deterministic (RFC 8032 §5.1.6), so
the output is the same bytes on every machine. Private seeds are
SHA-256(``"bukti test vector seed: "`` || label): they are test keys, published here,
never to be used for anything else.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Final

from receipts import cbor
from receipts.claims import ReceiptClaims, ReceiptKind, commitment_from_leaf_hash, encode_claims
from receipts.cose import encode_sign1, protected_header, sig_structure, sign_receipt
from receipts.keys import KeyPair, KeyPurpose, KeyRecord, Keyring, b64encode, receipt_key_id
from receipts.qr import base32_encode, receipt_url
from receipts.shortcode import short_code
from receipts.trustlist import build_trust_list

__all__ = [
    "PUBLIC_URL",
    "VECTORS_FORMAT",
    "build_vectors",
    "claims_to_json",
    "vector_key",
    "vector_keyring",
]

VECTORS_FORMAT: Final = "bukti-receipt-vectors/1"
PUBLIC_URL: Final = "https://bekasikab.go.id/bukti"
_SEED_PREFIX: Final = b"bukti test vector seed: "
_WIB: Final = timezone(timedelta(hours=7))


def vector_key(label: str) -> KeyPair:
    """The fixed test key named ``label``."""
    return KeyPair(hashlib.sha256(_SEED_PREFIX + label.encode("utf-8")).digest())


def _ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=_WIB).timestamp()) * 1000


def _commitment(label: str) -> bytes:
    # Stands in for a real entry's leaf hash, SHA-256(0x00 || entry) (RFC 9162 §2.1.1).
    return commitment_from_leaf_hash(hashlib.sha256(b"\x00" + label.encode("utf-8")).digest())


LOG_KEY: Final = "log-2026"
OLD_KEY: Final = "receipts-2026a"  # retired at ROTATION_MS
NEW_KEY: Final = "receipts-2026b"  # active from ROTATION_MS
OUTSIDER_KEY: Final = "receipts-outsider"  # in no trust list
START_MS: Final = _ms(2026, 1, 1)
ROTATION_MS: Final = _ms(2026, 7, 1)
CHECK_TIME_MS: Final = _ms(2026, 12, 1)


def vector_keyring() -> Keyring:
    log = KeyRecord(
        "bekasikab.go.id/bukti", KeyPurpose.LOG, vector_key(LOG_KEY).public_key, START_MS
    )
    old = KeyRecord(
        "bekasikab.go.id/bukti/receipts-2026a",
        KeyPurpose.RECEIPTS,
        vector_key(OLD_KEY).public_key,
        START_MS,
    )
    new = KeyRecord(
        "bekasikab.go.id/bukti/receipts-2026b",
        KeyPurpose.RECEIPTS,
        vector_key(NEW_KEY).public_key,
        ROTATION_MS,
    )
    return Keyring.of([log, old]).rotate(old.public_key, new)


_NORMAL: Final = ReceiptClaims(
    office_code="32.16.20-DLH",
    counter_code="L01",
    number="32.16.20-DLH/L01/2026/004821",
    ledger_index=48213,
    issued_at=_ms(2026, 11, 29, 12, 34) // 1000,
    service_code="RJU-SMP-02",
    schedule_version="2026.1",
    official_fee=15000,
    amount_charged=15000,
    kind=ReceiptKind.NORMAL,
    commitment=_commitment("entry 48213"),
)


@dataclass(frozen=True, slots=True)
class _Valid:
    name: str
    description: str
    key: str
    claims: ReceiptClaims


_VALID: Final = (
    _Valid("normal", "a fee collected at the official rate", NEW_KEY, _NORMAL),
    _Valid(
        "free-service",
        "a free population document (UU 24/2013 Pasal 79A): Rp0 official, Rp0 charged",
        NEW_KEY,
        replace(
            _NORMAL,
            office_code="32.16.20-DUKCAPIL",
            counter_code="L03",
            number="32.16.20-DUKCAPIL/L03/2026/011502",
            ledger_index=48220,
            service_code="BBS-DKP-01",
            official_fee=0,
            amount_charged=0,
            commitment=_commitment("entry 48220"),
        ),
    ),
    _Valid(
        "waiver",
        "a PBG fee (Rp6.176.270) halved under a recorded waiver",
        NEW_KEY,
        replace(
            _NORMAL,
            office_code="32.16.20-DPMPTSP",
            counter_code="L02",
            number="32.16.20-DPMPTSP/L02/2026/000731",
            ledger_index=48231,
            service_code="RPT-PBG-01",
            official_fee=6176270,
            amount_charged=3088135,
            waiver_ref="SK-KERINGANAN/2026/017",
            commitment=_commitment("entry 48231"),
        ),
    ),
    _Valid(
        "void",
        "a void of the 'normal' receipt, approved by a supervisor",
        NEW_KEY,
        replace(
            _NORMAL,
            number=_NORMAL.number + "/B",
            ledger_index=48240,
            issued_at=_NORMAL.issued_at + 600,
            kind=ReceiptKind.VOID,
            voided_number=_NORMAL.number,
            commitment=_commitment("entry 48240"),
        ),
    ),
    _Valid(
        "closing",
        "a counter's day closing with the day's totals",
        NEW_KEY,
        replace(
            _NORMAL,
            number="32.16.20-DLH/L01/2026-11-29",
            ledger_index=48302,
            issued_at=_ms(2026, 11, 29, 16, 0) // 1000,
            service_code="TUTUP-HARI",
            official_fee=735000,
            amount_charged=735000,
            kind=ReceiptKind.CLOSING,
            commitment=_commitment("entry 48302"),
        ),
    ),
    _Valid(
        "retired-key-before-retirement",
        "signed by the retired key while it was still valid",
        OLD_KEY,
        replace(
            _NORMAL,
            number="32.16.20-DLH/L01/2026/001207",
            ledger_index=12077,
            issued_at=_ms(2026, 3, 15, 9, 5) // 1000,
            commitment=_commitment("entry 12077"),
        ),
    ),
)


def _sign_raw(key: KeyPair, payload: bytes, protected: bytes | None = None) -> bytes:
    """Sign arbitrary payload bytes under an arbitrary protected header (for bad vectors)."""
    header = (
        protected if protected is not None else protected_header(receipt_key_id(key.public_key))
    )
    return encode_sign1(header, payload, key.sign(sig_structure(header, payload)))


def _entries(claims: ReceiptClaims) -> list[tuple[bytes, bytes]]:
    return sorted((cbor.encode(k), cbor.encode(v)) for k, v in claims.to_cbor_map().items())


def _raw_map(entries: list[tuple[bytes, bytes]]) -> bytes:
    assert len(entries) < 24
    return bytes([0xA0 + len(entries)]) + b"".join(k + v for k, v in entries)


def _invalid() -> list[tuple[str, str, bytes, str]]:
    new, old = vector_key(NEW_KEY), vector_key(OLD_KEY)
    outsider, log = vector_key(OUTSIDER_KEY), vector_key(LOG_KEY)
    kid = receipt_key_id(new.public_key)
    good = sign_receipt(_NORMAL, new)
    payload = encode_claims(_NORMAL)
    entries = _entries(_NORMAL)
    at = good.index(payload)

    duplicate = list(entries)
    duplicate.insert(3, (cbor.encode(3), cbor.encode("32.16.20-DLH/L01/2026/999999")))
    index_key = cbor.encode(4)
    non_shortest = [
        (k, bytes([0x1A]) + _NORMAL.ledger_index.to_bytes(4, "big") if k == index_key else v)
        for k, v in entries
    ]
    unsorted = list(entries)
    unsorted[1], unsorted[2] = unsorted[2], unsorted[1]
    fee_key = cbor.encode(8)
    with_float = [
        (k, b"\xfb" + struct.pack(">d", float(_NORMAL.official_fee)) if k == fee_key else v)
        for k, v in entries
    ]
    unknown_claim = [*entries, (cbor.encode(14), cbor.encode("NIK"))]
    missing_claim = [e for e in entries if e[0] != cbor.encode(6)]
    version_two = [(k, cbor.encode(2) if k == cbor.encode(1) else v) for k, v in entries]
    alg_es256 = cbor.encode({1: -7, 4: kid})
    duplicate_header = b"\xa3\x01\x27\x01\x27\x04\x48" + kid
    only_alg = cbor.encode({1: -8})
    no_tag = good[1:]
    retired_late = replace(_NORMAL, number="32.16.20-DLH/L01/2026/005002", ledger_index=50020)
    too_early = replace(_NORMAL, issued_at=(ROTATION_MS - 3_600_000) // 1000)
    overcharge = replace(_NORMAL, amount_charged=20000)
    waiver_overcharge = replace(_NORMAL, amount_charged=20000, waiver_ref="SK-KERINGANAN/2026/018")
    future = replace(_NORMAL, issued_at=(CHECK_TIME_MS + 3_600_000) // 1000)

    return [
        ("wrong-key", "kid of the active key, signature by another key",
         _sign_raw(outsider, payload, protected_header(kid)), "bad-signature"),
        ("flipped-payload-byte", "one bit of the receipt number changed after signing",
         good[: at + 20] + bytes([good[at + 20] ^ 0x01]) + good[at + 21 :], "bad-signature"),
        ("flipped-signature-byte", "one bit of the signature changed",
         good[:-1] + bytes([good[-1] ^ 0x01]), "bad-signature"),
        ("truncated", "the last byte removed", good[:-1], "malformed.truncated"),
        ("trailing-bytes", "a zero byte after the message", good + b"\x00",
         "malformed.trailing-bytes"),
        ("wrong-tag", "tagged 98 (COSE_Sign) instead of 18", b"\xd8\x62" + no_tag,
         "malformed.wrong-tag"),
        ("untagged", "the COSE_Sign1 array without its tag", no_tag, "malformed.wrong-tag"),
        ("non-canonical-envelope", "the array length in two bytes (0x98 0x04)",
         b"\xd2\x98\x04" + no_tag[1:], "malformed.non-canonical"),
        ("wrong-alg", "alg ES256 (-7) in the protected header, validly signed",
         _sign_raw(new, payload, alg_es256), "malformed.wrong-alg"),
        ("duplicate-header-key", "the protected header repeats label 1",
         _sign_raw(new, payload, duplicate_header), "malformed.duplicate-key"),
        ("kid-missing", "no kid anywhere", _sign_raw(new, payload, only_alg),
         "malformed.kid-missing"),
        ("kid-unprotected", "kid only in the unprotected header",
         encode_sign1(only_alg, payload, new.sign(sig_structure(only_alg, payload)), {4: kid}),
         "malformed.kid-unprotected"),
        ("unknown-kid", "validly signed by a key in no trust list",
         sign_receipt(_NORMAL, outsider), "unknown-key"),
        ("log-key-signed", "signed by the log key, which never signs receipts",
         sign_receipt(_NORMAL, log), "unknown-key"),
        ("bad-signature-length", "a 63-byte signature",
         encode_sign1(protected_header(kid), payload, good[-64:-1]),
         "malformed.structure"),
        ("duplicate-payload-key", "the payload repeats claim 3, validly signed",
         _sign_raw(new, _raw_map(duplicate)), "malformed.duplicate-key"),
        ("non-shortest-int", "claim 4 as a 4-byte integer where 2 bytes suffice, validly signed",
         _sign_raw(new, _raw_map(non_shortest)), "malformed.non-canonical"),
        ("indefinite-length-map", "the payload map with indefinite length, validly signed",
         _sign_raw(new, b"\xbf" + _raw_map(entries)[1:] + b"\xff"), "malformed.non-canonical"),
        ("unsorted-keys", "claims 2 and 3 swapped, validly signed",
         _sign_raw(new, _raw_map(unsorted)), "malformed.non-canonical"),
        ("float-fee", "the official fee as a float64, validly signed",
         _sign_raw(new, _raw_map(with_float)), "malformed.float"),
        ("unknown-claim", "an extra claim 14 (personal data has no place here), validly signed",
         _sign_raw(new, _raw_map(unknown_claim)), "malformed.unknown-claim"),
        ("missing-claim", "no claim 6 (service code), validly signed",
         _sign_raw(new, _raw_map(missing_claim)), "malformed.missing-claim"),
        ("unsupported-version", "format version 2, validly signed",
         _sign_raw(new, _raw_map(version_two)), "malformed.unsupported-version"),
        ("retired-key-after-retirement", "signed by the retired key, dated after retirement",
         sign_receipt(retired_late, old), "retired-key"),
        ("key-not-yet-valid", "signed by the new key, dated before it became valid",
         sign_receipt(too_early, new), "key-not-yet-valid"),
        ("fee-overcharge", "charged Rp20.000 for a Rp15.000 service, no waiver",
         sign_receipt(overcharge, new), "fee-mismatch"),
        ("fee-waiver-overcharge", "a waiver cannot raise a fee",
         sign_receipt(waiver_overcharge, new), "fee-mismatch"),
        ("issued-in-future", "dated an hour after the check time",
         sign_receipt(future, new), "issued-in-future"),
    ]  # fmt: skip


def claims_to_json(claims: ReceiptClaims) -> dict[str, object]:
    """Claims as a JSON object (names, not CBOR keys) for the vectors file."""
    out: dict[str, object] = {
        "office_code": claims.office_code,
        "counter_code": claims.counter_code,
        "number": claims.number,
        "ledger_index": claims.ledger_index,
        "issued_at": claims.issued_at,
        "service_code": claims.service_code,
        "schedule_version": claims.schedule_version,
        "official_fee": claims.official_fee,
        "amount_charged": claims.amount_charged,
        "kind": claims.kind.name.lower(),
        "commitment": claims.commitment.hex(),
    }
    if claims.waiver_ref is not None:
        out["waiver_ref"] = claims.waiver_ref
    if claims.voided_number is not None:
        out["voided_number"] = claims.voided_number
    return out


def build_vectors() -> bytes:
    """The vectors file, byte for byte."""
    keyring = vector_keyring()
    labels = {vector_key(label).public_key: label for label in (LOG_KEY, OLD_KEY, NEW_KEY)}
    keys = [
        {
            "label": label,
            "seed": vector_key(label).seed.hex(),
            "public_key": b64encode(vector_key(label).public_key),
            "receipt_kid": receipt_key_id(vector_key(label).public_key).hex(),
            "in_trust_list": vector_key(label).public_key in labels,
        }
        for label in (LOG_KEY, OLD_KEY, NEW_KEY, OUTSIDER_KEY)
    ]
    valid = []
    for vector in _VALID:
        cose = sign_receipt(vector.claims, vector_key(vector.key))
        valid.append(
            {
                "name": vector.name,
                "description": vector.description,
                "key": vector.key,
                "claims": claims_to_json(vector.claims),
                "payload_hex": encode_claims(vector.claims).hex(),
                "cose_hex": cose.hex(),
                "base32": base32_encode(cose),
                "url": receipt_url(PUBLIC_URL, cose),
                "short_code": short_code(cose),
            }
        )
    invalid = [
        {"name": name, "description": description, "cose_hex": cose.hex(), "expected": code}
        for name, description, cose, code in _invalid()
    ]
    document = {
        "format": VECTORS_FORMAT,
        "about": "Bukti receipt test vectors; regenerate with `python -m receipts.vectors "
        "--write`, check with `--check`. Seeds are SHA-256('bukti test vector seed: ' "
        "|| label): public test keys, never for production.",
        "public_url": PUBLIC_URL,
        "check_time_ms": CHECK_TIME_MS,
        "keys": keys,
        "trust_list": build_trust_list(keyring).to_document(),
        "valid": valid,
        "invalid": invalid,
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
