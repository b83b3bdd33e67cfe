"""The audit result for a terminal: a short summary, and a progress bar for long runs."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import TextIO

from audit.findings import Category, Severity
from audit.result import AuditResult
from ledger.schedule.wib import format_wib

__all__ = ["ProgressBar", "terminal_summary"]

_LISTED = 25


def terminal_summary(result: AuditResult, *, strict: bool = False) -> str:
    """A summary of ``result`` in plain text, gravest findings first."""
    scope = result.scope
    lines = [f"Bukti audit — {scope.source}"]
    root = scope.checkpoint_root.hex()[:16] + "…" if scope.checkpoint_root else "-"
    lines.append(
        f"  Log          : {scope.origin}, checkpoint size {scope.checkpoint_size}, root {root}"
    )
    if scope.period_from is not None and scope.period_to is not None:
        lines.append(
            f"  Period       : {format_wib(scope.period_from)} .. {format_wib(scope.period_to)} "
            f"({scope.entries_read} entries)"
        )
    if scope.since_size is not None:
        lines.append(
            f"  Since        : saved checkpoint of size {scope.since_size} (only newer reported)"
        )
    signatures = f"checkpoints {result.checkpoints_verified}/{result.checkpoints_seen}, " + (
        f"receipts {result.receipts_checked}"
        if scope.signatures_checked
        else "receipts not checked (--no-signatures)"
    )
    lines.append(f"  Signatures   : {signatures}; trust anchor: {scope.trust_anchor}")
    lines.append("")
    first = result.first_break
    if result.integrity_holds:
        lines.append("INTEGRITY HOLDS — the log, its checkpoints and receipts are as signed.")
    else:
        where = f"seq {first.seq}" if first is not None and first.seq is not None else "-"
        kind = first.kind.value if first is not None and first.kind is not None else "-"
        lines.append(f"INTEGRITY BROKEN — first bad entry: {where} ({kind})")
        if first is not None:
            lines.append(f"  {first.message}")
    lines.append("")
    counts = ", ".join(f"{s.value} {result.count(severity=s)}" for s in Severity)
    lines.append(f"Findings: {len(result.findings)} ({counts})")
    for finding in result.findings[:_LISTED]:
        where = f"seq {finding.seq}" if finding.seq is not None else ""
        severity = f"[{finding.severity.value.upper()}]"
        lines.append(f"  {severity:10} {finding.code:36} {where:>10}  {finding.message}")
    hidden = len(result.findings) - _LISTED + sum(result.overflow.values())
    if hidden > 0:
        lines.append(f"  … and {hidden} more (see --json, --csv or --pdf)")
    statuses = Counter(r.status for r in result.reconciliation)
    if statuses:
        listing = ", ".join(f"{status} {n}" for status, n in sorted(statuses.items()))
        lines.append("")
        lines.append(f"Reconciliation: {len(result.reconciliation)} office-days ({listing})")
    compliance = result.count(category=Category.COMPLIANCE)
    status = result.exit_status(strict=strict)
    lines.append("")
    lines.append(
        f"Exit status {status}"
        + (" (compliance findings count: --strict)" if strict and compliance else "")
    )
    return "\n".join(lines) + "\n"


class ProgressBar:
    """A one-line progress bar on a terminal; silent when ``stream`` is not a TTY."""

    def __init__(
        self, stream: TextIO, label: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._stream = stream
        self._label = label
        self._enabled = stream.isatty()
        self._clock = clock
        self._start = clock()
        self._last = -1.0

    def __call__(self, done: int, total: int) -> None:
        if not self._enabled:
            return
        now = self._clock()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        fraction = min(done / total, 1.0) if total else 1.0
        width = 30
        filled = int(fraction * width)
        rate = done / max(now - self._start, 1e-9)
        bar = "#" * filled + "-" * (width - filled)
        self._stream.write(f"\r{self._label} [{bar}] {done}/{total} entries, {rate:,.0f}/s")
        self._stream.flush()

    def close(self) -> None:
        if self._enabled:
            self._stream.write("\n")
            self._stream.flush()
