"""Concurrency soak: 64 clients mixing every kind of request against the real server.

For a bounded time (CI: about 20 s per backend; ``make soak``: 5 minutes) 64 client
threads issue receipts (``Idempotency-Key``, retried until acknowledged), reprint them
(PDF, PNG), void them (two supervisors racing for the same receipt now and then), verify
them, read their status with its inclusion proof, and read the checkpoint and tiles.
Afterwards:

- no request got a 5xx;
- no fork: every checkpoint any client saw has the root the final log has at that size;
- no gap and no duplicate ``seq``; every receipt number series is gapless;
- every acknowledged receipt is in the log exactly once (the log's receipts since the
  start are exactly the acknowledged ones), and every acknowledged void exactly once (a
  second void of the same receipt is refused with 409);
- every status proof a client received verified against the checkpoint returned with it.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from ledger.checkpoint import open_checkpoint
from ledger.encoding import decode_entry
from ledger.merkle import TreeBuilder, leaf_hash
from ledger.note import NoteVerifier
from ledger.tiles import entries_path
from tests.robustness.checks import (
    Ack,
    check_acknowledged,
    check_log,
    check_status,
    cose_of,
    summary,
)
from tests.robustness.conftest import BACKENDS, DeploymentFactory
from tests.robustness.harness import ServerHarness, soak_mode
from tests.robustness.load import ISSUES

CLIENTS = 64
CI_SECONDS = 20.0
SOAK_SECONDS = 300.0


@dataclass
class Shared:
    """What the clients learn and record, under one lock."""

    counter_token: str
    supervisor_token: str
    verifier: NoteVerifier
    origin: str
    deadline: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    acks: list[Ack] = field(default_factory=list)
    qr_urls: dict[int, str] = field(default_factory=dict)
    voids: dict[int, int] = field(default_factory=dict)  # receipt seq -> void entry seq
    checkpoints: dict[int, bytes] = field(default_factory=dict)  # size -> root seen
    statuses: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    proofs_verified: int = 0

    def saw_checkpoint(self, size: int, root: bytes) -> None:
        with self.lock:
            known = self.checkpoints.setdefault(size, root)
            if known != root:
                self.unexpected.append(f"fork: two roots for size {size}")

    def pick(self, rng: random.Random) -> Ack | None:
        with self.lock:
            return rng.choice(self.acks) if self.acks else None


def _answer(shared: Shared, op: str, response: httpx.Response, ok: tuple[int, ...]) -> bool:
    with shared.lock:
        shared.statuses[f"{op} {response.status_code}"] += 1
        if response.status_code >= 500:
            shared.server_errors.append(f"{op} {response.status_code} {response.text[:200]}")
        elif response.status_code not in ok:
            shared.unexpected.append(f"{op} {response.status_code} {response.text[:200]}")
    return response.status_code in ok


class Client(threading.Thread):
    def __init__(self, harness: ServerHarness, shared: Shared, number: int) -> None:
        super().__init__(name=f"soak-{number}", daemon=True)
        self.harness = harness
        self.shared = shared
        self.rng = random.Random(number)
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.harness.client(timeout=60) as client:
                while time.monotonic() < self.shared.deadline:
                    self.step(client)
        except BaseException as error:  # reported by the test
            self.error = error

    def step(self, client: httpx.Client) -> None:
        roll = self.rng.random()
        target = self.shared.pick(self.rng)
        if roll < 0.35 or target is None:
            self.issue(client)
        elif roll < 0.42:
            self.reprint(client, target)
        elif roll < 0.50:
            self.void(client, target)
        elif roll < 0.65:
            self.verify(client, target)
        elif roll < 0.85:
            self.status(client, target)
        else:
            self.tiles(client)

    def _staff(self, token: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", **extra}

    def issue(self, client: httpx.Client) -> None:
        key = str(uuid.UUID(int=self.rng.getrandbits(128)))
        body = dict(self.rng.choice(ISSUES))
        headers = self._staff(self.shared.counter_token, **{"Idempotency-Key": key})
        while True:  # retry the same key until acknowledged (never twice charged)
            try:
                response = client.post("/api/v1/receipts", json=body, headers=headers)
                break
            except httpx.TimeoutException:
                continue
        if _answer(self.shared, "issue", response, (200, 201)):
            data = response.json()
            ack = Ack(key, int(data["seq"]), str(data["receipt_no"]), cose_of(data))
            with self.shared.lock:
                self.shared.acks.append(ack)
                self.shared.qr_urls[ack.seq] = str(data["qr_url"])

    def reprint(self, client: httpx.Client, target: Ack) -> None:
        suffix = self.rng.choice((".pdf", ".png"))
        response = client.get(
            f"/api/v1/receipts/{target.seq}{suffix}", headers=self._staff(self.shared.counter_token)
        )
        if _answer(self.shared, "reprint", response, (200,)):
            assert response.content[:4] in (b"%PDF", b"\x89PNG")

    def void(self, client: httpx.Client, target: Ack) -> None:
        response = client.post(
            f"/api/v1/receipts/{target.seq}/void",
            json={"reason": "Salah input (uji beban)"},
            headers=self._staff(self.shared.supervisor_token),
        )
        if _answer(self.shared, "void", response, (201, 409)) and response.status_code == 201:
            with self.shared.lock:
                if target.seq in self.shared.voids:
                    self.shared.unexpected.append(f"receipt {target.seq} voided twice")
                self.shared.voids[target.seq] = int(response.json()["seq"])

    def verify(self, client: httpx.Client, target: Ack) -> None:
        with self.shared.lock:
            url = self.shared.qr_urls[target.seq]
        response = client.post("/api/v1/verify", json={"input": url})
        if _answer(self.shared, "verify", response, (200,)):
            body: dict[str, Any] = response.json()
            assert body["seq"] == target.seq
            assert body["code"] in ("valid", "voided"), body["code"]

    def status(self, client: httpx.Client, target: Ack) -> None:
        body = check_status(client, target.seq, self.shared.verifier, self.shared.origin)
        self.shared.saw_checkpoint(body["tree_size"], _root(body["checkpoint"], self.shared))
        with self.shared.lock:
            self.shared.statuses["status 200"] += 1
            self.shared.proofs_verified += 1

    def tiles(self, client: httpx.Client) -> None:
        response = client.get("/checkpoint")
        if not _answer(self.shared, "checkpoint", response, (200,)):
            return
        size = int(response.text.split("\n")[1])
        self.shared.saw_checkpoint(size, _root(response.text, self.shared))
        width = min(size, 256)
        path = "/" + (entries_path(0, width) if size < 256 else entries_path(0))
        tile = client.get(path)
        _answer(self.shared, "tile", tile, (200,))


def _root(note: str, shared: Shared) -> bytes:
    signed = open_checkpoint(note.encode("utf-8"), [shared.verifier], origin=shared.origin)
    return signed.checkpoint.root


def _run(deployment: DeploymentFactory, backend: str, seconds: float) -> None:
    harness = deployment(backend)
    harness.start()
    baseline = check_log(harness)
    shared = Shared(
        counter_token=harness.login("loket.dlh"),
        supervisor_token=harness.login("spv.dlh"),
        verifier=harness.log_verifier(),
        origin=harness.settings().origin,
        deadline=time.monotonic() + seconds,
    )
    clients = [Client(harness, shared, n) for n in range(CLIENTS)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(seconds + 120)
        assert not client.is_alive(), f"{client.name} hung"
    errors = [repr(c.error) for c in clients if c.error is not None]
    assert not errors, errors[:3]
    assert not shared.server_errors, shared.server_errors[:5]
    assert not shared.unexpected, shared.unexpected[:5]

    facts = check_log(harness)
    acks = shared.acks
    with harness.log_store() as store:
        found = check_acknowledged(store, harness.trust_list(), acks)
        # No fork: every root any client saw is the final log's root at that size.
        builder = TreeBuilder()
        roots: dict[int, bytes] = {}
        wanted = set(shared.checkpoints)
        for stored in store.entries(0, facts.size):
            builder.append(leaf_hash(stored.data))
            if builder.size in wanted:
                roots[builder.size] = builder.root()
        voided = {
            int(decode_entry(store.entry(seq).data).body["receipt_seq"]): seq
            for seq in facts.seqs("receipt.voided")
        }
    assert roots == shared.checkpoints
    new_receipts = set(facts.seqs("receipt.issued")) - set(baseline.seqs("receipt.issued"))
    assert sorted(a.seq for a in acks) == sorted(new_receipts)
    assert voided == shared.voids
    assert facts.size == baseline.size + len(acks) + len(shared.voids)

    figures = {
        "backend": backend,
        "clients": CLIENTS,
        "seconds": seconds,
        "receipts_acknowledged": len(acks),
        "receipts_found": found,
        "voids_acknowledged": len(shared.voids),
        "status_proofs_verified": shared.proofs_verified,
        "checkpoints_seen": len(shared.checkpoints),
        "requests": sum(shared.statuses.values()),
        "server_errors_5xx": len(shared.server_errors),
    }
    print(summary(figures))


@pytest.mark.parametrize("backend", BACKENDS)
def test_attack_64_concurrent_clients_no_fork_gap_or_duplicate(
    deployment: DeploymentFactory, backend: str
) -> None:
    _run(deployment, backend, CI_SECONDS)


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_attack_concurrency_soak(deployment: DeploymentFactory, backend: str) -> None:
    if not soak_mode():
        pytest.skip("soak variant: run with BUKTI_SOAK=1 (make soak)")
    _run(deployment, backend, SOAK_SECONDS)
