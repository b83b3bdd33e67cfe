"""The inspectorate's independent audit of a Bukti log (DESIGN §5).

Audit a live database or an exported bundle with no trust in the server::

    from audit import AuditOptions, BundleSource, run_audit
    result = run_audit(BundleSource(Path("export")), AuditOptions())
    result.integrity_holds, result.first_break, result.findings

Export a bundle with :func:`write_bundle`; render the result with
:func:`audit.report.to_json_document`, :func:`audit.report.write_csv`,
:func:`audit.report.write_pdf` or :func:`audit.report.terminal_summary`.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audit.calendar import OfficeHours
    from audit.errors import (
        AuditError,
        BundleError,
        BundleFormatError,
        DatabaseSourceError,
        ExportError,
        ManifestError,
        ReportError,
        SavedCheckpointError,
        SourceError,
        TrustAnchorError,
    )
    from audit.export import write_bundle
    from audit.findings import CATALOGUE, BreakKind, Category, Finding, Severity
    from audit.options import AuditOptions, PatternThresholds
    from audit.result import AuditResult, Scope
    from audit.runner import run_audit
    from audit.source import AuditSource
    from audit.sources import BundleSource, DatabaseSource

#: Where each name of the package lives. They are imported on first use (PEP 562), so that
#: a process that needs only part of the audit — a worker process checking entries — does
#: not import the database adapter and its driver.
_WHERE: dict[str, str] = {
    "AuditError": "audit.errors",
    "AuditOptions": "audit.options",
    "AuditResult": "audit.result",
    "AuditSource": "audit.source",
    "BreakKind": "audit.findings",
    "BundleError": "audit.errors",
    "BundleFormatError": "audit.errors",
    "BundleSource": "audit.sources",
    "CATALOGUE": "audit.findings",
    "Category": "audit.findings",
    "DatabaseSource": "audit.sources",
    "DatabaseSourceError": "audit.errors",
    "ExportError": "audit.errors",
    "Finding": "audit.findings",
    "ManifestError": "audit.errors",
    "OfficeHours": "audit.calendar",
    "PatternThresholds": "audit.options",
    "ReportError": "audit.errors",
    "SavedCheckpointError": "audit.errors",
    "Scope": "audit.result",
    "Severity": "audit.findings",
    "SourceError": "audit.errors",
    "TrustAnchorError": "audit.errors",
    "run_audit": "audit.runner",
    "write_bundle": "audit.export",
}


if not TYPE_CHECKING:  # type checkers see the imports above

    def __getattr__(name: str) -> Any:
        module = _WHERE.get(name)
        if module is None:
            raise AttributeError(f"module 'audit' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value


__all__ = [
    "CATALOGUE",
    "AuditError",
    "AuditOptions",
    "AuditResult",
    "AuditSource",
    "BreakKind",
    "BundleError",
    "BundleFormatError",
    "BundleSource",
    "Category",
    "DatabaseSource",
    "DatabaseSourceError",
    "ExportError",
    "Finding",
    "ManifestError",
    "OfficeHours",
    "PatternThresholds",
    "ReportError",
    "SavedCheckpointError",
    "Scope",
    "Severity",
    "SourceError",
    "TrustAnchorError",
    "run_audit",
    "write_bundle",
]
