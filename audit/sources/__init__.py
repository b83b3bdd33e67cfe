"""The two adapters of :class:`audit.source.AuditSource`: a live database and a bundle."""

from audit.sources.bundle import BundleSource
from audit.sources.database import DatabaseSource

__all__ = ["BundleSource", "DatabaseSource"]
