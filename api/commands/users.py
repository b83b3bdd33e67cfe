"""``bukti users add|list|token|revoke`` — staff accounts and API tokens."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from base64 import urlsafe_b64encode

from api.errors import ServiceError
from api.services.bootstrap import SYSTEM_ACTOR
from api.services.container import open_services
from api.settings import Settings
from ledger.errors import LedgerError

__all__ = ["register"]

EPILOG = """examples:
  bukti users add siti.loket --role counter --office 32.16.20-DUKCAPIL --name "Siti"
  bukti users token siti.loket --label kasir-1     prints a token once
  bukti users revoke siti.loket --reason "pindah tugas"
  bukti users revoke --token t-8xk2m4q7wz3n
  bukti users list
roles: counter, supervisor, treasurer (bound to an office), inspector, admin
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "users",
        help="manage staff accounts and API tokens",
        description="Add, list and revoke staff accounts; create and revoke API tokens.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add",
        help="create an account",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add.add_argument("username")
    add.add_argument("--role", required=True, help="counter|supervisor|treasurer|inspector|admin")
    add.add_argument("--office", help="office code, for counter, supervisor and treasurer")
    add.add_argument("--name", help="display name (kept outside the log)")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.set_defaults(handler=_add)
    token = actions.add_parser(
        "token",
        help="create an API token (printed once)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    token.add_argument("username")
    token.add_argument("--label", default="api", help="what the token is for")
    token.set_defaults(handler=_token)
    revoke = actions.add_parser(
        "revoke",
        help="revoke an account or one token",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    revoke.add_argument("username", nargs="?")
    revoke.add_argument("--token", help="revoke only this token id")
    revoke.add_argument("--reason", default="dicabut oleh administrator")
    revoke.set_defaults(handler=_revoke)
    listing = actions.add_parser(
        "list",
        help="list accounts",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listing.set_defaults(handler=_list)


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """The new password and whether it was generated (then it is printed once)."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    if sys.stdin.isatty():
        first = getpass.getpass("Password (empty: generate one): ")
        if first:
            if getpass.getpass("Repeat password: ") != first:
                raise ValueError("the passwords differ")
            return first, False
    return urlsafe_b64encode(os.urandom(12)).decode("ascii"), True


def _fail(exc: Exception) -> int:
    print(f"bukti users: {exc}", file=sys.stderr)
    return 1


def _add(args: argparse.Namespace) -> int:
    try:
        password, generated = _password(args)
        with open_services(Settings()) as services:
            row = services.staff.add_user(
                args.username,
                display_name=args.name or args.username,
                role=args.role,
                office=args.office,
                password=password,
                by=SYSTEM_ACTOR,
            )
    except (ServiceError, LedgerError, ValueError) as exc:
        return _fail(exc)
    print(f"added {row.username} ({row.role}{', ' + row.office if row.office else ''}) id {row.id}")
    if generated:
        print(f"password (shown once): {password}")
    return 0


def _token(args: argparse.Namespace) -> int:
    try:
        with open_services(Settings()) as services:
            issued = services.staff.issue_token(args.username, args.label)
    except (ServiceError, LedgerError) as exc:
        return _fail(exc)
    print(f"token id {issued.credential_id} for {args.username}; the token is shown once:")
    print(issued.token)
    return 0


def _revoke(args: argparse.Namespace) -> int:
    if not args.username and not args.token:
        print("bukti users revoke: give a user name or --token ID", file=sys.stderr)
        return 2
    try:
        with open_services(Settings()) as services:
            if args.token:
                services.staff.revoke_token(args.token)
                print(f"revoked token {args.token}")
            else:
                services.staff.revoke_user(args.username, args.reason, SYSTEM_ACTOR)
                print(f"revoked {args.username} and all their tokens and sessions")
    except (ServiceError, LedgerError) as exc:
        return _fail(exc)
    return 0


def _list(args: argparse.Namespace) -> int:
    try:
        with open_services(Settings()) as services:
            users = services.staff.users()
    except (ServiceError, LedgerError) as exc:
        return _fail(exc)
    for u in users:
        state = "revoked" if u.revoked_at is not None else "active"
        print(f"{u.username:<22} {u.id:<16} {u.role:<11} {u.office or '-':<20} {state}")
    return 0
