"""kill -9 in the middle of appending: after restart the log verifies and keeps every ack."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from ledger.note import NoteSigner, NoteVerifier
from ledger.storage import AppendRequest, LogStore, create_engine_for
from tests.conftest import FixedClock
from tests.storage.helpers import verify_store

REPO = Path(__file__).resolve().parents[2]
#: Acknowledgements to read before the kill (the writer is mid-stream by then).
KILL_AFTER = 250


def _run_and_kill(url: str) -> list[tuple[int, bytes]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.storage.crash_writer", url],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acked: list[tuple[int, bytes]] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            seq, leaf = line.split()
            acked.append((int(seq), bytes.fromhex(leaf)))
            if len(acked) >= KILL_AFTER:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, err
    assert len(acked) >= KILL_AFTER, err
    return acked


def test_acknowledged_appends_survive_kill_9(
    migrated_url: str,
    log_signer: NoteSigner,
    log_verifier: NoteVerifier,
    fixed_clock: FixedClock,
) -> None:
    acked: list[tuple[int, bytes]] = []
    for _ in range(2):  # kill, restart, kill again: each time at a different point
        acked += _run_and_kill(migrated_url)

    engine = create_engine_for(migrated_url)
    store = LogStore(engine, signer=log_signer, origin="test.bukti.example/log")
    try:
        report = verify_store(store, log_verifier)
        assert report.ok
        assert report.size >= len(acked) == len({seq for seq, _ in acked})
        assert report.unvouched == 0  # every committed entry is covered by a checkpoint
        for seq, leaf in acked:
            assert store.entry(seq).leaf_hash == leaf
        # The log carries on from where the killed writer left it.
        entry = store.append(AppendRequest("receipt.issued", fixed_clock(), {"after": "restart"}))
        assert entry.seq == report.size
        assert verify_store(store, log_verifier).size == report.size + 1
    finally:
        store.close()
        engine.dispose()
