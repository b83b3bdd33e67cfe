"""``bukti quote CODE key=value…`` — the official fee of a service, with its breakdown."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from api.commands.schedule import UsageError, load_schedule, parse_at
from ledger.schedule import (
    InvalidInputsError,
    NoScheduleInForce,
    ScheduleError,
    ScheduleValidationError,
    UnknownServiceError,
    format_wib,
    quote,
)

__all__ = ["register"]

EPILOG = """examples:
  bukti quote RJU-PSR-01 hari=3
  bukti quote RPT-PBG-01 LLt=235 It=0.773 Ibg=1
  bukti quote RJU-KES-01 --file jadwal-2025.toml --at 2025-07-01
decimals use a dot (0.773); `bukti schedule show` lists each service's inputs.
exit status: 0 quoted, 1 unknown service or invalid inputs, 2 usage error
"""


def _parse_pairs(pairs: list[str]) -> dict[str, str]:
    inputs: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"expected key=value, found {pair!r}")
        if name in inputs:
            raise UsageError(f"input {name!r} given twice")
        inputs[name] = value
    return inputs


def _quote(args: argparse.Namespace) -> int:
    try:
        inputs = _parse_pairs(args.inputs)
        version = load_schedule(args.file)
        at_ms = parse_at(args.at)
    except UsageError as exc:
        print(f"bukti quote: {exc}", file=sys.stderr)
        return 2
    except ScheduleValidationError as exc:
        print(f"invalid schedule file {args.file}: {len(exc.problems)} problem(s)")
        for problem in exc.problems:
            print(f"  {problem}")
        return 1
    try:
        result = quote(version, args.code, inputs, at_ms)
    except InvalidInputsError as exc:
        print(f"Isian tidak sah / invalid inputs for {exc.service_code}:")
        for input_problem in exc.problems:
            print(f"  - {input_problem.message_id}")
            print(f"    {input_problem.message_en}")
        return 1
    except UnknownServiceError as exc:
        print(f"Kode layanan tidak dikenal / unknown service: {exc}")
        return 1
    except NoScheduleInForce as exc:
        print(f"Tidak ada jadwal yang berlaku / no schedule in force: {exc}")
        return 1
    except ScheduleError as exc:
        print(f"Tidak dapat dihitung / cannot be computed: {exc}")
        return 1

    print(f"{result.service_code}  {result.service_name}")
    print(f"Jadwal {result.version_id} · {format_wib(at_ms)} · {result.unit}")
    width = max(len(line.label) for line in result.breakdown)
    for line in result.breakdown:
        print(f"  {line.label.ljust(width)}  {line.value}")
    print(f"Dasar hukum: {result.legal_ref}")
    if result.free:
        print("Layanan ini GRATIS: tidak boleh dipungut biaya apa pun.")
    if result.warning_id:
        print(f"! {result.warning_id}")
    return 0


def register(subparsers: Any) -> None:
    """Add ``bukti quote``."""
    parser = subparsers.add_parser(
        "quote",
        help="compute the official fee of a service",
        description="Compute the official fee (tarif resmi) of a service from its inputs, "
        "with the breakdown, legal reference and provenance warning.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("code", metavar="CODE", help="service code, e.g. RJU-PSR-01")
    parser.add_argument("inputs", metavar="key=value", nargs="*", help="declared inputs")
    parser.add_argument(
        "--file",
        type=Path,
        default=None,
        help="schedule file (TOML or JSON); default: the shipped schedule",
    )
    parser.add_argument(
        "--at", metavar="TIME", default=None, help="moment, WIB: YYYY-MM-DDTHH:MM or YYYY-MM-DD"
    )
    parser.set_defaults(handler=_quote)
