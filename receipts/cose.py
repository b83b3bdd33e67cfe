"""COSE_Sign1 envelopes with EdDSA (RFC 9052 §4.2, RFC 9053 §2.2): build and strictly parse.

A receipt is ``18([protected, unprotected, payload, signature])`` where

- ``protected`` is the bstr-wrapped deterministic map ``{1: -8, 4: kid}`` (alg EdDSA and
  the 8-byte key id; nothing else);
- ``unprotected`` is the empty map (a kid there is refused: it would not be signed);
- ``payload`` is the deterministic CBOR of the claims (:mod:`receipts.claims`);
- ``signature`` is the 64-byte Ed25519 signature of the Sig_structure (RFC 9052 §4.4)
  ``["Signature1", protected, h'', payload]``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from receipts import cbor
from receipts.claims import ReceiptClaims, encode_claims
from receipts.errors import MalformedReceipt
from receipts.keys import KID_SIZE, KeyPair, receipt_key_id

__all__ = [
    "ALG_EDDSA",
    "COSE_SIGN1_TAG",
    "HEADER_ALG",
    "HEADER_KID",
    "MAX_RECEIPT_BYTES",
    "SIGNATURE_SIZE",
    "Sign1",
    "encode_sign1",
    "parse_sign1",
    "protected_header",
    "sig_structure",
    "sign_receipt",
]

COSE_SIGN1_TAG: Final = 18  # RFC 9052 §2
HEADER_ALG: Final = 1  # RFC 9052 §3.1
HEADER_KID: Final = 4  # RFC 9052 §3.1
ALG_EDDSA: Final = -8  # RFC 9053 §2.2
SIGNATURE_SIZE: Final = 64
#: No receipt comes near this; it bounds the work done on hostile input.
MAX_RECEIPT_BYTES: Final = 1024


@functools.lru_cache(maxsize=16)
def protected_header(kid: bytes) -> bytes:
    """The serialized protected header ``{1: -8, 4: kid}`` (RFC 9052 §3); the same bytes
    for every receipt one key signs, so made once per key."""
    return cbor.encode({HEADER_ALG: ALG_EDDSA, HEADER_KID: kid})


#: The constant parts of every Sig_structure (RFC 9052 §4.4): the head of an array of four
#: items (RFC 8949 §3.1, major type 4) with its context "Signature1", and the empty
#: external_aad.
_SIG1_START: Final = b"\x84" + cbor.encode("Signature1")
_NO_AAD: Final = cbor.encode(b"")


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """RFC 9052 §4.4: ToBeSigned = ["Signature1", body_protected, external_aad, payload]."""
    # Equal to cbor.encode(["Signature1", protected, b"", payload]), without its type dispatch:
    # verifying a receipt builds one for every signature checked.
    return b"".join((_SIG1_START, cbor.encode(protected), _NO_AAD, cbor.encode(payload)))


def encode_sign1(
    protected: bytes,
    payload: bytes,
    signature: bytes,
    unprotected: Mapping[object, object] | None = None,
) -> bytes:
    """Serialize a tagged COSE_Sign1 (RFC 9052 §4.2) from its parts, unchecked."""
    return cbor.encode(
        cbor.Tagged(COSE_SIGN1_TAG, [protected, dict(unprotected or {}), payload, signature])
    )


def sign_receipt(claims: ReceiptClaims, key: KeyPair) -> bytes:
    """The COSE_Sign1 bytes of ``claims`` signed by the receipts key ``key``."""
    protected = protected_header(receipt_key_id(key.public_key))
    payload = encode_claims(claims)
    return encode_sign1(protected, payload, key.sign(sig_structure(protected, payload)))


@dataclass(frozen=True, slots=True)
class Sign1:
    """A structurally valid, not yet verified, COSE_Sign1 receipt."""

    protected: bytes
    kid: bytes
    payload: bytes
    signature: bytes

    def to_be_signed(self) -> bytes:
        return sig_structure(self.protected, self.payload)


#: Serialized protected headers already found valid, and their kid. Every receipt signed
#: by one key carries the same header bytes, and the checks below depend on nothing else,
#: so a verifier checking many receipts (an audit) reads each header once.
_VALID_PROTECTED: dict[bytes, bytes] = {}
_VALID_PROTECTED_LIMIT: Final = 64


def _parse_protected(protected: bytes, unprotected: dict[cbor.CborKey, cbor.CborValue]) -> bytes:
    """Check the headers (RFC 9052 §3) and return the kid."""
    kid = _VALID_PROTECTED.get(protected)
    if kid is not None:
        if unprotected:  # the one check that does not depend on the protected bytes
            _check_unprotected(unprotected)
        return kid
    kid = _check_protected(protected, unprotected)
    if len(_VALID_PROTECTED) >= _VALID_PROTECTED_LIMIT:
        _VALID_PROTECTED.clear()
    _VALID_PROTECTED[protected] = kid
    return kid


def _check_unprotected(unprotected: dict[cbor.CborKey, cbor.CborValue]) -> None:
    if HEADER_KID in unprotected:
        raise MalformedReceipt(
            "kid-unprotected", "kid is in the unprotected header; it must be protected"
        )
    raise MalformedReceipt(
        "unknown-header", f"the unprotected header must be empty, found {dict(unprotected)!r}"
    )


def _check_protected(protected: bytes, unprotected: dict[cbor.CborKey, cbor.CborValue]) -> bytes:
    header = cbor.decode(protected) if protected else {}
    if not isinstance(header, dict):
        raise MalformedReceipt("structure", "the protected header must be a CBOR map")
    unknown = sorted(str(k) for k in header if k not in (HEADER_ALG, HEADER_KID))
    if unknown:
        raise MalformedReceipt(
            "unknown-header",
            f"protected header labels {unknown} are not part of the format (only 1 and 4)",
        )
    if header.get(HEADER_ALG) != ALG_EDDSA:
        raise MalformedReceipt(
            "wrong-alg", f"alg must be EdDSA (-8), found {header.get(HEADER_ALG)!r}"
        )
    if unprotected:
        _check_unprotected(unprotected)
    kid = header.get(HEADER_KID)
    if kid is None:
        raise MalformedReceipt("kid-missing", "the protected header has no kid (label 4)")
    if not isinstance(kid, bytes) or len(kid) != KID_SIZE:
        raise MalformedReceipt("structure", f"kid must be {KID_SIZE} bytes, found {kid!r}")
    return kid


def parse_sign1(data: bytes) -> Sign1:
    """Strictly parse a tagged COSE_Sign1; raises :class:`MalformedReceipt` with the reason."""
    if len(data) > MAX_RECEIPT_BYTES:
        raise MalformedReceipt(
            "too-large", f"a receipt is at most {MAX_RECEIPT_BYTES} bytes, found {len(data)}"
        )
    value = cbor.decode_tagged(data, COSE_SIGN1_TAG)
    if not isinstance(value, list) or len(value) != 4:
        raise MalformedReceipt("structure", "COSE_Sign1 must be an array of four items")
    protected, unprotected, payload, signature = value
    if not isinstance(protected, bytes) or not isinstance(unprotected, dict):
        raise MalformedReceipt("structure", "COSE_Sign1 headers must be a bstr and a map")
    if not isinstance(payload, bytes):
        raise MalformedReceipt("structure", "the payload must be embedded as a bstr")
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
        found = len(signature) if isinstance(signature, bytes) else type(signature).__name__
        raise MalformedReceipt("structure", f"signature must be 64 bytes, found {found}")
    kid = _parse_protected(protected, unprotected)
    return Sign1(protected=protected, kid=kid, payload=payload, signature=signature)
