"""Offline verification of a receipt against a trust list.

Steps, in order (``docs/receipt-format.md`` §Verification); the first failure raises:

1. parse the COSE_Sign1 envelope strictly (``malformed.*``);
2. find the receipts key named by the protected kid in the trust list (``unknown-key``);
3. verify the Ed25519 signature over the Sig_structure, RFC 9052 §4.4 (``bad-signature``);
4. decode the claims strictly (``malformed.*``);
5. check the key was valid when the receipt was issued (``key-not-yet-valid``,
   ``retired-key``): ``floor(valid_from / 1000) <= issued_at`` and, for a retired key,
   ``issued_at * 1000 < valid_until``;
6. if a check time is given, the receipt must not be dated after it (``issued-in-future``,
   five minutes of clock skew allowed);
7. a normal receipt charges exactly the official fee, or less with a waiver reference
   (``fee-mismatch``).

Whether the receipt is in the log, and not voided, needs the log: that is the server's
status endpoint and the audit, not this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import nacl.exceptions
import nacl.signing

from receipts.claims import ReceiptClaims, ReceiptKind, decode_claims
from receipts.cose import parse_sign1
from receipts.errors import (
    BadSignatureError,
    FeeMismatchError,
    IssuedInFutureError,
    KeyNotYetValidError,
    RetiredKeyError,
)
from receipts.keys import KeyRecord
from receipts.trustlist import TrustList
from receipts.wib import format_wib_long

__all__ = ["FUTURE_SKEW_MS", "VerifiedReceipt", "check_fee", "verify_receipt"]

#: How far a receipt's issued-at may lie after the check time (clock skew between machines).
FUTURE_SKEW_MS: Final = 5 * 60 * 1000


@dataclass(frozen=True, slots=True)
class VerifiedReceipt:
    """A receipt whose signature, key validity and fee rule all held."""

    claims: ReceiptClaims
    key: KeyRecord
    cose: bytes


def check_fee(claims: ReceiptClaims) -> None:
    """Step 7: a normal receipt's charge against its official fee (DESIGN §2, waivers)."""
    if claims.kind is not ReceiptKind.NORMAL:
        return
    charged, official = claims.amount_charged, claims.official_fee
    if claims.waiver_ref is None and charged != official:
        raise FeeMismatchError(
            f"receipt {claims.number} charges {charged} rupiah; the official fee is "
            f"{official} rupiah and no waiver is recorded"
        )
    if claims.waiver_ref is not None and charged > official:
        raise FeeMismatchError(
            f"receipt {claims.number} charges {charged} rupiah, above the official fee of "
            f"{official} rupiah; a waiver ({claims.waiver_ref}) can only lower a fee"
        )


def _check_key_validity(claims: ReceiptClaims, key: KeyRecord) -> None:
    # Issued-at has whole-second resolution; the key's start is compared at that resolution.
    if claims.issued_at < key.valid_from // 1000:
        raise KeyNotYetValidError(
            f"receipt {claims.number} is dated {format_wib_long(claims.issued_at_ms)}, before key "
            f"{key.name} became valid ({format_wib_long(key.valid_from)})"
        )
    if key.valid_until is not None and claims.issued_at_ms >= key.valid_until:
        raise RetiredKeyError(
            f"receipt {claims.number} is dated {format_wib_long(claims.issued_at_ms)}, after key "
            f"{key.name} was retired ({format_wib_long(key.valid_until)})"
        )


def verify_receipt(
    data: bytes, trust_list: TrustList, *, at_ms: int | None = None
) -> VerifiedReceipt:
    """Verify COSE receipt bytes offline; raises a ReceiptVerificationError with a ``code``.

    ``at_ms`` is the time of the check (UTC ms), passed in by the caller; without it the
    issued-in-future check is skipped.
    """
    sign1 = parse_sign1(data)  # step 1
    key = trust_list.receipts_key(sign1.kid)  # step 2
    try:  # step 3, RFC 9052 §4.4 and RFC 8032 §5.1.7
        nacl.signing.VerifyKey(key.public_key).verify(sign1.to_be_signed(), sign1.signature)
    except nacl.exceptions.BadSignatureError as exc:
        raise BadSignatureError(
            f"the signature does not verify under receipts key {key.name} (kid {sign1.kid.hex()})"
        ) from exc
    claims = decode_claims(sign1.payload)  # step 4
    _check_key_validity(claims, key)  # step 5
    if at_ms is not None and claims.issued_at_ms > at_ms + FUTURE_SKEW_MS:  # step 6
        raise IssuedInFutureError(
            f"receipt {claims.number} is dated {format_wib_long(claims.issued_at_ms)}, later than "
            f"the time of the check ({format_wib_long(at_ms)})"
        )
    check_fee(claims)  # step 7
    return VerifiedReceipt(claims=claims, key=key, cose=data)
