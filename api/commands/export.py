"""``bukti export`` — write a self-contained audit bundle of the log (docs/audit-bundle.md)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from api.settings import Settings
from audit import AuditError, DatabaseSource, write_bundle
from audit.report import ProgressBar

__all__ = ["register"]

EPILOG = """examples:
  bukti export --out ./export-2025-01          pinned to the newest signed checkpoint
  bukti audit --bundle ./export-2025-01        audit it anywhere, offline
The bundle holds no personal data: entries, checkpoints, receipts, keys.json, schedules.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "export",
        help="write an audit bundle of the log",
        description=(
            "Copy the log, pinned to its newest signed checkpoint, with every checkpoint, the "
            "signed receipts, the trust list and the schedules, into a new directory."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out", metavar="DIR", type=Path, required=True, help="a new or empty directory"
    )
    parser.add_argument("--db", metavar="URL", help="database URL (default: BUKTI_DATABASE_URL)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    trust = settings.trust_list_path
    progress = ProgressBar(sys.stderr, "export")
    try:
        with DatabaseSource.open(
            args.db or settings.resolved_database_url,
            origin=settings.origin,
            trust_list=trust.read_bytes() if trust.is_file() else None,
        ) as source:
            manifest = write_bundle(
                source, args.out, exported_at=int(time.time() * 1000), progress=progress
            )
    except (AuditError, OSError) as exc:
        progress.close()
        print(f"bukti export: {exc}", file=sys.stderr)
        return 2
    progress.close()
    print(f"Bundle      : {args.out}")
    print(f"Log         : {manifest.origin}")
    print(f"Pinned to   : checkpoint of size {manifest.size}, root {manifest.root.hex()}")
    print(
        f"Contents    : {manifest.entries} entries, {manifest.checkpoints} checkpoints, "
        f"{manifest.receipts} receipts, {manifest.schedules} schedule documents"
    )
    print(f"Audit it    : bukti audit --bundle {args.out}")
    return 0
