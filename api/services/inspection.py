"""The inspectorate's tools on the live database: an audit run and an export bundle.

Both are implemented by :mod:`audit` (the independent verifier); this module only
calls them with the deployment's database, trust list and settings. When the audit
package does not provide them, the endpoints answer 503 instead of guessing.
"""

from __future__ import annotations

import importlib
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from api.errors import ServiceUnavailableError
from api.settings import Settings

__all__ = ["InspectionService"]


def _audit_function(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise ServiceUnavailableError(
            f"expected {module}.{name} from the audit package, found it missing",
            "Fitur audit belum tersedia di server ini.",
            retry_after_s=3600,
        ) from None


class InspectionService:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def run_audit(self, deposit_deadline_working_days: int | None) -> dict[str, Any]:
        """Audit the live database; the report as a JSON value."""
        run = _audit_function("audit.live", "audit_database")
        days = (
            deposit_deadline_working_days
            if deposit_deadline_working_days is not None
            else self._settings.deposit_deadline_working_days
        )
        report = run(
            self._settings.resolved_database_url,
            trust_list=self._settings.trust_list_path.read_bytes(),
            origin=self._settings.origin,
            deposit_deadline_working_days=days,
        )
        result: dict[str, Any] = report.to_json_value()
        return result

    def export_zip(self) -> bytes:
        """An export bundle of the live database, zipped."""
        write_bundle = _audit_function("audit.bundle", "write_bundle")
        with tempfile.TemporaryDirectory(prefix="bukti-export-") as tmp:
            out = Path(tmp) / "bundle"
            write_bundle(
                self._settings.resolved_database_url,
                out,
                trust_list=self._settings.trust_list_path.read_bytes(),
                origin=self._settings.origin,
            )
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(out.rglob("*")):
                    if path.is_file():
                        archive.write(path, path.relative_to(out).as_posix())
            return buffer.getvalue()
