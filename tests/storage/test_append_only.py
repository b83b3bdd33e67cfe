"""Append-only in the database, and tampering detected by the verifier when it is bypassed.

The triggers stop mistakes and casual edits. An owner can drop them — the attack tests do,
together with the UNIQUE fork guards — and then the signed checkpoints are what catch the
change: :class:`ledger.verify.LogVerifier` names the first bad ``seq``.
"""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import Connection, Engine, exc, text

from ledger.encoding import Entry, encode_entry
from ledger.errors import ChainError
from ledger.merkle import leaf_hash
from ledger.note import NoteVerifier
from ledger.storage import AppendContext, AppendRequest, LogStore
from tests.conftest import FixedClock
from tests.storage.helpers import verify_store

#: Table, a column to touch, and the noun of the refusal message.
GUARDED = [
    ("entries", "kind", "entries"),
    ("merkle_nodes", "hash", "merkle nodes"),
    ("checkpoints", "note", "checkpoints"),
    ("attachments", "data", "attachments"),
    ("idempotency", "request_digest", "idempotency keys"),
]
LOG_SIZE = 20


@pytest.fixture
def filled(log_store: LogStore, fixed_clock: FixedClock) -> LogStore:
    """A log of 20 receipts committed in three batches, with attachments and keys."""

    def receipt(ctx: AppendContext) -> dict[str, int]:
        return {"number": ctx.next_number("receipt:L1"), "fee": 15_000}

    requests = [
        AppendRequest(
            "receipt.issued",
            fixed_clock.advance(60_000),
            receipt,
            idempotency_key=f"req-{i}",
            request_digest=hashlib.sha256(b"%d" % i).digest(),
            attach=lambda e: {"receipt.cose": b"cose" + e.leaf_hash},
        )
        for i in range(LOG_SIZE)
    ]
    for chunk in (requests[:6], requests[6:12], requests[12:]):
        for outcome in log_store.append_many(chunk):
            assert not isinstance(outcome, Exception)
    return log_store


def _refused(engine: Engine, sql: str, message: str) -> None:
    with pytest.raises(exc.DBAPIError, match=message), engine.begin() as conn:
        conn.execute(text(sql))


def test_update_delete_and_truncate_are_refused_by_the_database(
    filled: LogStore, db_engine: Engine
) -> None:
    for table, column, noun in GUARDED:
        _refused(db_engine, f"UPDATE {table} SET {column} = {column}", f"{noun} are append-only")
        _refused(db_engine, f"DELETE FROM {table}", f"{noun} are append-only")
        if db_engine.dialect.name == "postgresql":
            _refused(db_engine, f"TRUNCATE {table} CASCADE", f"{noun} are append-only")
    assert filled.size() == LOG_SIZE
    assert len(list(filled.entries(0, LOG_SIZE))) == LOG_SIZE


def test_head_row_cannot_be_removed_or_shrunk(filled: LogStore, db_engine: Engine) -> None:
    _refused(db_engine, "DELETE FROM log_head", "cannot be deleted|cannot be removed")
    _refused(db_engine, "UPDATE log_head SET size = 3", "cannot shrink")
    if db_engine.dialect.name == "postgresql":
        _refused(db_engine, "TRUNCATE log_head", "cannot be removed")
    assert filled.size() == LOG_SIZE


def test_number_series_only_count_up(filled: LogStore, db_engine: Engine) -> None:
    _refused(db_engine, "UPDATE number_series SET last_value = 1", "only count up")
    _refused(db_engine, "DELETE FROM number_series", "gapless")


def test_attack_fork_with_a_second_child_of_one_entry_is_refused(
    filled: LogStore, db_engine: Engine
) -> None:
    # Two entries claiming the same predecessor would fork the chain: UNIQUE(prev) says no.
    original = filled.entry(5).decode()
    forged = encode_entry(Entry(LOG_SIZE, "receipt.voided", original.at, original.prev, {}))
    with pytest.raises(exc.IntegrityError), db_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO entries (seq, kind, at, data, leaf_hash, prev) "
                "VALUES (:seq, 'receipt.voided', :at, :data, :leaf, :prev)"
            ),
            {
                "seq": LOG_SIZE,
                "at": original.at,
                "data": forged,
                "leaf": leaf_hash(forged),
                "prev": original.prev,
            },
        )


# -- with the guards removed, the verifier must catch every kind of tampering -------------


