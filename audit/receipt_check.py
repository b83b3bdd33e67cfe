"""Every signed receipt against the trust anchor and against its own ledger entry.

A job holds a run of receipts (their entry bytes and ``receipt.cose`` attachments) and the
receipts keys as of that point of the log; :func:`check_receipts` is pure and picklable, so
jobs run in worker processes on every core. For each receipt (``docs/receipt-format.md``):

1. the attachment exists (a receipt the log acknowledged must never be lost);
2. :func:`receipts.verify_receipt` with the keys the log had registered: envelope,
   key, Ed25519 signature (RFC 9052 §4.4), claims, key validity at issue time. A key only
   the trust list knows still verifies, but is a key-lifecycle finding;
3. the claims equal the entry: ledger index = seq, chain commitment = first 16 bytes of
   the entry's leaf hash (RFC 9162 §2.1.1), issued-at = ``at`` in seconds, and issuer,
   number, service, schedule, fees and waiver equal the body. A void receipt names the
   voided receipt and returns its amount.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from audit.findings import BreakKind, Finding
from audit.keys import ReceiptKeys
from ledger.merkle import leaf_hash
from receipts.claims import ReceiptClaims, ReceiptKind, decode_claims
from receipts.cose import parse_sign1
from receipts.errors import (
    BadSignatureError,
    FeeMismatchError,
    KeyValidityError,
    MalformedReceipt,
    ReceiptVerificationError,
    UnknownKeyError,
)
from receipts.keys import Keyring
from receipts.trustlist import TrustList
from receipts.verify import verify_receipt

__all__ = ["ReceiptJob", "ReceiptRecord", "check_receipts"]


@dataclass(frozen=True, slots=True)
class ReceiptRecord:
    """One receipt to check. ``voided`` is set for a void: (counter, amount) of the
    receipt it cancels, as the log recorded them."""

    seq: int
    entry: bytes
    cose: bytes | None
    voided: tuple[str, int] | None = None


@dataclass(frozen=True, slots=True)
class ReceiptJob:
    keys: ReceiptKeys
    records: tuple[ReceiptRecord, ...]


def check_receipts(job: ReceiptJob) -> list[Finding]:
    """Findings for the receipts of ``job`` (empty when every one holds)."""
    registered = TrustList(Keyring(job.keys.registered))
    anchor_only = TrustList(Keyring(job.keys.anchor_only))
    findings: list[Finding] = []
    for record in job.records:
        findings.extend(_check(record, registered, anchor_only))
    return findings


def _finding(code: str, record: ReceiptRecord, message: str, **evidence: Any) -> Finding:
    kinds = {
        "integrity.receipt_signature": BreakKind.BAD_SIGNATURE,
        "integrity.unknown_key": BreakKind.UNKNOWN_KEY,
        "integrity.key_lifecycle": BreakKind.KEY_LIFECYCLE,
    }
    return Finding(
        code,
        message,
        seq=record.seq,
        kind=kinds.get(code, BreakKind.RECEIPT),
        evidence=evidence,
    )


def _claims_of(cose: bytes) -> ReceiptClaims | None:
    try:
        return decode_claims(parse_sign1(cose).payload)
    except MalformedReceipt:
        return None


def _check(
    record: ReceiptRecord, registered: TrustList, anchor_only: TrustList
) -> Iterable[Finding]:
    seq = record.seq
    if record.cose is None:
        yield _finding(
            "integrity.receipt_missing",
            record,
            f"entry {seq} has no signed receipt stored beside it",
        )
        return
    claims: ReceiptClaims | None = None
    try:
        claims = verify_receipt(record.cose, registered).claims
    except UnknownKeyError as exc:
        try:
            claims = verify_receipt(record.cose, anchor_only).claims
        except UnknownKeyError:
            yield _finding(
                "integrity.unknown_key",
                record,
                f"receipt of entry {seq} is signed by key id {exc.kid.hex()}, which neither "
                "the log nor the trust list knows",
                kid=exc.kid.hex(),
            )
            return
        except ReceiptVerificationError as inner:
            yield from _failure(record, inner)
            claims = _claims_of(record.cose) if _claims_still_worth(inner) else None
        yield _finding(
            "integrity.key_lifecycle",
            record,
            f"receipt of entry {seq} is signed by key id {exc.kid.hex()}, which the log "
            "never registered (only the trust list names it)",
            kid=exc.kid.hex(),
        )
    except ReceiptVerificationError as exc:
        yield from _failure(record, exc)
        if not _claims_still_worth(exc):
            return
        claims = _claims_of(record.cose)
    if claims is not None:
        yield from _compare(record, claims)


def _claims_still_worth(error: ReceiptVerificationError) -> bool:
    """After these failures the signature held, so the claims are compared too."""
    return isinstance(error, KeyValidityError | FeeMismatchError)


def _failure(record: ReceiptRecord, error: ReceiptVerificationError) -> Iterable[Finding]:
    seq = record.seq
    if isinstance(error, BadSignatureError):
        yield _finding(
            "integrity.receipt_signature",
            record,
            f"receipt of entry {seq}: {error} — forged or altered",
            reason=error.code,
        )
    elif isinstance(error, MalformedReceipt):
        yield _finding(
            "integrity.receipt_malformed",
            record,
            f"receipt of entry {seq} is not a well-formed receipt: {error}",
            reason=error.code,
        )
    elif isinstance(error, KeyValidityError):
        yield _finding(
            "integrity.key_lifecycle",
            record,
            f"receipt of entry {seq}: {error}",
            reason=error.code,
        )
    elif not isinstance(error, FeeMismatchError):  # the fee is a compliance matter
        yield _finding(
            "integrity.receipt_malformed",
            record,
            f"receipt of entry {seq} does not verify: {error}",
            reason=error.code,
        )


def _compare(record: ReceiptRecord, claims: ReceiptClaims) -> Iterable[Finding]:
    entry = json.loads(record.entry)
    body: dict[str, Any] = entry["body"]
    leaf = leaf_hash(record.entry)
    expected: dict[str, object] = {
        "ledger_index": entry["seq"],
        "commitment": leaf[: len(claims.commitment)].hex(),
        "issued_at": entry["at"] // 1000,
        "office_code": body.get("office"),
    }
    if record.voided is None:
        expected.update(
            kind=ReceiptKind.NORMAL.name,
            counter_code=body.get("counter"),
            number=body.get("receipt_no"),
            service_code=body.get("service"),
            schedule_version=body.get("schedule"),
            official_fee=body.get("official_fee"),
            amount_charged=body.get("charged"),
            waiver_ref=body.get("waiver"),
        )
    else:
        counter, amount = record.voided
        expected.update(
            kind=ReceiptKind.VOID.name,
            counter_code=counter,
            voided_number=body.get("receipt_no"),
            amount_charged=amount,
        )
    found = {name: getattr(claims, name) for name in expected if name not in ("commitment", "kind")}
    found["commitment"] = claims.commitment.hex()
    found["kind"] = claims.kind.name
    differing = {
        k: {"entry": expected[k], "receipt": found[k]} for k in expected if expected[k] != found[k]
    }
    if differing:
        names = ", ".join(sorted(differing))
        commits = "commitment" in differing or "ledger_index" in differing
        yield _finding(
            "integrity.receipt_mismatch",
            record,
            f"receipt of entry {record.seq} "
            + ("does not commit to this entry" if commits else "says something else than its entry")
            + f" ({names})",
            differences=differing,
        )
