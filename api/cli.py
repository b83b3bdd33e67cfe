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
    result: int = handler(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
