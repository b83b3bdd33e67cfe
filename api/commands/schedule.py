"""``bukti schedule validate|show|publish`` — the retribusi schedule from the command line.

``validate`` and ``show`` work on a file and need no database. ``publish`` appends a
``schedule.published`` entry through :func:`api.services.schedules.publish_file`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from ledger.schedule import (
    NoScheduleInForce,
    ScheduleError,
    ScheduleValidationError,
    ScheduleVersion,
    default_schedule,
    document_sha256,
    format_wib,
    parse_json,
    parse_toml,
    parse_wib,
    resolve_version,
)

__all__ = ["UsageError", "load_schedule", "parse_at", "register"]

_FILE_HELP = "schedule file (TOML, or JSON if it ends in .json)"
_AT_HELP = (
    "moment to use, WIB: YYYY-MM-DDTHH:MM or YYYY-MM-DD (default: now); "
    "a version applies only from its effective time"
)

VALIDATE_EPILOG = """example:
  bukti schedule validate jadwal-2025.toml
exit status: 0 valid, 1 invalid (every problem is listed), 2 usage error
"""
SHOW_EPILOG = """examples:
  bukti schedule show                          the schedule shipped with Bukti
  bukti schedule show --file jadwal-2025.toml --at 2025-07-01
"""
PUBLISH_EPILOG = """example:
  bukti schedule publish jadwal-2025.toml --publisher admin.bapenda
the version's effective time must be later than every entry already in the log
"""
SCHEDULE_EPILOG = """examples:
  bukti schedule validate jadwal-2025.toml
  bukti schedule show --at 2025-07-01
  bukti schedule publish jadwal-2025.toml --publisher admin.bapenda
format: docs/schedule-format.md
"""


class UsageError(Exception):
    """A command-line argument cannot be used (exit status 2)."""


def load_schedule(path: Path | None) -> ScheduleVersion:
    """The schedule in ``path`` (TOML, or JSON by suffix), or the shipped default.

    Raises :class:`UsageError` if the file cannot be read and
    :class:`ScheduleValidationError` if it is not a valid schedule.
    """
    if path is None:
        return default_schedule()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if path.suffix.lower() == ".json":
        return parse_json(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not UTF-8 text (byte {exc.start})") from exc
    return parse_toml(text)


def parse_at(text: str | None) -> int:
    """UTC milliseconds of a WIB ``--at`` value; now when ``None``."""
    if text is None:
        return time.time_ns() // 1_000_000
    try:
        return parse_wib(text, allow_date=True)
    except ValueError as exc:
        raise UsageError(f"--at: {exc}") from exc


def _usage(message: str) -> int:
    print(f"bukti: {message}", file=sys.stderr)
    return 2


def _print_problems(source: str, error: ScheduleValidationError) -> None:
    print(f"TIDAK SAH / invalid: {source}: {len(error.problems)} problem(s)")
    for problem in error.problems:
        print(f"  {problem}")


def _validate(args: argparse.Namespace) -> int:
    try:
        version = load_schedule(args.file)
    except UsageError as exc:
        return _usage(str(exc))
    except ScheduleValidationError as exc:
        _print_problems(str(args.file), exc)
        return 1
    unverified = sum(item.unverified for item in version.items)
    print(f"SAH / valid: {args.file}")
    print(f"  version {version.id} — {version.title}")
    print(f"  effective from {format_wib(version.effective_from_ms)}")
    print(f"  {len(version.items)} items, {unverified} not yet verified (provenance S/U)")
    print(f"  sha256 {document_sha256(version)}")
    return 0


def _show(args: argparse.Namespace) -> int:
    try:
        version = load_schedule(args.file)
        at_ms = parse_at(args.at)
    except UsageError as exc:
        return _usage(str(exc))
    except ScheduleValidationError as exc:
        _print_problems(str(args.file), exc)
        return 1
    try:
        resolve_version(version, at_ms)
    except NoScheduleInForce as exc:
        print(f"Tidak ada jadwal yang berlaku / no schedule in force: {exc}")
        return 1
    source = str(args.file) if args.file else "jadwal bawaan Bukti (shipped default)"
    print(f"{version.title}")
    print(f"Versi {version.id} · berlaku sejak {format_wib(version.effective_from_ms)}")
    print(f"Dasar hukum: {version.legal_basis}")
    print(f"Sumber: {source} · sha256 {document_sha256(version)}")
    for item in version.items:
        print()
        print(f"{item.code}  {item.name}")
        print(f"    {item.category.label} · {item.tariff.summary()} · {item.unit}")
        print(f"    Dasar: {item.legal_ref}")
        print(f"    Label asal angka: {item.provenance.value} ({item.provenance.label})")
        if item.warning_id:
            print(f"    ! {item.warning_id}")
    return 0


def _publish(args: argparse.Namespace) -> int:
    try:
        version = load_schedule(args.file)
    except UsageError as exc:
        return _usage(str(exc))
    except ScheduleValidationError as exc:
        _print_problems(str(args.file), exc)
        return 1
    # Publishing needs the storage-backed service; imported only when used.
    from api.services.schedules import publish_file  # noqa: PLC0415
    from api.settings import Settings  # noqa: PLC0415

    try:
        published = publish_file(Settings(), args.file, args.publisher)
    except ScheduleError as exc:
        print(f"DITOLAK / refused: {exc}")
        return 1
    print(f"Diterbitkan / published: {published.version} (sha256 {published.sha256})")
    print(f"  effective from {format_wib(version.effective_from_ms)}")
    print(f"  in force from {format_wib(published.in_force_from)}")
    return 0


def register(subparsers: Any) -> None:
    """Add ``bukti schedule`` and its sub-commands."""
    parser = subparsers.add_parser(
        "schedule",
        help="validate, show or publish a retribusi schedule",
        description="Work with retribusi schedule versions (jadwal retribusi).",
        epilog=SCHEDULE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=lambda _args: (parser.print_help(), 2)[1])
    sub = parser.add_subparsers(dest="schedule_command", metavar="ACTION")

    validate = sub.add_parser(
        "validate",
        help="check a schedule file and list every problem",
        description="Check a schedule document; every problem is listed with item and field.",
        epilog=VALIDATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    validate.add_argument("file", metavar="FILE", type=Path, help=_FILE_HELP)
    validate.set_defaults(handler=_validate)

    show = sub.add_parser(
        "show",
        help="print the items of a schedule with fees and provenance",
        description="Print every item: code, name, category, fee or inputs, legal "
        "reference and provenance label.",
        epilog=SHOW_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    show.add_argument(
        "--file", type=Path, default=None, help=f"{_FILE_HELP}; default: the shipped schedule"
    )
    show.add_argument("--at", metavar="TIME", default=None, help=_AT_HELP)
    show.set_defaults(handler=_show)

    publish = sub.add_parser(
        "publish",
        help="publish a schedule version to the log",
        description="Validate a schedule file and append it to the log as a new version. "
        "No retroactive changes: its effective time must lie after the latest log entry.",
        epilog=PUBLISH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    publish.add_argument("file", metavar="FILE", type=Path, help=_FILE_HELP)
    publish.add_argument(
        "--publisher", required=True, metavar="ACCOUNT", help="administrator account publishing"
    )
    publish.set_defaults(handler=_publish)
