"""``bukti audit`` — the inspectorate's independent audit of a database or an exported bundle."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from api.settings import Settings
from audit import (
    AuditError,
    AuditOptions,
    AuditResult,
    AuditSource,
    BundleSource,
    DatabaseSource,
    OfficeHours,
    run_audit,
)
from audit.calendar import parse_holidays
from audit.report import ProgressBar, terminal_summary, to_json_bytes, write_csv, write_pdf

__all__ = ["register"]

EPILOG = """examples:
  bukti audit --bundle ./export                          audit an exported bundle offline
  bukti audit --bundle ./export --keys keys.json --pdf laporan.pdf --csv ./csv
  bukti audit --db postgresql+psycopg://auditor@db/bukti --json report.json
  bukti audit --bundle ./export --since-checkpoint ./last-checkpoint
  bukti audit                                            the server's own database (BUKTI_ settings)

exit status: 0 integrity holds; 1 integrity broken (or, with --strict, any compliance
finding); 2 usage error or the audit could not run.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "audit",
        help="verify a log (database or bundle) and check it against the rules",
        description=(
            "Re-derive every entry, the hash chain and the Merkle tree; verify every checkpoint "
            "and receipt signature; re-check charges against the schedule then in force; "
            "reconcile closings and deposits; list patterns worth a look."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--db", metavar="URL", help="database URL (default: BUKTI_DATABASE_URL)")
    where.add_argument("--bundle", metavar="DIR", type=Path, help="an exported audit bundle")
    parser.add_argument(
        "--keys",
        metavar="FILE",
        type=Path,
        help="trust list to verify against (default: the bundle's keys.json, or the server's)",
    )
    parser.add_argument("--origin", help="expected log origin (default: BUKTI_ORIGIN)")
    parser.add_argument(
        "--json", metavar="FILE", help="write the JSON report to FILE ('-': stdout)"
    )
    parser.add_argument(
        "--csv", metavar="DIR", type=Path, help="write findings.csv, reconciliation.csv …"
    )
    parser.add_argument("--pdf", metavar="FILE", type=Path, help="write the PDF report")
    parser.add_argument("--strict", action="store_true", help="exit 1 on compliance findings too")
    parser.add_argument(
        "--no-signatures",
        action="store_true",
        help="skip receipt signature checks (much faster; checkpoints are still verified)",
    )
    parser.add_argument(
        "--deposit-deadline-days",
        type=_non_negative,
        metavar="N",
        help="working days (Mon–Fri) to deposit a day's money (default: 1)",
    )
    parser.add_argument(
        "--office-hours", metavar="HH:MM-HH:MM", help="office hours in WIB (default: 07:30-16:00)"
    )
    parser.add_argument(
        "--holidays",
        metavar="FILE",
        type=Path,
        help=(
            "public holidays and cuti bersama, one YYYY-MM-DD per line: not working days "
            "(default: BUKTI_HOLIDAYS_FILE, or none)"
        ),
    )
    parser.add_argument(
        "--since-checkpoint",
        metavar="FILE",
        type=Path,
        help="verify only what is new since the checkpoint saved in FILE, then save the new one",
    )
    parser.add_argument(
        "--workers", type=_non_negative, metavar="N", help="worker processes (default: all cores)"
    )
    parser.set_defaults(handler=run)


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, found {value}")
    return value


def _fail(message: str) -> int:
    print(f"bukti audit: {message}", file=sys.stderr)
    return 2


def _options(args: argparse.Namespace, settings: Settings) -> AuditOptions:
    hours = OfficeHours.parse(args.office_hours) if args.office_hours else OfficeHours()
    deadline = (
        args.deposit_deadline_days
        if args.deposit_deadline_days is not None
        else settings.deposit_deadline_working_days
    )
    holidays = settings.holidays
    if args.holidays is not None:
        try:
            text = args.holidays.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read the holiday list {args.holidays}: {exc}") from exc
        holidays = parse_holidays(text)
    return AuditOptions(
        deposit_deadline_days=deadline,
        office_hours=hours,
        holidays=holidays,
        verify_signatures=not args.no_signatures,
        workers=args.workers,
    )


def _open_source(args: argparse.Namespace, settings: Settings) -> AuditSource:
    if args.bundle is not None:
        source: AuditSource = BundleSource(args.bundle)
        if args.origin is not None and args.origin != source.origin:
            raise AuditError(f"expected a bundle of log {args.origin!r}, found {source.origin!r}")
        return source
    url = args.db or settings.resolved_database_url
    trust = settings.trust_list_path
    return DatabaseSource.open(
        url,
        origin=args.origin or settings.origin,
        trust_list=trust.read_bytes() if trust.is_file() else None,
    )


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        options = _options(args, settings)
    except ValueError as exc:
        return _fail(str(exc))
    try:
        trust = args.keys.read_bytes() if args.keys is not None else None
        since_note = None
        if args.since_checkpoint is not None and args.since_checkpoint.exists():
            since_note = args.since_checkpoint.read_bytes()
    except OSError as exc:
        return _fail(f"cannot read {exc.filename}: {exc.strerror}")
    progress = ProgressBar(sys.stderr, "audit")
    try:
        source = _open_source(args, settings)
        try:
            result = run_audit(
                source,
                options,
                trust_list=trust,
                trust_label=str(args.keys) if args.keys is not None else None,
                since_note=since_note,
                progress=progress,
            )
        finally:
            progress.close()
            close = getattr(source, "close", None)
            if close is not None:
                close()
        _write_outputs(args, result)
    except AuditError as exc:
        return _fail(str(exc))
    if args.since_checkpoint is not None and result.integrity_holds and result.verified_checkpoint:
        _save_checkpoint(args.since_checkpoint, result.verified_checkpoint[2])
    return result.exit_status(strict=args.strict)


def _write_outputs(args: argparse.Namespace, result: AuditResult) -> None:
    summary_stream = sys.stderr if args.json == "-" else sys.stdout
    summary_stream.write(terminal_summary(result, strict=args.strict))
    if args.json is not None:
        data = to_json_bytes(result, strict=args.strict)
        if args.json == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            _write_file(Path(args.json), data)
    if args.csv is not None:
        write_csv(result, args.csv)
    if args.pdf is not None:
        write_pdf(result, args.pdf, strict=args.strict)


def _write_file(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise AuditError(f"cannot write {path}: {exc.strerror}") from exc


def _save_checkpoint(path: Path, note: bytes) -> None:
    """Keep the newest verified checkpoint for the next ``--since-checkpoint`` run."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(note)
    os.replace(temporary, path)
