"""What must hold after any crash, fault or load: checks shared by the robustness suites.

- :func:`check_status` — ``GET /api/v1/receipts/{seq}/status`` answers, its checkpoint
  verifies with the trusted log key, and the inclusion proof (RFC 9162 §2.1.3.2) leads to
  that checkpoint's root;
- :func:`check_acknowledged` — every receipt the client saw acknowledged is stored under
  its seq, is the very COSE receipt the client got, verifies offline against the trust list
  from the data directory and commits to its entry's leaf hash;
- :func:`check_log` — the whole log verifies (``ledger.verify.LogVerifier``), has no gap
  and no duplicate seq, every receipt number series is gapless, and no two receipts share
  a number;
- :func:`verify_problem` — an error response is RFC 9457 problem+json.
"""

from __future__ import annotations

import base64
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ledger.checkpoint import open_checkpoint
from ledger.encoding import decode_entry
from ledger.merkle import leaf_hash, verify_inclusion
from ledger.note import NoteVerifier
from ledger.storage import LogStore
from receipts import TrustList, commitment_from_leaf_hash, extract_payload, verify_receipt
from tests.robustness.harness import ServerHarness

__all__ = [
    "Ack",
    "LogFacts",
    "check_acknowledged",
    "check_log",
    "check_status",
    "cose_of",
    "verify_problem",
]

RECEIPT_ATTACHMENT = "receipt.cose"
_NUMBER = re.compile(r"^(?P<series>.+)/(?P<n>\d+)$")


@dataclass(frozen=True, slots=True)
class Ack:
    """An issuance the client saw acknowledged (HTTP 2xx)."""

    key: str
    seq: int
    receipt_no: str
    cose: bytes


def cose_of(body: Mapping[str, Any]) -> bytes:
    """The COSE receipt bytes inside a receipt response (its QR URL)."""
    return extract_payload(str(body["qr_url"]))


def verify_problem(response: httpx.Response) -> dict[str, Any]:
    """The problem document of an error response; asserts RFC 9457 shape."""
    assert response.headers["content-type"].startswith("application/problem+json"), (
        response.status_code,
        response.headers.get("content-type"),
        response.text[:300],
    )
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    assert isinstance(body["type"], str)
    assert body["type"]
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body.get("detail"), str)
    return body


def check_status(
    client: httpx.Client, seq: int, verifier: NoteVerifier, origin: str
) -> dict[str, Any]:
    """The status endpoint's answer for ``seq``, after checking its proof end to end."""
    response = client.get(f"/api/v1/receipts/{seq}/status")
    assert response.status_code == 200, (seq, response.status_code, response.text[:300])
    body: dict[str, Any] = response.json()
    signed = open_checkpoint(body["checkpoint"].encode("utf-8"), [verifier], origin=origin)
    assert signed.checkpoint.size == body["tree_size"] > seq
    entry = base64.b64decode(body["entry"])
    assert leaf_hash(entry).hex() == body["leaf_hash"]
    # RFC 9162 §2.1.3.2 against the root of the checkpoint returned with the status.
    verify_inclusion(
        leaf_hash(entry),
        seq,
        body["tree_size"],
        [bytes.fromhex(h) for h in body["inclusion_proof"]],
        signed.checkpoint.root,
    )
    return body


def check_acknowledged(store: LogStore, trust: TrustList, acks: Iterable[Ack]) -> int:
    """Every acknowledged receipt is stored, unchanged, verifies and commits to its entry."""
    count = 0
    size = store.size()
    for ack in acks:
        assert ack.seq < size, f"acknowledged receipt {ack.receipt_no} at seq {ack.seq} lost"
        stored = store.entry(ack.seq)
        entry = decode_entry(stored.data)
        assert entry.kind == "receipt.issued", (ack.seq, entry.kind)
        assert entry.body["receipt_no"] == ack.receipt_no
        assert store.attachment(ack.seq, RECEIPT_ATTACHMENT) == ack.cose
        verified = verify_receipt(ack.cose, trust)
        assert verified.claims.ledger_index == ack.seq
        assert verified.claims.number == ack.receipt_no
        assert verified.claims.commitment == commitment_from_leaf_hash(leaf_hash(stored.data))
        count += 1
    return count


@dataclass(frozen=True, slots=True)
class LogFacts:
    """What :func:`check_log` learnt: the size and the seqs of each entry kind."""

    size: int
    by_kind: Mapping[str, tuple[int, ...]]
    receipt_numbers: Mapping[str, int]  # receipt number -> seq

    def seqs(self, kind: str) -> tuple[int, ...]:
        return self.by_kind.get(kind, ())


def check_log(harness: ServerHarness) -> LogFacts:
    """The log verifies, has no gap or duplicate, and its receipt numbers are gapless."""
    report = harness.verify_log()  # raises ChainError at the first break
    assert report.ok, report.findings
    assert report.unvouched == 0, f"{report.unvouched} entries not covered by a checkpoint"
    by_kind: dict[str, list[int]] = defaultdict(list)
    numbers: dict[str, int] = {}
    series: dict[str, list[int]] = defaultdict(list)
    expected = 0
    with harness.log_store() as store:
        for stored in store.entries(0, report.size):
            assert stored.seq == expected, f"gap or duplicate: expected seq {expected}"
            expected += 1
            entry = decode_entry(stored.data)
            by_kind[entry.kind].append(stored.seq)
            if entry.kind == "receipt.issued":
                number = str(entry.body["receipt_no"])
                assert number not in numbers, f"receipt number {number} issued twice"
                numbers[number] = stored.seq
                match = _NUMBER.match(number)
                assert match is not None, number
                series[match["series"]].append(int(match["n"]))
    assert expected == report.size
    for name, drawn in series.items():
        assert sorted(drawn) == list(range(1, len(drawn) + 1)), f"series {name} has a gap"
    return LogFacts(
        size=report.size,
        by_kind={k: tuple(v) for k, v in by_kind.items()},
        receipt_numbers=numbers,
    )


def summary(figures: Mapping[str, object]) -> str:
    """One line of measured figures for the test log (``pytest -rA`` shows it)."""
    return "robustness: " + json.dumps(dict(figures), sort_keys=True)
