"""The pages' figures after a restart: folded in the background, never blocking a reader
for long (``api.web.sources.StatsFollower``)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.web import stats_snapshot
from api.web.errors import FiguresNotReadyError
from api.web.sources import StatsFollower
from api.web.stats import LedgerStats, fold, referenced_seq
from ledger.encoding import Entry, encode_entry
from ledger.schedule import Charge, check, default_schedule, rejection_body
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
    def __init__(self, entry: Entry, gate: threading.Event | None, salt: bytes = b"") -> None:
        self._entry = entry
        self._gate = gate
        self.leaf_hash = hashlib.sha256(salt + encode_entry(entry)).digest()

    def decode(self) -> Entry:
        if self._gate is not None and not self._gate.wait(timeout=30):
            raise TimeoutError("the test never opened the gate")
        return self._entry


class _Store:
    """What the follower reads of a log store; ``gate``: decoding waits until it is set."""

    def __init__(
        self, entries: list[Entry], gate: threading.Event | None = None, salt: bytes = b""
    ) -> None:
        self.entries_ = entries
        self.gate = gate
        self.fail = False
        self.salt = salt  # another salt: the leaf hashes of another history

    def size(self) -> int:
        return len(self.entries_)

    def entries(self, start: int, end: int) -> list[_Stored]:
        if self.fail:
            raise OSError("the database went away")
        return [_Stored(e, self.gate, self.salt) for e in self.entries_[start:end]]

    def entry(self, seq: int) -> _Stored:
        return _Stored(self.entries_[seq], None, self.salt)


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


# -- the saved figures ---------------------------------------------------------------------


def _every_kind(count: int) -> list[Entry]:
    """Receipts and voids (:func:`_entries`), then refusals, deposits and complaints."""
    entries = _entries(count)
    at = entries[-1].at
    schedule = default_schedule()

    def add(kind: str, body: dict[str, Any]) -> None:
        nonlocal at
        at += 60_000
        entries.append(Entry(seq=len(entries), kind=kind, at=at, prev=bytes(32), body=body))

    for charged in (25_000, 30_000):
        charge = Charge("RJU-SMP-03", {"bulan": 1}, charged, at + 60_000)
        add("charge.rejected", rejection_body(charge, check(schedule, charge), "u1", OFFICE, "L01"))
    add("charge.rejected", {"office": OFFICE, "counter": "L02"})  # not a readable verdict
    add(
        "deposit.recorded",
        {
            "office": OFFICE,
            "period_from": "2025-01-02",
            "period_to": "2025-01-03",
            "deposited_at": at,
            "amount": 5000,
        },
    )
    add("complaint.filed", {"tracking_no": "ADU-1", "receipt_seq": 0, "paid_claimed": 50_000})
    add("complaint.filed", {"tracking_no": "ADU-2", "paid_claimed": 10_000})
    add("complaint.updated", {"tracking_no": "ADU-1", "status": "resolved"})
    return entries


def _saving_follower(path: Path, **settings: Any) -> StatsFollower:
    return StatsFollower(
        settings.get("deadline_days", 1), settings.get("holidays", frozenset()), snapshot=path
    )


def test_saved_figures_load_as_they_were_and_fold_on_alike() -> None:
    entries = _every_kind(160)
    stats = _expected(entries[:150])
    anchor = bytes(range(32))
    loaded, found = stats_snapshot.load(
        stats_snapshot.dump(stats, anchor), deadline_days=1, holidays=frozenset()
    )
    assert (loaded, found) == (stats, anchor)
    tail = [(e, entries[r] if (r := referenced_seq(e)) is not None else None) for e in entries]
    fold(stats, tail[150:])
    fold(loaded, tail[150:])
    assert loaded == stats == _expected(entries)
    assert loaded.refusals[0].verdict == ""  # the unreadable refusal came through too


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="bukti-web-figures/0"), "format"),
        (lambda d: d.update(deadline_days=2), "deadline of 2 working days"),
        (lambda d: d.update(holidays=[20_000]), "another holiday list"),
        (lambda d: d.update(next_seq="150"), "expected an integer"),
        (lambda d: d.update(anchor=""), "anchor does not fit"),
        (lambda d: d["months"][0].pop(), "expected rows of 3 values"),
        (lambda d: d["months"][0][2].append(1), "expected 10 values for MonthFigures"),
        (lambda d: d["refusals"][0].__setitem__(4, "25000"), "RefusalFact.charged"),
        (lambda d: d.pop("voids"), "malformed"),
    ],
)
def test_attack_a_doctored_or_foreign_snapshot_is_refused(
    change: Callable[[dict[str, Any]], object], message: str
) -> None:
    document = json.loads(stats_snapshot.dump(_expected(_every_kind(150)), bytes(32)))
    change(document)
    with pytest.raises(stats_snapshot.SnapshotError, match=message):
        stats_snapshot.load(json.dumps(document).encode(), deadline_days=1, holidays=frozenset())
    with pytest.raises(stats_snapshot.SnapshotError, match="malformed"):
        stats_snapshot.load(b"\xff{", deadline_days=1, holidays=frozenset())


def test_a_restart_folds_only_the_tail_after_the_saved_figures(tmp_path: Path) -> None:
    path = tmp_path / "web-figures.json"
    entries = _every_kind(300)
    store = _Store(entries[:250])
    first = _saving_follower(path)
    first.start_catch_up(_store(store))
    _wait_until(lambda: first._thread is None and path.exists())
    first.stop(_store(store))
    store.entries_ = entries  # the log grows while the server is down
    second = _saving_follower(path)
    assert second.restore(_store(store))
    assert second.stats.next_seq == 250
    assert second.read(_store(store), lambda stats: stats.next_seq) == len(entries)
    assert second.stats == _expected(entries)


def test_attack_saved_figures_of_a_rewritten_history_are_not_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "web-figures.json"
    entries = _every_kind(100)
    honest = _saving_follower(path)
    honest.fold(_store(_Store(entries)), len(entries))
    honest.save(_store(_Store(entries)))
    rewritten = _Store(entries, salt=b"another history")
    again = _saving_follower(path)
    assert not again.restore(_store(rewritten))
    assert "another log, or from a history since rewritten" in caplog.text
    shorter = _Store(entries[:50])
    assert not again.restore(_store(shorter))  # truncated below the saved figures
    assert again.stats.next_seq == 0


def test_saved_figures_of_other_settings_are_not_used(tmp_path: Path) -> None:
    path = tmp_path / "web-figures.json"
    store = _store(_Store(_every_kind(100)))
    saver = _saving_follower(path)
    saver.fold(store, 1000)
    saver.save(store)
    assert not _saving_follower(path, deadline_days=2).restore(store)
    assert not _saving_follower(path, holidays=frozenset({20_000})).restore(store)
    assert _saving_follower(path).restore(store)


def test_a_failed_save_is_logged_and_changes_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = _store(_Store(_every_kind(50)))
    follower = _saving_follower(tmp_path / "missing-dir" / "web-figures.json")
    follower.fold(store, 1000)
    follower.save(store)
    assert "cannot save the figures" in caplog.text
    assert follower.stats == _expected(_every_kind(50))


def test_the_app_saves_its_figures_at_shutdown_and_takes_them_at_start(app: FastAPI) -> None:
    store = app.state.services.store
    path = app.state.services.settings.data_dir / "web-figures.json"
    with TestClient(app):
        _wait_until(lambda: app.state.web_stats.stats.next_seq == store.size())
    assert path.is_file()
    restarted = StatsFollower(1, frozenset(), snapshot=path)
    assert restarted.restore(store)
    assert restarted.stats == app.state.web_stats.stats
