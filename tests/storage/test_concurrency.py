"""Many writers at once: no gap, no duplicate, no fork, every acknowledged append kept."""

from __future__ import annotations

import itertools
import random
import threading

from sqlalchemy import Engine

from ledger.checkpoint import SignedCheckpoint, open_checkpoint
from ledger.encoding import ZERO_HASH
from ledger.merkle import verify_consistency
from ledger.note import NoteSigner, NoteVerifier
from ledger.storage import AppendRequest, LogStore, create_engine_for
from tests.conftest import FixedClock
from tests.storage.helpers import verify_store

WRITERS = 16
APPENDS_EACH = 200


def _run_writers(
    stores: list[LogStore], writers_per_store: int, appends: int, at: int
) -> list[tuple[int, bytes]]:
    """Start the writers together; return every acknowledged (seq, leaf hash)."""
    acked: list[tuple[int, bytes]] = []
    lock = threading.Lock()
    start = threading.Barrier(len(stores) * writers_per_store)
    failures: list[BaseException] = []

    def writer(store: LogStore, name: str) -> None:
        start.wait()
        try:
            for i in range(appends):
                body = {"counter": name, "n": i}
                entry = store.append(AppendRequest("receipt.issued", at, body))
                with lock:
                    acked.append((entry.seq, entry.leaf_hash))
        except BaseException as error:  # surfaced by the assertion below
            failures.append(error)

    threads = [
        threading.Thread(target=writer, args=(store, f"L{s}-{w}"))
        for s, store in enumerate(stores)
        for w in range(writers_per_store)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    return acked


def _check_log(store: LogStore, verifier: NoteVerifier, acked: list[tuple[int, bytes]]) -> None:
    expected = len(acked)
    stored = list(store.entries(0, expected + 10))
    assert [e.seq for e in stored] == list(range(expected))  # no gap, no duplicate
    prev = ZERO_HASH
    for e in stored:
        assert e.decode().prev == prev  # every link holds
        prev = e.leaf_hash
    by_seq = {e.seq: e.leaf_hash for e in stored}
    assert len({seq for seq, _ in acked}) == expected
    assert all(by_seq[seq] == leaf for seq, leaf in acked)  # every acknowledged append kept
    report = verify_store(store, verifier)
    assert report.ok
    assert report.size == expected
    assert report.latest_checkpoint is not None
    assert report.latest_checkpoint.checkpoint.size == expected


def _check_consistency(
    store: LogStore, verifier: NoteVerifier, checkpoints: list[SignedCheckpoint]
) -> None:
    sizes = sorted({c.checkpoint.size for c in checkpoints})
    roots = {c.checkpoint.size: c.checkpoint.root for c in checkpoints}
    for c in checkpoints:
        open_checkpoint(c.note, [verifier], origin=store.origin)
    pairs = list(itertools.pairwise(sizes))
    rng = random.Random(3216)
    for _ in range(200):
        low, high = sorted(rng.sample(sizes, 2))
        pairs.append((low, high))
    for size1, size2 in pairs:
        proof = store.consistency_proof(size1, size2)
        verify_consistency(size1, size2, proof, roots[size1], roots[size2])


def test_sixteen_writers_make_one_gapless_verifiable_log(
    log_store: LogStore, log_verifier: NoteVerifier, fixed_clock: FixedClock
) -> None:
    seen: list[SignedCheckpoint] = []
    done = threading.Event()

    def watcher() -> None:  # reads the latest checkpoint while the writers run
        while not done.wait(0.005):
            if log_store.size():
                seen.append(log_store.latest_checkpoint())

    watching = threading.Thread(target=watcher)
    watching.start()
    try:
        acked = _run_writers([log_store], WRITERS, APPENDS_EACH, fixed_clock())
    finally:
        done.set()
        watching.join()

    assert len(acked) == WRITERS * APPENDS_EACH
    _check_log(log_store, log_verifier, acked)
    stored = list(log_store.checkpoints())
    assert len(stored) < WRITERS * APPENDS_EACH  # batching: fewer commits than appends
    assert seen
    assert {(c.checkpoint.size, c.note) for c in seen} <= {
        (c.checkpoint.size, c.note) for c in stored
    }
    _check_consistency(log_store, log_verifier, stored)


def test_two_stores_on_one_database_serialize_on_the_head(
    log_store: LogStore,
    migrated_url: str,
    log_signer: NoteSigner,
    log_verifier: NoteVerifier,
    fixed_clock: FixedClock,
) -> None:
    # A second engine and store stand for a second worker process.
    engine: Engine = create_engine_for(migrated_url)
    other = LogStore(engine, signer=log_signer, origin=log_store.origin)
    try:
        acked = _run_writers([log_store, other], 4, 50, fixed_clock())
    finally:
        other.close()
        engine.dispose()
    assert len(acked) == 2 * 4 * 50
    _check_log(log_store, log_verifier, acked)
    _check_consistency(log_store, log_verifier, list(log_store.checkpoints()))
