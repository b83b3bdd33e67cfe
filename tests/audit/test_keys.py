"""Key lifecycle: a key may sign only while the log and the trust list say it is valid."""

from __future__ import annotations

import hashlib
import json

from audit import BreakKind, DatabaseSource, run_audit
from ledger.note import NoteSigner
from ledger.storage import AppendRequest, LogStore, create_engine_for
from receipts import (
    KeyPair,
    KeyPurpose,
    KeyRecord,
    ReceiptClaims,
    ReceiptKind,
    build_trust_list,
    commitment_from_leaf_hash,
    key_added_body,
    key_retired_body,
    sign_receipt,
)
from receipts.claims import decode_claims
from receipts.cose import parse_sign1
from tests.audit import tamper
from tests.audit.conftest import INLINE, LogUnderTest
from tests.audit.populate import RECEIPT_SEED
from tests.conftest import FIXED_START_MS, TEST_ORIGIN

NEW_SEED = hashlib.sha256(b"bukti test log key, second").digest()


def _records(log: LogUnderTest) -> tuple[KeyRecord, KeyRecord]:
    old = KeyRecord(TEST_ORIGIN, KeyPurpose.LOG, log.signer.public_key, FIXED_START_MS)
    receipts = KeyRecord(
        "receipts-test", KeyPurpose.RECEIPTS, KeyPair(RECEIPT_SEED).public_key, FIXED_START_MS
    )
    return old, receipts


def _rotate(log: LogUnderTest) -> tuple[KeyRecord, KeyRecord, bytes]:
    """Rotate the log key at the end of the log; returns (old retired, new, trust list)."""
    old, receipts = _records(log)
    at = log.meta.clock_ms + 60_000
    new = KeyRecord(TEST_ORIGIN, KeyPurpose.LOG, NoteSigner(TEST_ORIGIN, NEW_SEED).public_key, at)
    retired = KeyRecord(old.name, old.purpose, old.public_key, old.valid_from, valid_until=at)
    store = log.store()
    store.append(AppendRequest("key.added", at, key_added_body(new, by="u-admin")))
    store.append(
        AppendRequest("key.retired", at, key_retired_body(retired, reason="rotasi", by="u-admin"))
    )
    store.close()
    return retired, new, build_trust_list([retired, new, receipts]).to_json()


def _append_with(log: LogUnderTest, seed: bytes, count: int) -> None:
    engine = create_engine_for(log.url)
    store = LogStore(engine, signer=NoteSigner(TEST_ORIGIN, seed), origin=TEST_ORIGIN)
    at = log.meta.clock_ms + 120_000
    for i in range(count):
        body = {"tracking_no": f"ADU-K{i}", "paid_claimed": 0, "text_commitment": "4" * 64}
        store.append(AppendRequest("complaint.filed", at + i, body))
    store.close()
    engine.dispose()


def _audit(log: LogUnderTest, trust_list: bytes) -> list[tuple[str, int | None, BreakKind | None]]:
    with DatabaseSource.open(log.url, origin=TEST_ORIGIN, trust_list=trust_list) as source:
        result = run_audit(source, INLINE)
    return [(f.code, f.seq, f.kind) for f in result.integrity_findings]


def test_a_rotated_log_key_verifies(honest_log: LogUnderTest) -> None:
    _, _, trust_list = _rotate(honest_log)
    _append_with(honest_log, NEW_SEED, 3)
    assert _audit(honest_log, trust_list) == []


def test_a_new_log_key_registered_in_the_log_verifies_with_the_old_trust_list(
    honest_log: LogUnderTest,
) -> None:
    _rotate(honest_log)
    _append_with(honest_log, NEW_SEED, 3)
    found = _audit(honest_log, honest_log.meta.trust_list)
    # Checkpoints verify (the rotation was signed by the old key); the stale trust list
    # still calls the old key active, which the audit points out.
    assert [code for code, _, _ in found] == ["integrity.trust_list"]


def test_attack_retired_log_key_keeps_signing(honest_log: LogUnderTest) -> None:
    _, _, trust_list = _rotate(honest_log)
    size = honest_log.audit().scope.checkpoint_size
    _append_with(honest_log, honest_log.signer.seed, 2)
    found = _audit(honest_log, trust_list)
    assert found[0] == ("integrity.key_lifecycle", size, BreakKind.KEY_LIFECYCLE)
    assert {code for code, _, _ in found} == {"integrity.key_lifecycle"}


def test_attack_receipt_signed_by_a_key_the_log_never_registered(
    honest_log: LogUnderTest,
) -> None:
    seq = honest_log.meta.receipts[9]
    engine = honest_log.attacker()
    rogue = KeyPair(hashlib.sha256(b"rogue receipts key").digest())
    claims = decode_claims(parse_sign1(tamper.attachment(engine, seq)).payload)
    data = tamper.entry_data(engine, seq)
    body = json.loads(data)["body"]
    resigned = ReceiptClaims(
        office_code=body["office"],
        counter_code=body["counter"],
        number=body["receipt_no"],
        ledger_index=seq,
        issued_at=claims.issued_at,
        service_code=body["service"],
        schedule_version=body["schedule"],
        official_fee=body["official_fee"],
        amount_charged=body["charged"],
        kind=ReceiptKind.NORMAL,
        commitment=commitment_from_leaf_hash(hashlib.sha256(b"\x00" + data).digest()),
        waiver_ref=body.get("waiver"),
    )
    tamper.replace_attachment(engine, seq, sign_receipt(resigned, rogue))
    old, receipts = _records(honest_log)
    # The forger also slipped the key into the trust list the inspector was given.
    planted = KeyRecord("receipts-rogue", KeyPurpose.RECEIPTS, rogue.public_key, FIXED_START_MS)
    found = _audit(honest_log, build_trust_list([old, receipts, planted]).to_json())
    assert ("integrity.key_lifecycle", seq, BreakKind.KEY_LIFECYCLE) in found
    assert ("integrity.trust_list", None, BreakKind.UNKNOWN_KEY) in found
    # Without the planted key the signature belongs to nobody.
    found = _audit(honest_log, honest_log.meta.trust_list)
    assert found == [("integrity.unknown_key", seq, BreakKind.UNKNOWN_KEY)]
