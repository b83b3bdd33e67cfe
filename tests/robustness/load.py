"""HTTP load of counter clients issuing receipts with ``Idempotency-Key``, retrying until acked.

Each :class:`IssueClient` thread issues one receipt after another. A request that gets no
answer (connection refused or reset: the server was killed) or a 5xx answer is retried
with the *same* key and body until the server acknowledges it, exactly as a counter's
client must do; the first answer to a retry may be 201 (the first try never committed) or
200 (it did: the original receipt is replayed). Everything seen is recorded so the test can
check that every acknowledged receipt survived and every key produced exactly one receipt.
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

from tests.robustness.checks import Ack, cose_of

__all__ = ["ISSUES", "IssueClient", "IssueLoad", "Outcome"]

#: Requests the DLH counters issue (fixed and per-unit tariffs of the default schedule).
ISSUES: tuple[dict[str, Any], ...] = (
    {"counter": "L01", "service": "RJU-SMP-01", "inputs": {"bulan": 1}},
    {"counter": "L01", "service": "RJU-SMP-02", "inputs": {"bulan": 2}},
    {"counter": "L02", "service": "RJU-PKR-01"},
    {"counter": "L02", "service": "RJU-PKR-02"},
)


@dataclass(slots=True)
class Outcome:
    """One request (one key) and everything that happened to it."""

    key: str
    body: dict[str, Any]
    attempts: int = 0
    unanswered: int = 0  # attempts with no HTTP answer (server gone)
    #: 5xx answers seen: (status, content type, Retry-After header).
    server_errors: list[tuple[int, str, str | None]] = field(default_factory=list)
    status: int | None = None  # the acknowledging status (200 or 201)
    ack: Ack | None = None
    failure: str | None = None  # an unexpected answer (4xx): the test fails on it


class IssueClient(threading.Thread):
    """One counter client: issue, retry the same key until acknowledged, next."""

    def __init__(self, load: IssueLoad, number: int) -> None:
        super().__init__(name=f"issue-client-{number}", daemon=True)
        self._load = load
        self._rng = random.Random(load.seed * 1000 + number)

    def run(self) -> None:
        with httpx.Client(base_url=self._load.base_url, timeout=self._load.timeout) as client:
            while not self._load.stopping.is_set():
                outcome = Outcome(key=str(uuid.UUID(int=self._rng.getrandbits(128))), body={})
                outcome.body = dict(self._rng.choice(ISSUES))
                self._load.record_start(outcome)
                self._until_acknowledged(client, outcome)

    def _until_acknowledged(self, client: httpx.Client, outcome: Outcome) -> None:
        headers = {"Authorization": f"Bearer {self._load.token}", "Idempotency-Key": outcome.key}
        deadline: float | None = None
        while True:
            if self._load.stopping.is_set() and deadline is None:
                deadline = time.monotonic() + self._load.drain_s
            if deadline is not None and time.monotonic() > deadline:
                outcome.failure = "not acknowledged before the drain deadline"
                return
            outcome.attempts += 1
            try:
                response = client.post("/api/v1/receipts", json=outcome.body, headers=headers)
            except httpx.TransportError:
                outcome.unanswered += 1
                time.sleep(self._rng.uniform(0.02, 0.1))
                continue
            if response.status_code >= 500:
                outcome.server_errors.append(
                    (
                        response.status_code,
                        response.headers.get("content-type", ""),
                        response.headers.get("retry-after"),
                    )
                )
                time.sleep(self._rng.uniform(0.02, 0.1))
                continue
            if response.status_code in (200, 201):
                body = response.json()
                outcome.status = response.status_code
                outcome.ack = Ack(
                    key=outcome.key,
                    seq=int(body["seq"]),
                    receipt_no=str(body["receipt_no"]),
                    cose=cose_of(body),
                )
                self._load.record_ack(outcome)
                return
            outcome.failure = f"unexpected {response.status_code}: {response.text[:300]}"
            return


class IssueLoad:
    """``threads`` issuing clients sharing one staff token; start, then stop and drain."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        threads: int = 4,
        seed: int = 8,
        timeout: float = 15,
        drain_s: float = 90,
    ) -> None:
        self.base_url = base_url
        self.token = token
        self.seed = seed
        self.timeout = timeout
        self.drain_s = drain_s
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._outcomes: list[Outcome] = []
        self._acks: list[Ack] = []
        self._acked = threading.Condition(self._lock)
        self._threads = [IssueClient(self, n) for n in range(threads)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def record_start(self, outcome: Outcome) -> None:
        with self._lock:
            self._outcomes.append(outcome)

    def record_ack(self, outcome: Outcome) -> None:
        assert outcome.ack is not None
        with self._acked:
            self._acks.append(outcome.ack)
            self._acked.notify_all()

    def acks(self) -> list[Ack]:
        with self._lock:
            return list(self._acks)

    def wait_for_acks(self, count: int, timeout: float = 60) -> None:
        """Block until at least ``count`` acknowledgements in total have been seen."""
        deadline = time.monotonic() + timeout
        with self._acked:
            while len(self._acks) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"expected {count} acknowledged receipts, saw {len(self._acks)}"
                    )
                self._acked.wait(remaining)

    def stop(self) -> list[Outcome]:
        """Stop issuing new requests, let pending ones be acknowledged, return every outcome."""
        self.stopping.set()
        for thread in self._threads:
            thread.join(self.drain_s + self.timeout + 10)
            assert not thread.is_alive(), f"{thread.name} did not finish"
        with self._lock:
            return list(self._outcomes)

    @staticmethod
    def figures(outcomes: list[Outcome]) -> dict[str, int]:
        statuses = Counter(o.status for o in outcomes)
        return {
            "requests": len(outcomes),
            "acknowledged": sum(1 for o in outcomes if o.ack is not None),
            "created_201": statuses[201],
            "replayed_200": statuses[200],
            "retried_after_no_answer": sum(1 for o in outcomes if o.unanswered),
            "server_errors_5xx": sum(len(o.server_errors) for o in outcomes),
        }
