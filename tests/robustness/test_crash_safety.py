"""Crash safety: the real server killed with SIGKILL under load, again and again (DESIGN §6).

Counter clients issue receipts with an ``Idempotency-Key`` and retry unanswered requests
with the same key, while the server process is killed at random moments and restarted on
the same data directory and database. After every restart:

- every receipt the clients saw acknowledged is stored, unchanged, verifies offline
  against the trust list from the data directory, and the status endpoint proves it is
  in the log (for the receipts acknowledged last before the kill, the riskiest ones);
- the whole log verifies against its signed checkpoints, without a gap or duplicate seq,
  and every receipt number series is gapless.

At the end every request has been acknowledged, and the log holds exactly one receipt per
idempotency key: the receipts in the log are exactly the acknowledged ones.
CI mode kills 5 times per backend; ``make soak`` kills 50 times.
"""

from __future__ import annotations

import random
import time

import pytest

from tests.robustness.checks import Ack, check_acknowledged, check_log, check_status, summary
from tests.robustness.conftest import BACKENDS, DeploymentFactory
from tests.robustness.harness import ServerHarness, soak_mode
from tests.robustness.load import IssueLoad

#: Kills per run and the seed of the kill schedule (the timing itself is the machine's).
CI_KILLS = 5
SOAK_KILLS = 50
SEED = 20250101


def _check_after_restart(
    harness: ServerHarness, acks: list[Ack], since: int, recent: int
) -> tuple[int, int]:
    """What was acknowledged survived; returns (acks checked, statuses checked).

    The receipts acknowledged since the previous restart are checked in full (the earlier
    ones were checked then, and are checked again at the end); the log as a whole and the
    set of receipts in it are checked every time.
    """
    facts = check_log(harness)
    with harness.log_store() as store:
        checked = check_acknowledged(store, harness.trust_list(), acks[since:])
    assert {a.seq for a in acks} <= set(facts.seqs("receipt.issued"))
    verifier = harness.log_verifier()
    origin = harness.settings().origin
    statuses = 0
    with harness.client() as client:
        for ack in acks[-recent:]:
            body = check_status(client, ack.seq, verifier, origin)
            assert body["status"] == "issued"
            assert body["receipt_no"] == ack.receipt_no
            statuses += 1
    return checked, statuses


def _run(deployment: DeploymentFactory, backend: str, kills: int) -> None:
    harness = deployment(backend)
    harness.start()
    baseline = check_log(harness)
    token = harness.login("loket.dlh")
    load = IssueLoad(harness.base_url, token, threads=4, seed=SEED)
    rng = random.Random(SEED)
    load.start()
    checked = statuses = 0
    try:
        for _ in range(kills):
            # Let some receipts through, then kill at a random moment mid-load.
            load.wait_for_acks(len(load.acks()) + rng.randint(3, 15))
            time.sleep(rng.uniform(0.0, 0.25))
            harness.kill()
            time.sleep(rng.uniform(0.0, 0.3))  # clients hammer a dead port meanwhile
            harness.start()
            acks = load.acks()
            done, seen = _check_after_restart(harness, acks, since=checked, recent=20)
            checked += done
            statuses += seen
    finally:
        outcomes = load.stop()

    failures = [(o.key, o.failure) for o in outcomes if o.failure]
    assert not failures, failures[:5]
    acks = [o.ack for o in outcomes if o.ack is not None]
    assert len(acks) == len(outcomes)

    facts = check_log(harness)
    with harness.log_store() as store:
        found = check_acknowledged(store, harness.trust_list(), acks)
    # Exactly one receipt per idempotency key: the log's new receipts are the acked ones.
    issued_now = set(facts.seqs("receipt.issued")) - set(baseline.seqs("receipt.issued"))
    assert sorted(a.seq for a in acks) == sorted(issued_now)
    assert len({a.seq for a in acks}) == len(acks)
    # Nothing but receipts was appended by the load (no stray entry from a half-done write).
    assert facts.size == baseline.size + len(acks)

    figures = {
        "backend": backend,
        "kills_survived": harness.kills,
        "receipts_found": found,
        "acks_checked_after_restarts": checked,
        "status_proofs_checked": statuses,
        **IssueLoad.figures(outcomes),
    }
    print(summary(figures))
    assert harness.kills == kills
    # The server's own log (JSON lines on stderr) never holds the bearer token.
    server_log = harness.log_text()
    assert '"route":"/api/v1/receipts"' in server_log
    assert token not in server_log
    assert figures["server_errors_5xx"] == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_attack_sigkill_under_load_loses_no_acknowledged_receipt(
    deployment: DeploymentFactory, backend: str
) -> None:
    _run(deployment, backend, CI_KILLS)


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_attack_sigkill_soak(deployment: DeploymentFactory, backend: str) -> None:
    if not soak_mode():
        pytest.skip("soak variant: run with BUKTI_SOAK=1 (make soak)")
    _run(deployment, backend, SOAK_KILLS)
