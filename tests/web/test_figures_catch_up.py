"""The pages' figures after a restart: folded in the background, never blocking a reader
for long (``api.web.sources.StatsFollower``)."""

from __future__ import annotations

import threading
import time
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.web.errors import FiguresNotReadyError
from api.web.sources import StatsFollower
from api.web.stats import LedgerStats, fold, referenced_seq
from ledger.encoding import Entry
from ledger.schedule.wib import parse_wib
from ledger.storage import LogStore

OFFICE = "32.16.20-DLH"
DAY = 86_400_000


def _entries(count: int) -> list[Entry]:
    """Receipts over several days, every seventh one voided by the next entry."""
    entries: list[Entry] = []
    at = parse_wib("2025-01-02T08:00")
    for seq in range(count):
        at += DAY // 50
        if seq % 7 == 6:
            body: dict[str, Any] = {"receipt_seq": seq - 1, "office": OFFICE, "reason": "salah"}
            entries.append(Entry(seq=seq, kind="receipt.voided", at=at, prev=bytes(32), body=body))
            continue
        body = {
            "receipt_no": f"R{seq}",
            "office": OFFICE,
            "counter": "L01",
            "service": "RJU-PKR-02",
            "charged": 1000 + seq,
        }
        entries.append(Entry(seq=seq, kind="receipt.issued", at=at, prev=bytes(32), body=body))
    return entries


class _Stored:
    def __init__(self, entry: Entry, gate: threading.Event | None) -> None:
        self._entry = entry
        self._gate = gate

    def decode(self) -> Entry:
        if self._gate is not None and not self._gate.wait(timeout=30):
            raise TimeoutError("the test never opened the gate")
        return self._entry


class _Store:
    """What the follower reads of a log store; ``gate``: decoding waits until it is set."""

    def __init__(self, entries: list[Entry], gate: threading.Event | None = None) -> None:
        self.entries_ = entries
        self.gate = gate
        self.fail = False

    def size(self) -> int:
        return len(self.entries_)

    def entries(self, start: int, end: int) -> list[_Stored]:
        if self.fail:
            raise OSError("the database went away")
        return [_Stored(e, self.gate) for e in self.entries_[start:end]]

    def entry(self, seq: int) -> _Stored:
        return _Stored(self.entries_[seq], None)


def _store(store: _Store) -> LogStore:
    return cast("LogStore", store)


def _expected(entries: list[Entry]) -> LedgerStats:
    stats = LedgerStats(deadline_days=1)
    fold(
        stats,
        [(e, entries[ref] if (ref := referenced_seq(e)) is not None else None) for e in entries],
    )
    return stats


def _wait_until(condition: Any, timeout: float = 10.0) -> None:
    ends = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < ends, "timed out"
        time.sleep(0.01)


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_folding_in_chunks_gives_the_figures_of_one_fold(chunk: int) -> None:
    entries = _entries(120)
    follower = StatsFollower(1, frozenset(), chunk=chunk)
    store = _store(_Store(entries))
    while follower.fold(store, chunk):
        pass
    assert follower.stats == _expected(entries)


def test_a_reader_folds_a_short_gap_itself_without_a_thread() -> None:
    entries = _entries(30)
    follower = StatsFollower(1, frozenset(), inline_limit=30)
    follower.stop()  # no catch-up thread may start: the reader must not need one
    months = follower.read(_store(_Store(entries)), lambda stats: stats.month_rows())
    assert months == _expected(entries).month_rows()


def test_a_reader_far_behind_is_told_to_come_back_and_the_catch_up_finishes() -> None:
    entries = _entries(200)
    gate = threading.Event()
    store = _Store(entries, gate)
    follower = StatsFollower(1, frozenset(), chunk=20, inline_limit=10, wait_s=0.2)
    began = time.monotonic()
    with pytest.raises(FiguresNotReadyError) as raised:
        follower.read(_store(store), lambda stats: stats.next_seq)
    assert raised.value.behind == 200
    assert raised.value.retry_after_s > 0
    assert time.monotonic() - began < 5  # the reader was not held for the whole fold
    gate.set()
    _wait_until(lambda: follower.stats.next_seq == 200)
    assert follower.read(_store(store), lambda stats: stats.next_seq) == 200
    assert follower.stats == _expected(entries)


def test_a_reader_waits_for_a_catch_up_that_ends_within_the_wait() -> None:
    entries = _entries(200)
    follower = StatsFollower(1, frozenset(), chunk=20, inline_limit=10, wait_s=30)
    assert follower.read(_store(_Store(entries)), lambda stats: stats.next_seq) == 200


def test_a_failed_catch_up_is_logged_and_the_next_reader_starts_another(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = _Store(_entries(100))
    store.fail = True
    follower = StatsFollower(1, frozenset(), chunk=10, inline_limit=5, wait_s=0.1)
    with pytest.raises(FiguresNotReadyError):
        follower.read(_store(store), lambda stats: stats.next_seq)
    _wait_until(lambda: "folding the log's figures" in caplog.text)
    store.fail = False
    follower._wait_s = 30
    assert follower.read(_store(store), lambda stats: stats.next_seq) == 100


def test_stop_ends_the_catch_up_between_chunks_and_none_starts_after() -> None:
    gate = threading.Event()
    store = _Store(_entries(100), gate)
    follower = StatsFollower(1, frozenset(), chunk=10)
    follower.start_catch_up(_store(store))
    stopper = threading.Thread(target=follower.stop)
    stopper.start()
    _wait_until(lambda: follower._stopped)  # stop() now waits for the chunk in progress
    gate.set()  # which finishes; no further chunk is folded
    stopper.join(timeout=10)
    assert not stopper.is_alive()
    folded = follower.stats.next_seq
    assert folded == 10
    follower.start_catch_up(_store(store))
    time.sleep(0.05)
    assert follower.stats.next_seq == folded


def test_the_app_starts_folding_at_start_up_and_stops_at_shutdown(app: FastAPI) -> None:
    store = app.state.services.store
    with TestClient(app):
        follower: StatsFollower = app.state.web_stats  # made at start-up, before any request
        _wait_until(lambda: follower.stats.next_seq == store.size())
    assert follower._thread is None


def test_attack_a_page_asked_during_the_catch_up_answers_503_not_a_stuck_worker(
    app: FastAPI,
) -> None:
    with TestClient(app) as client:
        slow = StatsFollower(1, frozenset(), inline_limit=0, wait_s=0.1)
        slow.stop()  # stands for a catch-up that has not got far yet
        app.state.web_stats = slow
        response = client.get("/transparansi")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert response.headers["content-type"].startswith("text/html")
        assert "sedang disiapkan" in response.text
        assert '<meta http-equiv="refresh" content="5">' in response.text
        csv = client.get("/transparansi.csv")
        assert csv.status_code == 503
