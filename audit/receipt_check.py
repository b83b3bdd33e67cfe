"""Every signed receipt against the trust anchor and against its own ledger entry.

A job holds a run of receipts (what their entries say, as the main pass read them, and
their ``receipt.cose`` attachments) and the receipts keys as of that point of the log;
:func:`check_receipts` is pure and picklable, so jobs run in worker processes on every
core. For each receipt (``docs/receipt-format.md``):

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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from audit.compliance import ReceiptFacts
from audit.findings import BreakKind, Finding
from audit.keys import ReceiptKeys
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

__all__ = ["ReceiptEntry", "ReceiptJob", "check_receipts"]

#: What one receipt is checked against, as the main pass read it from the receipt's entry:
#: ``(stored position, seq, at, leaf hash, said, voided)``. The stored position keys the
#: attachment and the findings; ``said`` is the entry's :data:`~audit.compliance.ReceiptFacts`
#: or, where those could not be read or for a void, its body; ``voided`` is set for a void:
#: ``(counter, amount)`` of the receipt it cancels, as the log recorded them. Plain tuples:
#: a job of them crosses to a worker process cheaply.
ReceiptEntry = tuple[int, int, int, bytes, ReceiptFacts | dict[str, Any], tuple[str, int] | None]


@dataclass(frozen=True, slots=True)
class ReceiptJob:
    """A run of receipts to check with the receipts keys as of that point of the log;
    ``coses[i]`` is the ``receipt.cose`` attachment of ``entries[i]`` (``None``: absent)."""

    keys: ReceiptKeys
    entries: Sequence[ReceiptEntry]
    coses: Sequence[bytes | None]


def check_receipts(job: ReceiptJob) -> list[Finding]:
    """Findings for the receipts of ``job`` (empty when every one holds)."""
    registered = TrustList(Keyring(job.keys.registered))
    anchor_only = TrustList(Keyring(job.keys.anchor_only))
    findings: list[Finding] = []
    for entry, cose in zip(job.entries, job.coses, strict=True):
        findings.extend(_check(entry, cose, registered, anchor_only))
    return findings


def _finding(code: str, record: ReceiptEntry, message: str, **evidence: Any) -> Finding:
    kinds = {
        "integrity.receipt_signature": BreakKind.BAD_SIGNATURE,
        "integrity.unknown_key": BreakKind.UNKNOWN_KEY,
        "integrity.key_lifecycle": BreakKind.KEY_LIFECYCLE,
    }
    return Finding(
        code,
        message,
        seq=record[0],
        kind=kinds.get(code, BreakKind.RECEIPT),
        evidence=evidence,
    )


def _claims_of(cose: bytes) -> ReceiptClaims | None:
    try:
        return decode_claims(parse_sign1(cose).payload)
    except MalformedReceipt:
        return None


def _check(
    record: ReceiptEntry, cose: bytes | None, registered: TrustList, anchor_only: TrustList
) -> Iterable[Finding]:
    seq = record[0]
    if cose is None:
        yield _finding(
            "integrity.receipt_missing",
            record,
            f"entry {seq} has no signed receipt stored beside it",
        )
        return
    claims: ReceiptClaims | None = None
    try:
        claims = verify_receipt(cose, registered).claims
    except UnknownKeyError as exc:
        try:
            claims = verify_receipt(cose, anchor_only).claims
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
            claims = _claims_of(cose) if _claims_still_worth(inner) else None
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
        claims = _claims_of(cose)
    if claims is not None:
        yield from _compare(record, claims)


def _claims_still_worth(error: ReceiptVerificationError) -> bool:
    """After these failures the signature held, so the claims are compared too."""
    return isinstance(error, KeyValidityError | FeeMismatchError)


def _failure(record: ReceiptEntry, error: ReceiptVerificationError) -> Iterable[Finding]:
    seq = record[0]
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


def _expected(record: ReceiptEntry, commitment_size: int) -> dict[str, object]:
    """The claims the receipt of ``record`` must carry, by :class:`ReceiptClaims` field."""
    _, seq, at, leaf, said, voided = record
    expected: dict[str, object] = {
        "ledger_index": seq,
        # RFC 9162 §2.1.1: the commitment is the first bytes of the entry's leaf hash.
        "commitment": leaf[:commitment_size].hex(),
        "issued_at": at // 1000,
    }
    if type(said) is tuple:  # the facts of a receipt.issued body
        office, counter, _, service, number, schedule, charged, official, _, waiver, _ = said
        expected.update(
            office_code=office,
            kind=ReceiptKind.NORMAL.name,
            counter_code=counter,
            number=number,
            service_code=service,
            schedule_version=schedule,
            official_fee=official,
            amount_charged=charged,
            waiver_ref=waiver,
        )
        return expected
    assert isinstance(said, dict)
    expected["office_code"] = said.get("office")
    if voided is None:
        expected.update(
            kind=ReceiptKind.NORMAL.name,
            counter_code=said.get("counter"),
            number=said.get("receipt_no"),
            service_code=said.get("service"),
            schedule_version=said.get("schedule"),
            official_fee=said.get("official_fee"),
            amount_charged=said.get("charged"),
            waiver_ref=said.get("waiver"),
        )
    else:
        counter, amount = voided
        expected.update(
            kind=ReceiptKind.VOID.name,
            counter_code=counter,
            voided_number=said.get("receipt_no"),
            amount_charged=amount,
        )
    return expected


def _agrees(record: ReceiptEntry, claims: ReceiptClaims) -> bool:
    """Whether a normal receipt says what the facts of its entry say (the usual case,
    decided without building the comparison :func:`_compare` reports)."""
    _, seq, at, leaf, said, _ = record
    if type(said) is not tuple:
        return False
    office, counter, _, service, number, schedule, charged, official, _, waiver, _ = said
    return (
        claims.ledger_index == seq
        and claims.commitment == leaf[: len(claims.commitment)]
        and claims.issued_at == at // 1000
        and claims.office_code == office
        and claims.kind is ReceiptKind.NORMAL
        and claims.counter_code == counter
        and claims.number == number
        and claims.service_code == service
        and claims.schedule_version == schedule
        and claims.official_fee == official
        and claims.amount_charged == charged
        and claims.waiver_ref == waiver
    )


def _compare(record: ReceiptEntry, claims: ReceiptClaims) -> Iterable[Finding]:
    if _agrees(record, claims):
        return
    expected = _expected(record, len(claims.commitment))
    differing: dict[str, dict[str, object]] = {}
    for name, want in expected.items():
        if name == "commitment":
            found: object = claims.commitment.hex()
        elif name == "kind":
            found = claims.kind.name
        else:
            found = getattr(claims, name)
        if want != found:
            differing[name] = {"entry": want, "receipt": found}
    if differing:
        names = ", ".join(sorted(differing))
        commits = "commitment" in differing or "ledger_index" in differing
        yield _finding(
            "integrity.receipt_mismatch",
            record,
            f"receipt of entry {record[0]} "
            + ("does not commit to this entry" if commits else "says something else than its entry")
            + f" ({names})",
            differences=differing,
        )
