"""The tamper suite: each attack on a populated log, triggers dropped, must be caught,
classified and localized to the entry it touched — and the honest log must stay clean."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from audit import AuditResult, BreakKind, Category
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.encoding import Entry, canonical_json, encode_entry
from ledger.merkle import leaf_hash
from ledger.note import NoteSigner
from ledger.storage import AppendRequest
from tests.audit import tamper
from tests.audit.conftest import LogUnderTest, build
from tests.conftest import TEST_ORIGIN


def integrity(result: AuditResult) -> list[tuple[str, int | None]]:
    return [(f.code, f.seq) for f in result.integrity_findings]


def test_honest_log_has_no_integrity_finding(honest_log: LogUnderTest) -> None:
    result = honest_log.audit()
    assert result.integrity_holds, integrity(result)
    assert result.exit_status() == 0
    assert (
        result.receipts_checked
        == len(honest_log.meta.receipts) + result.entries_by_kind["receipt.voided"]
    )
    assert result.checkpoints_verified == result.checkpoints_seen > 100
    assert not [f for f in result.findings if f.code in _BREACHES]


#: Compliance codes an honest log must not produce (attempts refused at the counter are
#: evidence, not breaches; waivers are listed for information).
_BREACHES = {
    "compliance.free_service_charged",
    "compliance.overcharge_accepted",
    "compliance.undercharge_without_waiver",
    "compliance.official_fee_mismatch",
    "compliance.void_not_supervisor",
    "compliance.void_unknown_receipt",
    "compliance.void_repeated",
    "compliance.closing_mismatch",
    "compliance.deposit_mismatch",
    "compliance.deposit_late",
    "compliance.undeposited_day",
    "compliance.malformed_body",
    "compliance.unknown_reference",
    "compliance.rejection_mismatch",
    "compliance.schedule_invalid",
}


def test_attack_change_one_byte_of_a_receipt_amount(honest_log: LogUnderTest) -> None:
    seq = honest_log.seqs["receipt.amount"]
    engine = honest_log.attacker()
    tamper.rewrite_entry(engine, seq, lambda d: tamper.change_one_digit(d, "charged"))
    result = honest_log.audit()
    assert not result.integrity_holds
    first = result.first_break
    assert first is not None
    assert (first.code, first.seq, first.kind) == ("integrity.changed", seq, BreakKind.CHANGED)
    codes = {f.code for f in result.integrity_findings if f.seq == seq}
    assert "integrity.receipt_mismatch" in codes  # the signed receipt says otherwise
    assert any(f.code == "integrity.root_mismatch" for f in result.integrity_findings)
    assert result.exit_status() == 1


def test_attack_delete_an_entry(honest_log: LogUnderTest) -> None:
    seq = honest_log.meta.receipts[10]
    tamper.delete_entry(honest_log.attacker(), seq)
    result = honest_log.audit()
    first = result.first_break
    assert first is not None
    assert (first.code, first.seq, first.kind) == ("integrity.missing", seq, BreakKind.MISSING)
    assert first.evidence["missing"] == [seq, seq]


def test_attack_insert_a_forged_entry(honest_log: LogUnderTest) -> None:
    seq = honest_log.meta.receipts[20]
    engine = honest_log.attacker()
    original = json.loads(tamper.entry_data(engine, seq))
    before = tamper.entry_data(engine, seq - 1)
    forged_body = {**original["body"], "charged": 1, "receipt_no": "FORGED/1"}
    forged = encode_entry(
        Entry(seq, "receipt.issued", original["at"] - 1, leaf_hash(before), forged_body)
    )
    tamper.insert_entry(engine, seq, forged)
    result = honest_log.audit()
    first = result.first_break
    assert first is not None
    assert (first.code, first.seq, first.kind) == ("integrity.inserted", seq, BreakKind.INSERTED)
    assert first.evidence["inserted_leaf_hash"] == leaf_hash(forged).hex()


def test_attack_swap_two_entries(honest_log: LogUnderTest) -> None:
    first_seq, second_seq = honest_log.meta.receipts[5], honest_log.meta.receipts[30]
    tamper.swap_entries(honest_log.attacker(), first_seq, second_seq)
    result = honest_log.audit()
    reordered = [f.seq for f in result.integrity_findings if f.code == "integrity.reordered"]
    assert reordered == [first_seq, second_seq]
    first = result.first_break
    assert first is not None
    assert (first.seq, first.kind) == (first_seq, BreakKind.REORDERED)


def test_attack_swap_two_neighbouring_entries(honest_log: LogUnderTest) -> None:
    seq = honest_log.meta.receipts[40]
    tamper.swap_entries(honest_log.attacker(), seq, seq + 1)
    result = honest_log.audit()
    first = result.first_break
    assert first is not None
    assert (first.code, first.seq) == ("integrity.reordered", seq)
    chain = {"integrity.changed", "integrity.missing", "integrity.inserted", "integrity.reordered"}
    assert [f.code for f in result.integrity_findings if f.code in chain] == ["integrity.reordered"]


def test_attack_truncate_behind_a_signed_checkpoint(honest_log: LogUnderTest) -> None:
    size = honest_log.meta.receipts[-5]
    tamper.truncate(honest_log.attacker(), size, keep_checkpoints=True)
    result = honest_log.audit()
    first = result.first_break
    assert first is not None
    assert (first.code, first.seq, first.kind) == ("integrity.truncated", size, BreakKind.TRUNCATED)


def test_attack_history_rewrite_is_caught_by_the_saved_checkpoint(
    honest_log: LogUnderTest,
) -> None:
    before = honest_log.audit()
    assert before.verified_checkpoint is not None
    saved = before.verified_checkpoint[2]  # what the inspector keeps after an audit
    size = honest_log.meta.receipts[-10]
    tamper.truncate(honest_log.attacker(), size, keep_checkpoints=False)
    store = honest_log.store()  # the real log key signs the rewritten history
    forged = {"tracking_no": "ADU-REWRITE", "paid_claimed": 0, "text_commitment": "0" * 64}
    for i in range(40):
        store.append(AppendRequest("complaint.filed", honest_log.meta.clock_ms + i, dict(forged)))
    store.close()
    plain = honest_log.audit()
    assert plain.integrity_holds  # every stored checkpoint agrees with the rewritten log
    result = honest_log.audit(since_note=saved)
    assert not result.integrity_holds
    kinds = {f.kind for f in result.integrity_findings}
    assert BreakKind.INCONSISTENT in kinds
    rewritten = [f for f in result.integrity_findings if f.code == "integrity.inconsistent"]
    assert rewritten[0].evidence["saved_size"] == before.scope.checkpoint_size


def test_attack_truncation_below_the_saved_checkpoint(honest_log: LogUnderTest) -> None:
    saved = honest_log.audit().verified_checkpoint
    assert saved is not None
    size = honest_log.meta.receipts[-3]
    tamper.truncate(honest_log.attacker(), size, keep_checkpoints=False)
    result = honest_log.audit(since_note=saved[2])
    truncated = [f for f in result.integrity_findings if f.kind is BreakKind.TRUNCATED]
    assert truncated
    assert truncated[0].seq == size


def test_attack_replace_a_receipt_signature(honest_log: LogUnderTest) -> None:
    seq = honest_log.meta.receipts[3]
    engine = honest_log.attacker()
    cose = tamper.attachment(engine, seq)
    tamper.replace_attachment(engine, seq, cose[:-64] + bytes(64))
    result = honest_log.audit()
    first = result.first_break
    assert first is not None
    assert (first.code, first.seq, first.kind) == (
        "integrity.receipt_signature",
        seq,
        BreakKind.BAD_SIGNATURE,
    )
    assert len(result.integrity_findings) == 1


def test_attack_retroactive_schedule_by_editing_the_stored_entry(
    honest_log: LogUnderTest,
) -> None:
    seq = honest_log.seqs["schedule"]

    def raise_tariff(data: bytes) -> bytes:
        entry = json.loads(data)
        for item in entry["body"]["document"]["items"]:
            if item["code"] == "RJU-SMP-01":
                item["tariff"]["rate"] = 13000
        document = canonical_json(entry["body"]["document"])
        entry["body"]["sha256"] = hashlib.sha256(document).hexdigest()
        entry["body"]["size"] = len(document)
        return canonical_json(entry)

    tamper.rewrite_entry(honest_log.attacker(), seq, raise_tariff)
    result = honest_log.audit()
    first = result.first_break
    assert first is not None
    assert (first.code, first.seq, first.kind) == ("integrity.changed", seq, BreakKind.CHANGED)


def test_attack_forged_checkpoint_signature(honest_log: LogUnderTest) -> None:
    engine = honest_log.attacker()
    size = honest_log.meta.receipts[50] + 1
    note = tamper.checkpoint_note(engine, size)
    lines = note.split(b"\n")
    signature = bytearray(lines[-2])
    signature[-5] ^= 0x01  # flip one bit in the base64 of the signature
    lines[-2] = bytes(signature)
    tamper.replace_checkpoint(engine, size, b"\n".join(lines))
    result = honest_log.audit()
    found = [(f.code, f.seq) for f in result.integrity_findings]
    assert found[0][1] == size - 1
    assert found[0][0] in {"integrity.checkpoint_signature", "integrity.checkpoint_malformed"}


def test_attack_checkpoint_signed_by_an_unknown_key(honest_log: LogUnderTest) -> None:
    engine = honest_log.attacker()
    size = honest_log.meta.receipts[50] + 1
    body = tamper.checkpoint_note(engine, size).split(b"\n\n")[0].decode() + "\n"
    rogue = NoteSigner(TEST_ORIGIN, bytes(32))
    note = sign_checkpoint(Checkpoint.parse(body), rogue).note
    tamper.replace_checkpoint(engine, size, note)
    result = honest_log.audit()
    assert [(f.code, f.seq, f.kind) for f in result.integrity_findings] == [
        ("integrity.unknown_key", size - 1, BreakKind.UNKNOWN_KEY)
    ]


def test_attack_entry_slipped_in_after_the_newest_checkpoint(honest_log: LogUnderTest) -> None:
    engine = honest_log.attacker()
    result = honest_log.audit()
    size = result.scope.checkpoint_size
    last = tamper.entry_data(engine, size - 1)
    forged = encode_entry(
        Entry(
            size,
            "complaint.updated",
            1,
            leaf_hash(last),
            {"tracking_no": "X", "status": "resolved", "by": "x"},
        )
    )
    tamper.insert_entry(engine, size, forged)
    result = honest_log.audit()
    assert [(f.code, f.seq, f.kind) for f in result.integrity_findings] == [
        ("integrity.unsigned", size, BreakKind.INSERTED)
    ]


def test_attack_undeposited_day(tmp_path: Path, log_signer: NoteSigner) -> None:
    path = tmp_path / "undeposited.sqlite3"
    url = f"sqlite:///{path}"
    office = "32.16.20-DISPENDA"
    meta = build(url, log_signer, days=4, skip_deposit=(office, 0))
    log = LogUnderTest(url, meta, log_signer)
    result = log.audit()
    assert result.integrity_holds
    undeposited = [f for f in result.findings if f.code == "compliance.undeposited_day"]
    assert len(undeposited) == 1
    finding = undeposited[0]
    assert (finding.office, finding.date) == (office, "2025-01-01")
    assert finding.category is Category.COMPLIANCE
    row = next(r for r in result.reconciliation if (r.office, r.date) == (office, "2025-01-01"))
    assert row.status == "undeposited"
    assert (
        finding.seq == max(s for s in meta.receipts if s < meta.seqs["closing"])
        or finding.seq is not None
    )
    assert result.exit_status() == 0
    assert result.exit_status(strict=True) == 1
    log.close()


def test_attack_void_by_a_counter_role_written_directly_into_the_log(
    honest_log: LogUnderTest,
) -> None:
    target = honest_log.meta.receipts[-1]
    engine = honest_log.attacker()
    body = json.loads(tamper.entry_data(engine, target))["body"]
    petugas = honest_log.meta.users[f"counter:{body['office']}:{body['counter']}"]
    store = honest_log.store()
    entry = store.append(
        AppendRequest(
            "receipt.voided",
            honest_log.meta.clock_ms + 1000,
            {
                "receipt_seq": target,
                "receipt_no": body["receipt_no"],
                "office": body["office"],
                "reason": "dibatalkan sendiri",
                "requested_by": petugas,
                "approved_by": petugas,
                "approver_role": "counter",
            },
        )
    )
    store.close()
    result = honest_log.audit()
    voids = [f for f in result.findings if f.code == "compliance.void_not_supervisor"]
    assert [f.seq for f in voids] == [entry.seq]
    # The entry is in the log legitimately: only its missing receipt is an integrity matter.
    assert integrity(result) == [("integrity.receipt_missing", entry.seq)]


def test_attack_entry_rewritten_as_non_canonical_json(honest_log: LogUnderTest) -> None:
    seq = honest_log.meta.receipts[15]
    tamper.rewrite_entry(honest_log.attacker(), seq, lambda d: d.replace(b",", b", ", 1))
    first = honest_log.audit().first_break
    assert first is not None
    assert (first.code, first.seq, first.kind) == (
        "integrity.non_canonical",
        seq,
        BreakKind.CHANGED,
    )


def test_attack_garbage_checkpoint_note(honest_log: LogUnderTest) -> None:
    engine = honest_log.attacker()
    size = honest_log.meta.receipts[20] + 1
    tamper.replace_checkpoint(engine, size, b"\xff not a note")
    result = honest_log.audit()
    assert [f.code for f in result.integrity_findings] == ["integrity.checkpoint_malformed"]
