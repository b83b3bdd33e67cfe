"""The inspectorate's independent audit of a Bukti log (DESIGN §5).

Audit a live database or an exported bundle with no trust in the server::

    from audit import AuditOptions, BundleSource, run_audit
    result = run_audit(BundleSource(Path("export")), AuditOptions())
    result.integrity_holds, result.first_break, result.findings

Export a bundle with :func:`write_bundle`; render the result with
:func:`audit.report.to_json_document`, :func:`audit.report.write_csv`,
:func:`audit.report.write_pdf` or :func:`audit.report.terminal_summary`.
"""

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
