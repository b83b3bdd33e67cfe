"""The one error hierarchy of :mod:`audit`.

::

    AuditError
     ├── SourceError                 an audit source cannot be read at all
     │    ├── BundleError            a bundle directory is not a readable Bukti bundle
     │    │    ├── BundleFormatError     a file is missing or not in the documented layout
     │    │    └── ManifestError         manifest.json is missing, malformed or unsupported
     │    └── DatabaseSourceError    the database cannot be read (unreachable, no schema)
     ├── ExportError                 an export bundle cannot be written
     ├── TrustAnchorError            no usable trust list to verify signatures against
     ├── SavedCheckpointError        the checkpoint file of ``--since-checkpoint`` is unusable
     └── ReportError                 a report (JSON, CSV, PDF) cannot be produced

Findings about the log itself (tampering, compliance) are never raised: the audit
collects them as :class:`audit.findings.Finding` values and carries on, so one bad entry
does not hide the next. An :class:`AuditError` means the audit could not be *run* —
the command line maps it to exit status 2.

Messages say what was expected and what was found.
"""

from __future__ import annotations

__all__ = [
    "AuditError",
    "BundleError",
    "BundleFormatError",
    "DatabaseSourceError",
    "ExportError",
    "ManifestError",
    "ReportError",
    "SavedCheckpointError",
    "SourceError",
    "TrustAnchorError",
]


class AuditError(Exception):
    """Base of every error raised by :mod:`audit`."""


class SourceError(AuditError):
    """An audit source (database or bundle) cannot be read at all."""


class BundleError(SourceError):
    """A directory is not a readable Bukti audit bundle."""


class BundleFormatError(BundleError):
    """A bundle file is missing, or its content is not in the documented layout."""


class ManifestError(BundleError):
    """``manifest.json`` is missing, malformed, or of an unsupported format version."""


class DatabaseSourceError(SourceError):
    """The database cannot be read (unreachable, not migrated, no checkpoint yet)."""


class ExportError(AuditError):
    """An export bundle cannot be written (target not empty, source unreadable)."""


class TrustAnchorError(AuditError):
    """No trust list was given or found, or it does not parse: nothing to verify against."""


class SavedCheckpointError(AuditError):
    """The saved checkpoint of ``--since-checkpoint`` is unreadable or does not verify."""


class ReportError(AuditError):
    """A report could not be produced (unwritable target, invalid document)."""