def _drop_guards(conn: Connection) -> None:
    """What an owner with full rights can do: drop the triggers, fork guards and references."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("DROP TRIGGER entries_append_only ON entries"))
        for table in ("idempotency", "attachments"):
            conn.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT fk_{table}_seq_entries"))
        conn.execute(text("ALTER TABLE entries DROP CONSTRAINT uq_entries_prev"))
        conn.execute(text("ALTER TABLE entries DROP CONSTRAINT uq_entries_leaf_hash"))
        return
    conn.execute(text("DROP TRIGGER entries_no_update"))
    conn.execute(text("DROP TRIGGER entries_no_delete"))
    # SQLite cannot drop a UNIQUE constraint: rebuild the table without it.
    conn.execute(text("CREATE TABLE entries_bare AS SELECT * FROM entries"))
    conn.execute(text("DROP TABLE entries"))
    conn.execute(text("ALTER TABLE entries_bare RENAME TO entries"))


def _tamper(engine: Engine, *statements: tuple[str, dict[str, object]]) -> None:
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":  # outside a transaction, or it has no effect
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.cursor().execute("PRAGMA foreign_keys=OFF")
        with conn.begin():
            _drop_guards(conn)
            for sql, params in statements:
                conn.execute(text(sql), params)


def _expect_break(store: LogStore, verifier: NoteVerifier, seq: int, kinds: set[str]) -> None:
    with pytest.raises(ChainError) as caught:
        verify_store(store, verifier)
    assert caught.value.seq == seq, str(caught.value)
    assert caught.value.kind in kinds, str(caught.value)


def test_untampered_log_verifies(filled: LogStore, log_verifier: NoteVerifier) -> None:
    report = verify_store(filled, log_verifier)
    assert report.ok
    assert (report.size, report.checkpoints_verified) == (LOG_SIZE, 3)


def test_attack_changed_byte_is_detected(
    filled: LogStore, db_engine: Engine, log_verifier: NoteVerifier
) -> None:
    data = filled.entry(7).data
    changed = data.replace(b'"fee":15000', b'"fee":95000')
    assert changed != data
    assert len(changed) == len(data)
    _tamper(db_engine, ("UPDATE entries SET data = :d WHERE seq = 7", {"d": changed}))
    _expect_break(filled, log_verifier, 7, {"changed"})


def test_attack_deleted_entry_is_detected(
    filled: LogStore, db_engine: Engine, log_verifier: NoteVerifier
) -> None:
    _tamper(db_engine, ("DELETE FROM entries WHERE seq = 9", {}))
    _expect_break(filled, log_verifier, 9, {"missing"})


def test_attack_deleted_and_renumbered_entry_is_detected(
    filled: LogStore, db_engine: Engine, log_verifier: NoteVerifier
) -> None:
    _tamper(
        db_engine,
        ("DELETE FROM entries WHERE seq = 9", {}),
        ("UPDATE entries SET seq = seq - 1 WHERE seq > 9", {}),
    )
    _expect_break(filled, log_verifier, 9, {"missing"})


def test_attack_inserted_entry_is_detected(
    filled: LogStore, db_engine: Engine, log_verifier: NoteVerifier
) -> None:
    # A forged receipt slipped in at 11, claiming to follow entry 10, later rows renumbered.
    before = filled.entry(10)
    after = before.decode()
    forged = encode_entry(Entry(11, "receipt.issued", after.at, before.leaf_hash, {"fee": 1}))
    _tamper(
        db_engine,
        ("UPDATE entries SET seq = seq + 1000 WHERE seq >= 11", {}),
        ("UPDATE entries SET seq = seq - 999 WHERE seq >= 1000", {}),
        (
            "INSERT INTO entries (seq, kind, at, data, leaf_hash, prev) "
            "VALUES (11, 'receipt.issued', :at, :data, :leaf, :prev)",
            {"at": after.at, "data": forged, "leaf": leaf_hash(forged), "prev": before.leaf_hash},
        ),
    )
    _expect_break(filled, log_verifier, 11, {"inserted"})


def test_attack_swapped_entries_are_detected(
    filled: LogStore, db_engine: Engine, log_verifier: NoteVerifier
) -> None:
    _tamper(
        db_engine,
        ("UPDATE entries SET seq = 1000 WHERE seq = 4", {}),
        ("UPDATE entries SET seq = 4 WHERE seq = 5", {}),
        ("UPDATE entries SET seq = 5 WHERE seq = 1000", {}),
    )
    _expect_break(filled, log_verifier, 4, {"reordered"})
