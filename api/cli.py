"""The ``bukti`` command line.

Each sub-command lives in its own module under :mod:`api.commands` and exposes
``register(subparsers)``; this module only assembles them and dispatches.
Every command reads the same ``BUKTI_`` settings as the server.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from api import commands

EPILOG = """examples:
  bukti init                      create the database, keys, demo offices and the default schedule
  bukti serve --port 8000         serve the web service
  bukti verify 'https://…/v#…'    verify a receipt offline
  bukti audit --bundle ./export   audit an exported bundle
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bukti",
        description="Bukti — fee-transparency ledger (Kabupaten Bekasi).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"api.commands.{info.name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        result: int = handler(args)
    except ValidationError as exc:  # BUKTI_ settings that cannot be used
        print(f"bukti {args.command}: {_settings_problem(exc)}", file=sys.stderr)
        return 2
    return result


def _settings_problem(exc: ValidationError) -> str:
    """One line per unusable setting, named as its environment variable."""
    lines = ["the BUKTI_ settings cannot be used:"]
    for error in exc.errors(include_url=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["loc"]:
            name = "_".join(str(part) for part in error["loc"]).upper()
            message = f"BUKTI_{name}: {message}"
        lines.append(f"  {message}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
