"""Ledger storage benchmarks: durable appends, proof latency, full-log verification.

Every figure stands beside a baseline measured in the same run on the same machine:

- durable appends/s through :class:`ledger.storage.LogStore` (one writer; 16 concurrent
  writers sharing group commits; ``append_many``) on SQLite and PostgreSQL, next to the
  raw driver inserting the same bytes with the same durability (SQLite: WAL,
  ``synchronous=FULL``; PostgreSQL: default ``synchronous_commit=on``);
- inclusion- and consistency-proof latency on a log of 1,000,000 entries (100,000 with
  ``quick``), next to the raw driver fetching the same nodes in one query. That log is
  bulk-built for the benchmark — entries and Merkle nodes computed in memory and inserted
  directly, not through the append path — and the figure names say so;
- full-log verification with :meth:`ledger.verify.LogVerifier.add_entries` (every entry
  checked canonical, chain, tree, every checkpoint) in entries/s, next to bare SHA-256 over
  the same bytes: on the bulk-built log (short entries) and on the receipt-shaped entries
  the append benchmark wrote.

Run with ``python -m bench --only ledger [--quick]``. PostgreSQL figures need the server at
``BUKTI_BENCH_PG_URL`` (default: ``BUKTI_TEST_PG_URL``, then
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); the benchmark creates its own
database there and drops it. Without a server those figures are left out.
"""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import URL, make_url

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.encoding import Entry, encode_entry
from ledger.merkle import (
    TreeBuilder,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from ledger.note import NoteSigner
from ledger.storage import AppendRequest, LogStore, create_engine_for, migrate
from ledger.verify import LogVerifier

Figure = dict[str, Any]

ORIGIN = "bench.bukti.example/log"
SIGNER = NoteSigner(ORIGIN, hashlib.sha256(b"bukti bench log key").digest())
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
START_MS = 1_735_664_400_000  # 2025-01-01 00:00 WIB
WRITERS = 16
BATCH = 512


def _log(message: str) -> None:
    print(f"   {message}", file=sys.stderr, flush=True)


def _receipt_body(n: int) -> dict[str, Any]:
    """A body shaped like a real ``receipt.issued`` entry (~400 bytes encoded)."""
    return {
        "office": "32.16.01",
        "counter": "32.16.01/L1",
        "number": f"32.16.01/L1/2025/{n:06d}",
        "service": "PBG",
        "schedule": "bekasi-2024.1",
        "inputs": {"luas_m2": 120, "lantai": 2},
        "official_fee": 1_500_000,
        "charged": 1_500_000,
        "kind": "normal",
        "receipt": hashlib.sha256(b"%d" % n).hexdigest(),
    }


# -- PostgreSQL database for the run ---------------------------------------------------------


def _libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def _pg_database() -> Iterator[str | None]:
    """A fresh database on the benchmark server, dropped afterwards (``None`` if no server)."""
    server = make_url(
        os.environ.get("BUKTI_BENCH_PG_URL") or os.environ.get("BUKTI_TEST_PG_URL") or PG_DEFAULT
    )
    name = f"bukti_bench_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(_libpq(server), autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        _log(f"PostgreSQL unreachable, its figures are left out: {error}")
        yield None
        return
    try:
        yield server.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        with psycopg.connect(_libpq(server), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- durable appends -------------------------------------------------------------------------


def _timed_appends(store: LogStore, writers: int, each: int, batch: int | None) -> float:
    """Appends/s with ``writers`` threads, each making ``each`` appends (in ``batch``es)."""
    start = threading.Barrier(writers + 1)
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        start.wait()
        try:
            if batch is None:
                for i in range(each):
                    store.append(AppendRequest("receipt.issued", START_MS + i, _receipt_body(i)))
                return
            for first in range(0, each, batch):
                reqs = [
                    AppendRequest("receipt.issued", START_MS + i, _receipt_body(i))
                    for i in range(first, min(each, first + batch))
                ]
                for outcome in store.append_many(reqs):
                    if isinstance(outcome, Exception):
                        raise outcome
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return writers * each / elapsed


def _raw_sqlite_rate(path: Path, data: Sequence[bytes], per_commit: int) -> float:
    """Raw ``sqlite3``: the same bytes, WAL + synchronous=FULL, ``per_commit`` rows a commit."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE raw (seq INTEGER PRIMARY KEY, data BLOB NOT NULL)")
        rows = list(enumerate(data))
        began = time.perf_counter()
        for first in range(0, len(rows), per_commit):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO raw VALUES (?, ?)", rows[first : first + per_commit])
            conn.execute("COMMIT")
        return len(rows) / (time.perf_counter() - began)
    finally:
        conn.close()


def _raw_pg_rate(url: str, data: Sequence[bytes], per_commit: int, table: str) -> float:
    """Raw psycopg: the same bytes, ``per_commit`` rows per commit (synchronous_commit on)."""
    with psycopg.connect(_libpq(make_url(url))) as conn:
        conn.execute(f"CREATE TABLE {table} (seq BIGINT PRIMARY KEY, data BYTEA NOT NULL)")
        conn.commit()
        rows = list(enumerate(data))
        began = time.perf_counter()
        with conn.cursor() as cur:
            for first in range(0, len(rows), per_commit):
                cur.executemany(
                    f"INSERT INTO {table} VALUES (%s, %s)",  # noqa: S608 - fixed table name
                    rows[first : first + per_commit],
                )
                conn.commit()
        return len(rows) / (time.perf_counter() - began)


def _append_figures(
    backend: str,
    url: str,
    quick: bool,
    raw_rate: Callable[[Sequence[bytes], int, str], float],
) -> list[Figure]:
    migrate(url)
    engine = create_engine_for(url)
    store = LogStore(engine, signer=SIGNER, origin=ORIGIN, batch_max=BATCH)
    single = 300 if quick else 2_000
    each = 100 if quick else 1_000
    try:
        one = _timed_appends(store, 1, single, None)
        _log(f"{backend}: 1 writer {one:,.0f}/s")
        many = _timed_appends(store, WRITERS, each, None)
        _log(f"{backend}: {WRITERS} writers {many:,.0f}/s")
        bulk = _timed_appends(store, 1, WRITERS * each, BATCH)
        _log(f"{backend}: append_many {bulk:,.0f}/s")
        whole = [e.data for e in store.entries(0, store.size())]
        latest = store.latest_checkpoint().note
    finally:
        store.close()
        engine.dispose()
    data = whole[: WRITERS * each]
    raw_one = raw_rate(data[:single], 1, "raw_single")
    raw_group = raw_rate(data, WRITERS, "raw_group")
    raw_batch = raw_rate(data, BATCH, "raw_batch")
    durability = "WAL, synchronous=FULL" if backend == "SQLite" else "synchronous_commit=on"
    target = ">= 10,000 appends/s" if backend == "SQLite" else None
    per_row = f"raw driver, same bytes, 1 INSERT + COMMIT each ({durability})"
    per_group = (
        f"raw driver executemany, same bytes, {WRITERS} per COMMIT ({durability}): the "
        f"most {WRITERS} closed-loop writers can get"
    )
    per_batch = f"raw driver executemany, same bytes, {BATCH} per COMMIT ({durability})"
    verify_figures = [_verify_appended(whole, latest)] if backend == "SQLite" else []
    append_figures = [
        _figure(
            f"{backend}: durable appends, 1 writer",
            one,
            "appends/s",
            baseline_name=per_row,
            baseline_value=raw_one,
        ),
        _figure(
            f"{backend}: durable appends, {WRITERS} concurrent writers (group commit)",
            many,
            "appends/s",
            baseline_name=per_group,
            baseline_value=raw_group,
            target=target,
        ),
        _figure(
            f"{backend}: durable appends, append_many of {BATCH}",
            bulk,
            "appends/s",
            baseline_name=per_batch,
            baseline_value=raw_batch,
            target=target,
        ),
    ]
    return [*verify_figures, *append_figures]


def _verify_appended(entries: Sequence[bytes], note: bytes) -> Figure:
    """Full-log verification of the log the append benchmark wrote: receipt-shaped entries
    (~400 bytes), checked against the latest checkpoint."""
    began = time.perf_counter()
    checker = LogVerifier(ORIGIN, [SIGNER.verifier()], checkpoints=[note])
    checker.add_entries(enumerate(entries))
    report = checker.finish()
    rate = len(entries) / (time.perf_counter() - began)
    assert report.ok, report.findings
    sha256 = hashlib.sha256
    began = time.perf_counter()
    for data in entries:
        sha256(data).digest()
    hash_rate = len(entries) / (time.perf_counter() - began)
    return _figure(
        f"SQLite: full-log verification (LogVerifier.add_entries), the {len(entries):,} "
        f"receipt-shaped entries the append benchmark wrote, latest checkpoint",
        rate,
        "entries/s",
        baseline_name="hashlib.sha256 over the same stored bytes",
        baseline_value=hash_rate,
        target=">= 200,000 entries/s",
    )


def _figure(
    name: str,
    value: float,
    unit: str,
    *,
    baseline_name: str | None = None,
    baseline_value: float | None = None,
    target: str | None = None,
) -> Figure:
    return {
        "name": name,
        "value": round(value, 4),
        "unit": unit,
        "baseline_name": baseline_name,
        "baseline_value": None if baseline_value is None else round(baseline_value, 4),
        "target": target,
    }


# -- a bulk-built log for proofs and verification -------------------------------------------

_ENTRY = (
    b'{"at":%d,"body":{"fee":%d,"number":%d,"office":"32.16.01"},'
    b'"kind":"receipt.issued","prev":"%s","seq":%d}'
)
_CHUNK = 50_000


class _BulkLog:
    """Entries, nodes and checkpoints of an n-entry log, computed in memory chunk by chunk.

    The entry bytes come from a fixed template that is already RFC 8785 canonical (sorted
    keys, integers and plain ASCII strings); :meth:`check_template` proves it against
    :func:`ledger.encoding.encode_entry`.
    """

    def __init__(self, size: int, checkpoint_every: int) -> None:
        self.size = size
        self.checkpoint_every = checkpoint_every
        self.tree = TreeBuilder()
        self.prev = bytes(32)
        self.checkpoints: list[tuple[int, bytes, bytes]] = []

    @staticmethod
    def entry(seq: int, prev: bytes) -> bytes:
        return _ENTRY % (START_MS + seq, 15_000 + seq % 7, seq, prev.hex().encode(), seq)

    @staticmethod
    def check_template() -> None:
        prev = bytes(32)
        for seq in range(200):
            data = _BulkLog.entry(seq, prev)
            body = {"fee": 15_000 + seq % 7, "number": seq, "office": "32.16.01"}
            assert data == encode_entry(Entry(seq, "receipt.issued", START_MS + seq, prev, body))
            prev = leaf_hash(data)

    def chunks(self) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[int, int, bytes]]]]:
        """``(entry rows, node rows)`` per chunk, in insertion order."""
        for first in range(0, self.size, _CHUNK):
            entries: list[tuple[Any, ...]] = []
            nodes: list[tuple[int, int, bytes]] = []
            for seq in range(first, min(self.size, first + _CHUNK)):
                data = self.entry(seq, self.prev)
                leaf = leaf_hash(data)
                entries.append((seq, "receipt.issued", START_MS + seq, data, leaf, self.prev))
                nodes.extend(self.tree.append(leaf))
                self.prev = leaf
                if self.tree.size % self.checkpoint_every == 0 or self.tree.size == self.size:
                    cp = Checkpoint(ORIGIN, self.tree.size, self.tree.root())
                    note = sign_checkpoint(cp, SIGNER).note
                    self.checkpoints.append((cp.size, cp.root, note))
            yield entries, nodes

    def head(self) -> tuple[str, int, bytes, bytes, bytes]:
        return (ORIGIN, self.tree.size, self.tree.root(), self.prev, b"".join(self.tree.frontier))


_INSERT_ENTRIES = "INSERT INTO entries (seq, kind, at, data, leaf_hash, prev) VALUES "
_HEAD = "UPDATE log_head SET origin = {p}, size = {p}, root = {p}, last_leaf = {p}, frontier = {p}"


def _bulk_sqlite(path: Path, log: _BulkLog) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")  # building a fixture, not measuring durability
        conn.execute("BEGIN")
        for entries, nodes in log.chunks():
            conn.executemany(_INSERT_ENTRIES + "(?, ?, ?, ?, ?, ?)", entries)
            conn.executemany("INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)", nodes)
        conn.executemany(
            "INSERT INTO checkpoints (size, root, note) VALUES (?, ?, ?)", log.checkpoints
        )
        conn.execute(_HEAD.format(p="?"), log.head())
        conn.execute("COMMIT")
    finally:
        conn.close()


def _bulk_pg(url: str, log: _BulkLog) -> None:
    with psycopg.connect(_libpq(make_url(url))) as conn, conn.cursor() as cur:
        for entries, nodes in log.chunks():
            with cur.copy("COPY entries (seq, kind, at, data, leaf_hash, prev) FROM STDIN") as cp:
                for row in entries:
                    cp.write_row(row)
            with cur.copy("COPY merkle_nodes (level, idx, hash) FROM STDIN") as cp:
                for node in nodes:
                    cp.write_row(node)
        cur.executemany(
            "INSERT INTO checkpoints (size, root, note) VALUES (%s, %s, %s)", log.checkpoints
        )
        cur.execute(_HEAD.format(p="%s"), log.head())
        conn.commit()
        conn.execute("ANALYZE")


def _node_coords(
    prove: Callable[[Callable[[Sequence[tuple[int, int]]], list[bytes]]], Any],
) -> list[tuple[int, int]]:
    """The nodes a proof reads, found by running it against a recording reader."""
    seen: list[tuple[int, int]] = []

    def record(coords: Sequence[tuple[int, int]]) -> list[bytes]:
        seen.extend(coords)
        return [bytes(32)] * len(coords)

    prove(record)
    return seen


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _proof_figures(
    backend: str,
    url: str,
    size: int,
    samples: int,
    raw_fetch: Callable[[list[tuple[int, int]]], list[Any]],
) -> list[Figure]:
    engine = create_engine_for(url)
    store = LogStore(engine, signer=SIGNER, origin=ORIGIN)
    rng = random.Random(1216)  # noqa: S311 - picks samples, guards nothing
    root = store.latest_checkpoint().checkpoint.root
    label = f"{size:,} entries, bulk-built log (not via the append path)"
    try:
        incl, incl_raw, cons, cons_raw = [], [], [], []
        for _ in range(samples):
            seq = rng.randrange(size)
            began = time.perf_counter()
            proof = store.inclusion_proof(seq, size)
            incl.append(time.perf_counter() - began)
            verify_inclusion(store.entry(seq).leaf_hash, seq, size, proof, root)
            coords = _node_coords(partial(inclusion_proof, seq, size))
            began = time.perf_counter()
            raw_fetch(coords)
            incl_raw.append(time.perf_counter() - began)

            old = store.checkpoint_at_least(rng.randrange(1, size))
            began = time.perf_counter()
            proof = store.consistency_proof(old.checkpoint.size, size)
            cons.append(time.perf_counter() - began)
            verify_consistency(old.checkpoint.size, size, proof, old.checkpoint.root, root)
            coords = _node_coords(partial(consistency_proof, old.checkpoint.size, size))
            began = time.perf_counter()
            if coords:  # a proof between equal sizes reads nothing
                raw_fetch(coords)
            cons_raw.append(time.perf_counter() - began)
    finally:
        store.close()
        engine.dispose()
    raw = "raw driver fetching the same nodes in one query (median)"
    return [
        _figure(
            f"{backend}: inclusion proof latency, median, {label}",
            _median_ms(incl),
            "ms",
            baseline_name=raw,
            baseline_value=_median_ms(incl_raw),
            target="< 5 ms at 1,000,000 entries",
        ),
        _figure(
            f"{backend}: consistency proof latency, median, {label}",
            _median_ms(cons),
            "ms",
            baseline_name=raw,
            baseline_value=_median_ms(cons_raw),
            target="< 5 ms at 1,000,000 entries",
        ),
    ]


def _nodes_sql(coords: list[tuple[int, int]], placeholder: str) -> str:
    """One query fetching the given nodes by primary key (the raw-driver proof baseline)."""
    term = f"(level = {placeholder} AND idx = {placeholder})"
    where = " OR ".join([term] * len(coords))
    return f"SELECT level, idx, hash FROM merkle_nodes WHERE {where}"  # noqa: S608


def _raw_read_rate(path: Path, size: int) -> float:
    """Raw ``sqlite3`` reading the same rows in one ordered scan."""
    conn = sqlite3.connect(path)
    try:
        began = time.perf_counter()
        count = sum(
            1 for _ in conn.execute("SELECT seq, data, leaf_hash FROM entries ORDER BY seq")
        )
        assert count == size
        return size / (time.perf_counter() - began)
    finally:
        conn.close()


def _verify_figures(path: Path, size: int) -> list[Figure]:
    url = f"sqlite:///{path}"
    engine = create_engine_for(url)
    store = LogStore(engine, signer=SIGNER, origin=ORIGIN)
    try:
        began = time.perf_counter()
        stored = [e.data for e in store.entries(0, size)]
        read_rate = size / (time.perf_counter() - began)
        notes = [c.note for c in store.checkpoints()]
    finally:
        store.close()
        engine.dispose()

    began = time.perf_counter()
    checker = LogVerifier(ORIGIN, [SIGNER.verifier()])
    checker.expect_checkpoints(notes)
    checker.add_entries(enumerate(stored))
    report = checker.finish()
    verify_rate = size / (time.perf_counter() - began)
    assert report.ok, report.findings
    assert (report.size, report.checkpoints_verified) == (size, len(notes))

    sha256 = hashlib.sha256
    began = time.perf_counter()
    for data in stored:
        sha256(data).digest()
    hash_rate = size / (time.perf_counter() - began)
    label = f"{size:,} entries, bulk-built log"
    return [
        _figure(
            f"SQLite: full-log verification (LogVerifier.add_entries: every entry checked "
            f"canonical, chain, tree, {len(notes)} checkpoints), {label}",
            verify_rate,
            "entries/s",
            baseline_name="hashlib.sha256 over the same stored bytes",
            baseline_value=hash_rate,
            target=">= 200,000 entries/s",
        ),
        _figure(
            f"SQLite: streaming entries out of storage (LogStore.entries), {label}",
            read_rate,
            "entries/s",
            baseline_name="raw sqlite3: one ordered SELECT of the same rows",
            baseline_value=_raw_read_rate(path, size),
        ),
    ]


def run(quick: bool) -> list[Figure]:
    figures: list[Figure] = []
    size = 100_000 if quick else 1_000_000
    samples = 200 if quick else 500
    _BulkLog.check_template()
    with tempfile.TemporaryDirectory(prefix="bukti-bench-") as tmp:
        root = Path(tmp)

        url = f"sqlite:///{root / 'appends.sqlite3'}"
        figures += _append_figures(
            "SQLite",
            url,
            quick,
            lambda data, per, name: _raw_sqlite_rate(root / f"{name}.sqlite3", data, per),
        )
        with _pg_database() as pg_url:
            if pg_url is not None:
                dsn: str = pg_url
                figures += _append_figures(
                    "PostgreSQL",
                    dsn,
                    quick,
                    lambda data, per, name: _raw_pg_rate(dsn, data, per, name),
                )

        path = root / "proofs.sqlite3"
        url = f"sqlite:///{path}"
        migrate(url)
        began = time.perf_counter()
        _bulk_sqlite(path, _BulkLog(size, checkpoint_every=size // 10))
        _log(f"SQLite: bulk-built {size:,} entries in {time.perf_counter() - began:.1f} s")
        raw = sqlite3.connect(path)
        try:

            def sqlite_fetch(coords: list[tuple[int, int]]) -> list[Any]:
                params = [v for c in coords for v in c]
                return raw.execute(_nodes_sql(coords, "?"), params).fetchall()

            figures += _proof_figures("SQLite", url, size, samples, sqlite_fetch)
        finally:
            raw.close()
        figures += _verify_figures(path, size)

        with _pg_database() as pg_url:
            if pg_url is not None:
                migrate(pg_url)
                began = time.perf_counter()
                _bulk_pg(pg_url, _BulkLog(size, checkpoint_every=size // 10))
                took = time.perf_counter() - began
                _log(f"PostgreSQL: bulk-built {size:,} entries in {took:.1f} s")
                with psycopg.connect(_libpq(make_url(pg_url))) as conn:

                    def pg_fetch(coords: list[tuple[int, int]]) -> list[Any]:
                        params = [v for c in coords for v in c]
                        return conn.execute(_nodes_sql(coords, "%s"), params).fetchall()

                    figures += _proof_figures("PostgreSQL", pg_url, size, samples, pg_fetch)
    return figures
