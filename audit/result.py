"""The outcome of one audit: scope, verdict, findings and the tables behind them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from audit.findings import Category, Finding, Severity
from audit.options import AuditOptions
from audit.patterns import PatternTables
from audit.reconciliation import DepositRow, ReconciliationRow

__all__ = ["AuditResult", "Scope"]

#: Findings that follow from a break of the entries (a root no longer matching, receipts
#: no longer committing): when a break of the entries is located, it comes first.
_CONSEQUENCES = {
    "integrity.receipt_mismatch": 1,
    "integrity.receipt_missing": 1,
    "integrity.root_mismatch": 2,
    "integrity.inconsistent": 2,
    "integrity.unsigned": 2,
}


@dataclass(frozen=True, slots=True)
class Scope:
    """What was audited: where from, pinned to which signed checkpoint, over what period."""

    source: str
    origin: str
    checkpoint_size: int
    checkpoint_root: bytes | None  # None when no checkpoint could be read
    checkpoint_note: bytes | None
    entries_read: int
    period_from: int | None  # UTC ms of the oldest entry
    period_to: int | None  # UTC ms of the newest entry
    since_size: int | None  # --since-checkpoint: the size the inspector had verified
    trust_anchor: str  # where the trust list came from
    signatures_checked: bool
    options: AuditOptions


@dataclass(frozen=True, slots=True)
class AuditResult:
    scope: Scope
    findings: tuple[Finding, ...]
    #: Findings counted but not kept (more than the per-code limit), by code.
    overflow: Mapping[str, int]
    entries_by_kind: Mapping[str, int]
    checkpoints_seen: int
    checkpoints_verified: int
    receipts_checked: int
    reconciliation: tuple[ReconciliationRow, ...]
    deposits: tuple[DepositRow, ...]
    patterns: PatternTables
    #: The newest checkpoint whose root the audit recomputed: (size, root, signed note).
    verified_checkpoint: tuple[int, bytes, bytes] | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def integrity_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.category is Category.INTEGRITY)

    @property
    def integrity_holds(self) -> bool:
        return not self.integrity_findings and not any(
            code.startswith("integrity.") for code in self.overflow
        )

    @property
    def first_break(self) -> Finding | None:
        """The integrity finding at the lowest ``seq`` (the first place the log is bad)."""
        located = [f for f in self.integrity_findings if f.seq is not None]
        exact = [f for f in located if f.code not in _CONSEQUENCES]
        if located:
            return min(exact or located, key=lambda f: (f.seq, _CONSEQUENCES.get(f.code, 0)))
        return self.integrity_findings[0] if self.integrity_findings else None

    @property
    def compliance_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.category is not Category.INTEGRITY)

    def count(self, severity: Severity | None = None, category: Category | None = None) -> int:
        return sum(
            1
            for f in self.findings
            if (severity is None or f.severity is severity)
            and (category is None or f.category is category)
        )

    def exit_status(self, *, strict: bool = False) -> int:
        """0 integrity holds; 1 broken (or, with ``strict``, any compliance finding above
        *info*)."""
        if not self.integrity_holds:
            return 1
        if strict and any(
            f.severity is not Severity.INFO and f.category is Category.COMPLIANCE
            for f in self.findings
        ):
            return 1
        return 0
