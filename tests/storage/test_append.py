"""The one append path: round trips, idempotency, per-request failures, series, attachments."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from sqlalchemy import Engine

from ledger.checkpoint import open_checkpoint
from ledger.encoding import ZERO_HASH, decode_entry
from ledger.errors import EncodingError, EntryTooLargeError
from ledger.merkle import EMPTY_ROOT, leaf_hash, root_from_leaves
from ledger.note import NoteSigner, NoteVerifier
from ledger.storage import (
    AppendContext,
    AppendedEntry,
    AppendError,
    AppendRequest,
    CheckpointNotFoundError,
    EntryNotFoundError,
    IdempotencyConflictError,
    LogStore,
    StoreClosedError,
)
from tests.conftest import FixedClock


def office(i: int, at: int) -> AppendRequest:
    return AppendRequest("office.added", at, {"code": f"32.16.{i:02d}", "name": f"Kantor {i}"})


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def test_appended_entries_read_back_byte_for_byte(
    log_store: LogStore, fixed_clock: FixedClock, log_verifier: NoteVerifier
) -> None:
    appended = [log_store.append(office(i, fixed_clock.advance(1000))) for i in range(3)]

    assert [e.seq for e in appended] == [0, 1, 2]
    assert log_store.size() == 3
    prev = ZERO_HASH
    for e in appended:
        stored = log_store.entry(e.seq)
        assert (stored.seq, stored.data, stored.leaf_hash) == (e.seq, e.data, e.leaf_hash)
        assert stored.leaf_hash == leaf_hash(stored.data)
        decoded = stored.decode()
        assert decoded.prev == prev
        assert decoded.at == e.at  # the caller's clock, not the database's
        assert decoded.body == e.body
        prev = e.leaf_hash
    assert [s.data for s in log_store.entries(0, 3)] == [e.data for e in appended]

    latest = log_store.latest_checkpoint()
    assert latest.checkpoint.size == 3
    assert latest.checkpoint.root == root_from_leaves(e.leaf_hash for e in appended)
    opened = open_checkpoint(latest.note, [log_verifier], origin=log_store.origin)
    assert opened.checkpoint == latest.checkpoint


def test_log_starts_without_checkpoint_and_initialize_signs_the_empty_tree(
    log_store: LogStore, log_verifier: NoteVerifier
) -> None:
    with pytest.raises(CheckpointNotFoundError, match="no checkpoint yet"):
        log_store.latest_checkpoint()
    first = log_store.initialize()
    again = log_store.initialize()
    assert first == again
    assert (first.checkpoint.size, first.checkpoint.root) == (0, EMPTY_ROOT)
    open_checkpoint(first.note, [log_verifier], origin=log_store.origin)
    assert [c.checkpoint.size for c in log_store.checkpoints()] == [0]


def test_one_checkpoint_per_batch_and_lookup_by_size(
    log_store: LogStore, fixed_clock: FixedClock
) -> None:
    for count in (3, 2, 4):
        outcomes = log_store.append_many([office(i, fixed_clock()) for i in range(count)])
        assert all(isinstance(o, AppendedEntry) for o in outcomes)
    assert [c.checkpoint.size for c in log_store.checkpoints()] == [3, 5, 9]
    assert log_store.checkpoint_at_least(0).checkpoint.size == 3
    assert log_store.checkpoint_at_least(4).checkpoint.size == 5
    assert log_store.checkpoint_at_least(9).checkpoint.size == 9
    with pytest.raises(CheckpointNotFoundError, match="size 10"):
        log_store.checkpoint_at_least(10)


def test_reading_beyond_the_log(log_store: LogStore, fixed_clock: FixedClock) -> None:
    with pytest.raises(EntryNotFoundError, match="no entry 0: the log holds no entries"):
        log_store.entry(0)
    log_store.append(office(1, fixed_clock()))
    with pytest.raises(
        EntryNotFoundError, match=re.escape("no entry 1: the log holds entries 0..0")
    ):
        log_store.entry(1)
    assert [e.seq for e in log_store.entries(0, 10)] == [0]
    assert list(log_store.entries(5, 10)) == []
    with pytest.raises(ValueError, match="start <= end"):
        list(log_store.entries(3, 2))


def test_idempotent_retry_returns_the_original_entry(
    log_store: LogStore, fixed_clock: FixedClock
) -> None:
    def request(at: int) -> AppendRequest:
        return AppendRequest(
            "receipt.issued",
            at,
            {"number": 1, "fee": 15_000},
            idempotency_key="loket-1/abc",
            request_digest=digest("issue KTP"),
            attach=lambda e: {"receipt.cose": b"signed:" + e.leaf_hash},
        )

    first = log_store.append(request(fixed_clock()))
    retry = log_store.append(request(fixed_clock.advance(5_000)))

    assert not first.replayed
    assert retry.replayed
    assert (retry.seq, retry.data, retry.leaf_hash) == (first.seq, first.data, first.leaf_hash)
    assert retry.at == first.at  # the original time, not the retry's
    assert retry.attachments == first.attachments == {"receipt.cose": b"signed:" + first.leaf_hash}
    assert log_store.size() == 1
    assert [c.checkpoint.size for c in log_store.checkpoints()] == [1]
    found = log_store.find_by_idempotency_key("loket-1/abc")
    assert found is not None
    assert (found.seq, found.replayed, found.attachments) == (0, True, first.attachments)
    assert log_store.find_by_idempotency_key("never-used") is None


def test_attack_reused_idempotency_key_with_another_request_is_refused(
    log_store: LogStore, fixed_clock: FixedClock
) -> None:
    log_store.append(
        AppendRequest(
            "receipt.issued",
            fixed_clock(),
            {"fee": 15_000},
            idempotency_key="k",
            request_digest=digest("fee 15000"),
        )
    )
    with pytest.raises(IdempotencyConflictError, match="different request"):
        log_store.append(
            AppendRequest(
                "receipt.issued",
                fixed_clock(),
                {"fee": 150_000},
                idempotency_key="k",
                request_digest=digest("fee 150000"),
            )
        )
    assert log_store.size() == 1


def test_same_key_twice_in_one_batch(log_store: LogStore, fixed_clock: FixedClock) -> None:
    def keyed(text: str) -> AppendRequest:
        return AppendRequest(
            "deposit.recorded",
            fixed_clock(),
            {"sts": text},
            idempotency_key="sts-1",
            request_digest=digest(text),
        )

    first, same, other = log_store.append_many([keyed("a"), keyed("a"), keyed("b")])
    assert isinstance(first, AppendedEntry)
    assert isinstance(same, AppendedEntry)
    assert same.replayed
    assert same.seq == first.seq
    assert isinstance(other, IdempotencyConflictError)
    assert log_store.size() == 1


def test_request_validation() -> None:
    with pytest.raises(ValueError, match="needs a request_digest"):
        AppendRequest("office.added", 0, {}, idempotency_key="k")
    with pytest.raises(ValueError, match="without an idempotency key"):
        AppendRequest("office.added", 0, {}, request_digest=b"d")
    with pytest.raises(ValueError, match=r"1\.\.255 characters"):
        AppendRequest("office.added", 0, {}, idempotency_key="", request_digest=b"d")


def test_failing_body_factory_fails_only_its_request_and_consumes_nothing(
    log_store: LogStore, fixed_clock: FixedClock
) -> None:
    class RefusedError(Exception):
        pass

    def numbered(ctx: AppendContext) -> Mapping[str, Any]:
        return {"number": ctx.next_number("receipt:L1"), "seq": ctx.seq}

    def refuses(ctx: AppendContext) -> Mapping[str, Any]:
        ctx.next_number("receipt:L1")  # drawn, then abandoned
        raise RefusedError("fee above the schedule")

    at = fixed_clock()
    outcomes = log_store.append_many(
        [
            AppendRequest("receipt.issued", at, numbered),
            AppendRequest("receipt.issued", at, refuses),
            AppendRequest("receipt.issued", at, numbered),
        ]
    )
    first, failed, second = outcomes
    assert isinstance(failed, RefusedError)  # the factory's own exception, unchanged
    assert isinstance(first, AppendedEntry)
    assert isinstance(second, AppendedEntry)
    assert (first.seq, second.seq) == (0, 1)
    assert (first.body["number"], second.body["number"]) == (1, 2)
    assert second.body["seq"] == 1
    with pytest.raises(RefusedError):
        log_store.append(AppendRequest("receipt.issued", at, refuses))
    third = log_store.append(AppendRequest("receipt.issued", at, numbered))
    assert (third.seq, third.body["number"]) == (2, 3)


def test_oversize_or_invalid_entry_fails_only_its_request(
    log_store: LogStore, fixed_clock: FixedClock
) -> None:
    at = fixed_clock()
    outcomes = log_store.append_many(
        [
            office(1, at),
            AppendRequest("schedule.published", at, {"document": "x" * 70_000}),
            AppendRequest("no.such.kind", at, {}),
            AppendRequest("office.added", at, {"ratio": 0.5}),
            office(2, at),
        ]
    )
    assert isinstance(outcomes[1], EntryTooLargeError)
    assert isinstance(outcomes[2], EncodingError)
    assert isinstance(outcomes[3], EncodingError)
    assert [o.seq for o in outcomes if isinstance(o, AppendedEntry)] == [0, 1]
    assert decode_entry(log_store.entry(1).data).prev == log_store.entry(0).leaf_hash


def test_attachments_are_written_with_their_entry(
    log_store: LogStore, fixed_clock: FixedClock
) -> None:
    def receipt(ctx: AppendContext) -> Mapping[str, Any]:
        return {"number": ctx.next_number("receipt:L1")}

    seen: list[bytes | None] = []

    def reads_earlier(ctx: AppendContext) -> Mapping[str, Any]:
        seen.append(ctx.read_attachment(0, "receipt.cose"))
        seen.append(ctx.read_attachment(ctx.seq - 1, "receipt.cose"))
        return {"void": 0}

    def sign(entry: AppendedEntry) -> Mapping[str, bytes]:
        return {"receipt.cose": b"cose:" + entry.leaf_hash}

    at = fixed_clock()
    first = log_store.append(AppendRequest("receipt.issued", at, receipt, attach=sign))
    second, voided = log_store.append_many(
        [
            AppendRequest("receipt.issued", at, receipt, attach=sign),
            AppendRequest("receipt.voided", at, reads_earlier),
        ]
    )
    assert isinstance(second, AppendedEntry)
    assert isinstance(voided, AppendedEntry)
    assert log_store.attachment(0, "receipt.cose") == b"cose:" + first.leaf_hash
    assert log_store.attachment(1, "receipt.cose") == b"cose:" + second.leaf_hash
    assert log_store.attachment(2, "receipt.cose") is None
    # A factory sees attachments committed earlier and those of its own batch.
    assert seen == [b"cose:" + first.leaf_hash, b"cose:" + second.leaf_hash]


def test_failing_or_malformed_attach_fails_only_its_request(
    log_store: LogStore, fixed_clock: FixedClock
) -> None:
    def broken(entry: AppendedEntry) -> Mapping[str, bytes]:
        raise RuntimeError("receipt key unavailable")

    def not_bytes(entry: AppendedEntry) -> Mapping[str, bytes]:
        return {"receipt.cose": "text"}  # type: ignore[dict-item]

    at = fixed_clock()
    outcomes = log_store.append_many(
        [
            AppendRequest("receipt.issued", at, {"n": 1}, attach=broken),
            AppendRequest("receipt.issued", at, {"n": 2}, attach=not_bytes),
            AppendRequest("receipt.issued", at, {"n": 3}),
        ]
    )
    assert isinstance(outcomes[0], RuntimeError)
    assert isinstance(outcomes[1], AppendError)
    assert "expected bytes" in str(outcomes[1])
    assert isinstance(outcomes[2], AppendedEntry)
    assert outcomes[2].seq == 0
    assert log_store.attachment(0, "receipt.cose") is None


def test_series_numbers_are_gapless_under_concurrency(
    log_store: LogStore, fixed_clock: FixedClock
) -> None:
    at = fixed_clock()
    results: list[AppendedEntry] = []
    lock = threading.Lock()

    def numbered(refuse: bool) -> Callable[[AppendContext], Mapping[str, Any]]:
        def build(ctx: AppendContext) -> Mapping[str, Any]:
            number = ctx.next_number("receipt:32.16.01/L1")
            if refuse:
                raise ValueError("refused after drawing a number")
            return {"number": number, "other": ctx.next_number("receipt:32.16.01/L2")}

        return build

    def writer() -> None:
        for attempt in range(40):
            request = AppendRequest("receipt.issued", at, numbered(attempt % 5 == 2))
            try:
                entry = log_store.append(request)
            except ValueError:
                continue
            with lock:
                results.append(entry)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    results.sort(key=lambda e: e.seq)
    assert [e.seq for e in results] == list(range(len(results)))
    assert [e.body["number"] for e in results] == list(range(1, len(results) + 1))
    assert [e.body["other"] for e in results] == list(range(1, len(results) + 1))
    assert len(results) == 8 * 32  # every fifth request was refused


def test_a_store_for_another_origin_is_refused(
    log_store: LogStore, db_engine: Engine, log_signer: NoteSigner, fixed_clock: FixedClock
) -> None:
    log_store.append(office(1, fixed_clock()))
    other = LogStore(db_engine, signer=log_signer, origin="other.example/log")
    with pytest.raises(AppendError, match=re.escape("origin 'test.bukti.example/log'")):
        other.append(office(2, fixed_clock()))
    with pytest.raises(AppendError, match=re.escape("expected 'other.example/log'")):
        other.initialize()
    assert log_store.size() == 1


def test_closed_store_refuses_appends(log_store: LogStore, fixed_clock: FixedClock) -> None:
    log_store.append(office(1, fixed_clock()))
    log_store.close()
    with pytest.raises(StoreClosedError):
        log_store.append(office(2, fixed_clock()))
    assert log_store.size() == 1  # reads still work
