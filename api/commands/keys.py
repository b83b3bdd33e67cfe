"""``bukti keys list|rotate|retire`` — the deployment's signing keys."""

from __future__ import annotations

import argparse
import sys

from api.errors import ServiceError
from api.services.bootstrap import SYSTEM_ACTOR
from api.services.container import open_services
from api.services.key_admin import list_keys, retire_key, rotate_log_key, rotate_receipts_key
from api.settings import Settings
from ledger.errors import LedgerError
from receipts.errors import ReceiptsError

__all__ = ["register"]

EPILOG = """examples:
  bukti keys list
  bukti keys rotate                          new receipts key; the old one is retired
  bukti keys rotate --purpose log            new log key signs every later checkpoint
  bukti keys retire 84f266a57d62a115 --reason "kunci bocor"
The trust list (<data dir>/keys.json, /.well-known/bukti/keys.json) is rewritten; retired
keys stay in it with their validity, so what they signed keeps verifying.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "keys",
        help="list, rotate or retire signing keys",
        description="Manage the log and receipts signing keys.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser(
        "list",
        help="every key with purpose and status",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    ).set_defaults(handler=_list)
    rotate = actions.add_parser(
        "rotate",
        help="rotate the receipts key (default) or the log key",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rotate.add_argument(
        "--purpose",
        choices=("receipts", "log"),
        default="receipts",
        help="which key to rotate (default: receipts)",
    )
    rotate.set_defaults(handler=_rotate)
    retire = actions.add_parser(
        "retire",
        help="retire a receipts key by kid",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    retire.add_argument("kid", help="hex COSE key id")
    retire.add_argument("--reason", required=True)
    retire.set_defaults(handler=_retire)


def _fail(exc: Exception) -> int:
    print(f"bukti keys: {exc}", file=sys.stderr)
    return 1


def _list(args: argparse.Namespace) -> int:
    try:
        with open_services(Settings()) as services:
            records = list_keys(services)
    except (ServiceError, LedgerError, ReceiptsError) as exc:
        return _fail(exc)
    for r in records:
        ident = r.kid.hex() if r.purpose.value == "receipts" else r.verifier_key
        print(f"{r.purpose.value:<9} {r.status.value:<8} {r.name:<28} {ident}")
    return 0


def _rotate(args: argparse.Namespace) -> int:
    try:
        with open_services(Settings()) as services:
            if args.purpose == "log":
                record = rotate_log_key(services, SYSTEM_ACTOR)
                key_file = services.key_files.rotated_log_key_path(record.kid)
            else:
                record = rotate_receipts_key(services, SYSTEM_ACTOR)
    except (ServiceError, LedgerError, ReceiptsError) as exc:
        return _fail(exc)
    if record.verifier_key is not None:
        print(f"new log key {record.verifier_key}; the previous key is retired")
        print(f"every server of this log needs the private key file {key_file}")
    else:
        print(f"new receipts key {record.name}; the previous key is retired")
    return 0


def _retire(args: argparse.Namespace) -> int:
    try:
        with open_services(Settings()) as services:
            record = retire_key(services, args.kid, args.reason, SYSTEM_ACTOR)
    except (ServiceError, LedgerError, ReceiptsError) as exc:
        return _fail(exc)
    print(f"retired {record.name} from {record.valid_until} ms")
    return 0
