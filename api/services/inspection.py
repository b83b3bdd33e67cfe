"""The inspectorate's tools on the live database: an audit run and an export bundle.

Both are the independent verifier's (:mod:`audit`, DESIGN §5): this module only opens a
:class:`audit.DatabaseSource` on the deployment's database with its published trust list
(``<data_dir>/keys.json``) and calls :func:`audit.run_audit` or :func:`audit.write_bundle`.
Nothing of the running service is trusted beyond the database and the trust list. The
JSON API (``POST /api/v1/audits``) and the inspectorate page both come through here.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from api.errors import ServiceUnavailableError
from api.settings import Settings
from audit import AuditError, AuditOptions, AuditResult, DatabaseSource, run_audit, write_bundle

__all__ = ["InspectionService"]


class InspectionService:
    def __init__(self, settings: Settings, *, clock: Callable[[], int]) -> None:
        self._settings = settings
        self._clock = clock

    def _source(self) -> DatabaseSource:
        trust = self._settings.trust_list_path
        try:
            return DatabaseSource.open(
                self._settings.resolved_database_url,
                origin=self._settings.origin,
                trust_list=trust.read_bytes() if trust.is_file() else None,
            )
        except AuditError as exc:
            raise ServiceUnavailableError(
                f"expected the log to be readable for an audit, found: {exc}",
                "Log tidak dapat dibaca untuk audit saat ini.",
            ) from exc

    def run_audit(self, deposit_deadline_working_days: int | None = None) -> AuditResult:
        """Audit the live database in this process; the result holds every finding.

        ``deposit_deadline_working_days`` defaults to the deployment's setting. Raises
        :class:`ServiceUnavailableError` when the audit cannot run at all (the log or the
        trust list unreadable); a broken log is a result, not an error.
        """
        days = (
            deposit_deadline_working_days
            if deposit_deadline_working_days is not None
            else self._settings.deposit_deadline_working_days
        )
        options = AuditOptions(
            deposit_deadline_days=days, holidays=self._settings.holidays, workers=0
        )
        with self._source() as source:
            try:
                return run_audit(source, options)
            except AuditError as exc:
                raise ServiceUnavailableError(
                    f"expected the audit of the live log to run, found: {exc}",
                    "Audit tidak dapat dijalankan saat ini.",
                ) from exc

    def export_zip(self) -> bytes:
        """An audit bundle of the live database, pinned to its newest checkpoint, zipped."""
        with tempfile.TemporaryDirectory(prefix="bukti-export-") as tmp:
            out = Path(tmp) / "bundle"
            with self._source() as source:
                write_bundle(source, out, exported_at=self._clock())
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(out.rglob("*")):
                    if path.is_file():
                        archive.write(path, path.relative_to(out).as_posix())
            return buffer.getvalue()
