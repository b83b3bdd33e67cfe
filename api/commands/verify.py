"""``bukti verify INPUT [--keys FILE | --server URL]``: check a receipt offline.

Exit status: 0 the receipt is valid, 1 it is not (the reason is printed), 2 usage error
or no trust list to check against.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TextIO

import httpx

from api.settings import Settings
from receipts import (
    ReceiptVerificationError,
    TrustList,
    TrustListError,
    VerifiedReceipt,
    extract_payload,
    format_rupiah,
    format_wib_long,
    short_code,
    verify_receipt,
)

__all__ = ["TRUST_LIST_PATH", "register", "run"]

TRUST_LIST_PATH: Final = "/.well-known/bukti/keys.json"
_BASE32: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcdefghijklmnopqrstuvwxyz234567")
_FETCH_TIMEOUT_S: Final = 10.0

EPILOG = """examples:
  bukti verify 'https://bekasikab.go.id/bukti/v#2KCE3IQB…'
  bukti verify kuitansi.pdf --keys keys.json
  bukti verify foto-kuitansi.jpg --server https://bekasikab.go.id/bukti

INPUT is a receipt link, its Base32 code, a photo (PNG/JPEG), a receipt PDF, or '-'
for standard input. The trust list comes from --keys FILE, from --server URL
(URL/.well-known/bukti/keys.json), or by default from $BUKTI_DATA_DIR/keys.json.

exit status: 0 valid, 1 invalid (the reason is printed), 2 usage or no trust list.
"""


class _UsageError(Exception):
    """The command cannot run as asked; exit status 2."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="verify a receipt offline (link, code, photo or PDF)",
        description="Verify a Bukti receipt against a trust list, without the server's log.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", metavar="INPUT", help="receipt link, code, image, PDF or '-'")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--keys", type=Path, metavar="FILE", help="trust list file (keys.json)")
    source.add_argument("--server", metavar="URL", help="fetch the trust list from this server")
    parser.set_defaults(handler=run)


def _read_input(text: str, stdin: Any) -> str | bytes:
    if text == "-":
        data: bytes = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read().encode()
        return data
    path = Path(text)
    try:
        if "#" not in text and path.is_file():
            return path.read_bytes()
    except OSError:
        pass  # e.g. a Base32 code longer than a file name may be

    if "://" in text or "#" in text or set(text.strip()) <= _BASE32:
        return text
    raise _UsageError(f"{text!r} is neither a receipt link or code nor a readable file")


def _trust_list_from_file(path: Path) -> TrustList:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _UsageError(
            f"cannot read trust list {path}: {exc.strerror}; give one with --keys FILE "
            "or --server URL"
        ) from exc
    try:
        return TrustList.from_json(data)
    except TrustListError as exc:
        raise _UsageError(f"trust list {path} is not valid: {exc}") from exc


def _trust_list_from_server(server: str, transport: httpx.BaseTransport | None) -> TrustList:
    url = server.rstrip("/") + TRUST_LIST_PATH
    try:
        with httpx.Client(transport=transport, timeout=_FETCH_TIMEOUT_S) as client:
            response = client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise _UsageError(f"cannot fetch the trust list from {url}: {exc}") from exc
    if response.status_code != 200:
        raise _UsageError(f"{url} answered HTTP {response.status_code}; expected 200")
    try:
        return TrustList.from_json(response.content)
    except TrustListError as exc:
        raise _UsageError(f"the trust list from {url} is not valid: {exc}") from exc


def _print_valid(result: VerifiedReceipt, out: TextIO) -> None:
    claims = result.claims
    rows = [
        ("service", f"{claims.service_code} (schedule {claims.schedule_version})"),
        ("official fee", format_rupiah(claims.official_fee)),
        ("amount charged", format_rupiah(claims.amount_charged)),
        ("when", format_wib_long(claims.issued_at_ms)),
        ("where", f"office {claims.office_code}, counter {claims.counter_code}"),
        ("kind", claims.kind.name.lower()),
        ("ledger entry", str(claims.ledger_index)),
        ("check code", short_code(result.cose)),
        ("signed by", f"{result.key.name} ({result.key.status} key)"),
    ]
    if claims.waiver_ref is not None:
        rows.insert(3, ("waiver", claims.waiver_ref))
    if claims.voided_number is not None:
        rows.insert(0, ("voids receipt", claims.voided_number))
    print(f"VALID receipt {claims.number}", file=out)
    for label, value in rows:
        print(f"  {label + ':':<16}{value}", file=out)
    print("  The signature is genuine. Whether the receipt is in the public log and", file=out)
    print("  not voided is shown on the verify page (or by `bukti audit`).", file=out)


def run(
    args: argparse.Namespace,
    *,
    transport: httpx.BaseTransport | None = None,
    now_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    stdin: Any = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Handler of ``bukti verify``; ``transport``, ``now_ms`` and streams are for tests."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        data = _read_input(args.input, stdin or sys.stdin)
        if args.server:
            trust_list = _trust_list_from_server(args.server, transport)
        else:
            trust_list = _trust_list_from_file(args.keys or Settings().data_dir / "keys.json")
    except _UsageError as exc:
        print(f"bukti verify: {exc}", file=err)
        return 2
    try:
        result = verify_receipt(extract_payload(data), trust_list, at_ms=now_ms())
    except ReceiptVerificationError as exc:
        print(f"INVALID receipt ({exc.code}): {exc}", file=out)
        return 1
    _print_valid(result, out)
    return 0
