"""``bukti init`` — database, keys, trust list, demo offices and staff, default schedule."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.engine import make_url

from api.errors import ServiceError
from api.services.bootstrap import initialize
from api.settings import Settings
from ledger.errors import LedgerError
from receipts.errors import ReceiptsError

__all__ = ["register"]

EPILOG = """examples:
  bukti init                                  SQLite in ./var, demo offices and staff
  BUKTI_DATABASE_URL=postgresql+psycopg://bukti@db/bukti BUKTI_DEMO=false bukti init
Safe to run twice: every step already done is skipped.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "init",
        help="create the database, keys, demo data and the default schedule",
        description="Prepare a data directory and database for serving (idempotent).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        report = initialize(settings)
    except (ServiceError, LedgerError, ReceiptsError) as exc:
        print(f"bukti init: {exc}", file=sys.stderr)
        return 1
    base = settings.public_url.rstrip("/")
    print(f"Data directory : {settings.data_dir.resolve()}")
    print(f"Database       : {_safe_url(settings.resolved_database_url)}")
    print(f"Log            : {settings.origin} ({report.log_size} entries)")
    if report.log_key_created or report.receipts_key_created:
        print(f"Keys created   : {', '.join(report.keys_registered) or 'files only'}")
    print(f"Trust list     : {settings.trust_list_path.resolve()}")
    if report.schedule_published:
        print(f"Schedule       : published {report.schedule_published}")
    if report.offices_added or report.users_added:
        print(
            f"Demo data      : {len(report.offices_added)} offices, "
            f"{len(report.counters_added)} counters, {len(report.users_added)} staff added"
        )
    print()
    print("URLs:")
    print(f"  Verifikasi kuitansi : {base}/v")
    print(f"  Tarif resmi         : {base}/tarif")
    print(f"  Loket               : {base}/loket")
    print(f"  API (OpenAPI)       : {base}/docs")
    print(f"  Checkpoint          : {base}{settings.normalized_tile_prefix}/checkpoint")
    if report.demo_staff:
        print()
        print("Demo staff (DEMO ONLY — never use these passwords in production):")
        for user in report.demo_staff:
            office = user.office or "seluruh kabupaten"
            print(f"  {user.username:<20} {user.password:<22} {user.role:<11} {office}")
    return 0


def _safe_url(url: str) -> str:
    """The database URL without its password."""
    return make_url(url).render_as_string(hide_password=True)
