"""The audit on worker processes gives exactly the in-process result."""

from __future__ import annotations

from audit import AuditOptions
from tests.audit import tamper
from tests.audit.conftest import LogUnderTest


def test_workers_find_what_the_inline_audit_finds(honest_log: LogUnderTest) -> None:
    seq = honest_log.meta.receipts[30]
    engine = honest_log.attacker()
    cose = tamper.attachment(engine, seq)
    tamper.replace_attachment(engine, seq, cose[:-1] + bytes([cose[-1] ^ 1]))
    inline = honest_log.audit()
    pooled = honest_log.audit(AuditOptions(workers=2))
    assert [(f.code, f.seq) for f in pooled.findings] == [(f.code, f.seq) for f in inline.findings]
    assert pooled.receipts_checked == inline.receipts_checked
    assert ("integrity.receipt_signature", seq) in [(f.code, f.seq) for f in pooled.findings]
