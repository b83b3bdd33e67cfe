"""The audit on worker processes gives exactly the in-process result."""

from __future__ import annotations

import pytest

from audit import AuditOptions, runner
from audit.parallel import Workers, check_entry_chunk
from tests.audit import tamper
from tests.audit.conftest import LogUnderTest


class _StartedWorkers(Workers):
    """Workers that wait for their processes, so that every job really runs on them."""

    def __init__(self, workers: int | None) -> None:
        super().__init__(workers)
        assert self.ready(timeout=120)
        assert not self.inline


def test_workers_find_what_the_inline_audit_finds(
    honest_log: LogUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    seq = honest_log.meta.receipts[30]
    engine = honest_log.attacker()
    cose = tamper.attachment(engine, seq)
    tamper.replace_attachment(engine, seq, cose[:-1] + bytes([cose[-1] ^ 1]))
    inline = honest_log.audit()
    monkeypatch.setattr(runner, "Workers", _StartedWorkers)
    pooled = honest_log.audit(AuditOptions(workers=2))
    assert [(f.code, f.seq) for f in pooled.findings] == [(f.code, f.seq) for f in inline.findings]
    assert pooled.receipts_checked == inline.receipts_checked
    assert ("integrity.receipt_signature", seq) in [(f.code, f.seq) for f in pooled.findings]


def test_jobs_run_inline_until_the_workers_answer() -> None:
    with Workers(0) as none:
        assert none.inline
        assert not none.ready()
        done = none.submit(check_entry_chunk, ([b"{}"], True))
        assert done.result().problems  # "{}" is no entry
