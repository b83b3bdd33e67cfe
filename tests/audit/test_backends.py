"""The audit on both databases (SQLite and PostgreSQL, via ``db_url``): an honest log and
an attack, read through the same storage layer."""

from __future__ import annotations

from pathlib import Path

from audit import BreakKind, BundleSource, run_audit, write_bundle
from tests.audit import tamper
from tests.audit.conftest import INLINE, LogUnderTest


def test_honest_log_holds(populated: LogUnderTest, tmp_path: Path) -> None:
    result = populated.audit()
    assert result.integrity_holds, [(f.code, f.seq) for f in result.integrity_findings]
    assert result.checkpoints_verified == result.checkpoints_seen
    assert result.receipts_checked > 50
    with populated.source() as source:
        write_bundle(source, tmp_path / "bundle")
    again = run_audit(BundleSource(tmp_path / "bundle"), INLINE)
    assert [(f.code, f.seq) for f in again.findings] == [(f.code, f.seq) for f in result.findings]


def test_attack_change_one_byte_of_a_receipt_amount(populated: LogUnderTest) -> None:
    seq = populated.seqs["receipt.amount"]
    tamper.rewrite_entry(populated.attacker(), seq, lambda d: tamper.change_one_digit(d, "charged"))
    result = populated.audit()
    first = result.first_break
    assert first is not None
    assert (first.code, first.seq, first.kind) == ("integrity.changed", seq, BreakKind.CHANGED)
    assert result.exit_status() == 1


def test_attack_delete_an_entry(populated: LogUnderTest) -> None:
    seq = populated.meta.receipts[12]
    tamper.delete_entry(populated.attacker(), seq)
    first = populated.audit().first_break
    assert first is not None
    assert (first.code, first.seq, first.kind) == ("integrity.missing", seq, BreakKind.MISSING)
