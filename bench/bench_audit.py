"""Audit benchmarks: ``bukti audit`` throughput and memory on a log of 1,000,000 entries.

The log is a realistic mix — 40 offices with 3 counters each over about six months:
receipts (~88%, each with its signed COSE receipt), refused charges, supervisor voids with
void receipts, day closings, next-morning deposits and complaints, and a checkpoint every
64 entries (group commit). It is written directly as an audit bundle on disk
(:class:`audit.bundle.BundleWriter`; the entries hash-chained and their receipts signed as
the service would), not through the append path or HTTP, and cached in the temporary
directory between runs (``quick``: 100,000 entries).

Figures, each beside a baseline measured in the same run:

- audit throughput in entries/s without receipt signatures (``--no-signatures``) and
  with them (on every core), next to bare SHA-256 over the same entry bytes;
- CPU time per entry of the auditing process and of its worker processes (figures that
  other load on the machine disturbs less than throughput), and per receipt checked;
- CPU use of the signature run in cores (total CPU time / wall time) — both cores busy
  shows up as ≈2 — and the machine's load average around the runs;
- peak resident memory of the auditing process (``ru_maxrss``, measured in a subprocess)
  next to the size of the entry data it read.

Run with ``python -m bench --only audit [--quick]``.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from audit.bundle import BUNDLE_FORMAT, BundleWriter
from audit.calendar import DAY_MS, is_working_day
from audit.parallel import Workers
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.encoding import Entry, encode_entry
from ledger.merkle import TreeBuilder, leaf_hash
from ledger.note import NoteSigner
from ledger.schedule import Charge, check, default_schedule, publication_body, rejection_body
from ledger.tiles import TILE_WIDTH, decode_entry_bundle, entries_path
from receipts import (
    KeyPair,
    KeyPurpose,
    KeyRecord,
    ReceiptClaims,
    ReceiptKind,
    build_trust_list,
    commitment_from_leaf_hash,
    key_added_body,
    sign_receipt,
)

Figure = dict[str, Any]

ORIGIN: Final = "bench.bukti.example/log"
LOG_SEED: Final = hashlib.sha256(b"bukti bench log key").digest()
RECEIPT_SEED: Final = hashlib.sha256(b"bukti bench receipts key").digest()
START_MS: Final = 1_735_664_400_000  # 2025-01-01 00:00 WIB
HOUR: Final = 3_600_000
OFFICES: Final = 40
COUNTERS: Final = 3
CHECKPOINT_EVERY: Final = 64
#: Bump when the generated log changes, so a cached bundle is rebuilt.
BUILD_VERSION: Final = 1
_SIGN_CHUNK: Final = 2048

_SERVICES: Final[tuple[tuple[str, dict[str, Any]], ...]] = (
    ("RJU-SMP-01", {"bulan": 1}),
    ("RJU-SMP-01", {"bulan": 6}),
    ("RJU-SMP-02", {"bulan": 3}),
    ("RJU-SMP-03", {"bulan": 12}),
    ("RJU-PKR-01", {}),
    ("RJU-PKR-02", {}),
    ("RJU-PKR-03", {}),
    ("RJU-PSR-01", {"hari": 7}),
    ("RJU-PSR-01", {"hari": 30}),
    ("RJU-KES-01", {}),
    ("RPT-PBG-01", {"LLt": "235", "It": "0.773", "Ibg": "1"}),
    ("RPT-PBG-01", {"LLt": "120", "It": "0.5", "Ibg": "1"}),
    ("BBS-DKP-01", {}),
    ("BBS-DKP-02", {}),
    ("BBS-DKP-04", {}),
)


def _log(message: str) -> None:
    print(f"   {message}", file=sys.stderr, flush=True)


# -- the log -------------------------------------------------------------------------------


def _encode(seq: int, kind: str, at: int, prev: bytes, body: dict[str, Any]) -> bytes:
    """Canonical entry bytes. For ASCII, integer-only data the sorted compact JSON is the
    RFC 8785 form (:func:`build_bundle` checks it against ``encode_entry`` as it goes);
    anything else is encoded by ``encode_entry`` itself."""
    value = {"at": at, "body": body, "kind": kind, "prev": prev.hex(), "seq": seq}
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if not text.isascii():  # key order and escapes are only certain for ASCII
        return encode_entry(Entry(seq, kind, at, prev, body))
    return text.encode("ascii")


def _activity(days: int, seed: int) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """(kind, at, body) of every entry after the setup, day by day."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    schedule = default_schedule()
    fees = {
        (service, json.dumps(inputs, sort_keys=True)): check(
            schedule, Charge(service, inputs, 0, START_MS + DAY_MS)
        ).official_fee
        or 0
        for service, inputs in _SERVICES
    }
    offices = [f"32.16.{i + 1:02d}-UPTD" for i in range(OFFICES)]
    numbers: dict[tuple[str, str], int] = {}
    midnight = START_MS
    pending_deposit: dict[str, tuple[str, int]] = {}
    for _ in range(days):
        while not is_working_day((midnight + 7 * HOUR) // DAY_MS):
            midnight += DAY_MS
        date = time.strftime("%Y-%m-%d", time.gmtime((midnight + 7 * HOUR) / 1000))
        now = midnight + 8 * HOUR
        for office, (period, amount) in sorted(pending_deposit.items()):
            now += 1000
            yield (
                "deposit.recorded",
                now,
                {
                    "office": office,
                    "sts_no": f"STS/{office}/{period}",
                    "bank_ref": f"BJB-{period}-{office[-7:-5]}",
                    "amount": amount,
                    "period_from": period,
                    "period_to": period,
                    "counters": [f"L0{c + 1}" for c in range(COUNTERS)],
                    "deposited_at": now,
                    "by": f"u-{office}-bendahara",
                },
            )
        pending_deposit.clear()
        tallies: dict[tuple[str, str], list[int]] = {}
        issued: list[tuple[str, str, int, dict[str, Any]]] = []
        now = midnight + 8 * HOUR
        per_counter = 60
        for slot in range(per_counter):
            for office in offices:
                for c in range(COUNTERS):
                    counter = f"L0{c + 1}"
                    now += 3000  # 7,200 receipts spread over the working day
                    user = f"u-{office}-{counter}"
                    service, inputs = _SERVICES[rng.randrange(len(_SERVICES))]
                    official = fees[(service, json.dumps(inputs, sort_keys=True))]
                    tally = tallies.setdefault((office, counter), [0, 0, 0, 0])
                    if rng.random() < 0.06:
                        charge = Charge(service, inputs, official + 5000, now)
                        verdict = check(schedule, charge)
                        yield (
                            "charge.rejected",
                            now,
                            rejection_body(charge, verdict, user, office, counter),
                        )
                        continue
                    key = (office, counter)
                    numbers[key] = numbers.get(key, 0) + 1
                    body: dict[str, Any] = {
                        "receipt_no": f"{office}/{counter}/2025/{numbers[key]:06d}",
                        "office": office,
                        "counter": counter,
                        "by": user,
                        "service": service,
                        "schedule": schedule.id,
                        "inputs": dict(inputs),
                        "official_fee": official,
                        "charged": official,
                        "verdict": "ok",
                    }
                    tally[0] += 1
                    tally[1] += official
                    issued.append((office, counter, slot, body))
                    yield "receipt.issued", now, body
            if slot == per_counter // 2:
                for _ in range(len(offices) // 2):
                    now += 60
                    yield (
                        "complaint.filed",
                        now,
                        {
                            "tracking_no": f"ADU-{rng.randrange(10**10):010d}",
                            "paid_claimed": 10000,
                            "text_commitment": hashlib.sha256(b"%d" % now).hexdigest(),
                        },
                    )
        for office, counter, _slot, receipt in issued[:: max(1, len(issued) // 70)]:
            now += 60
            yield (
                "receipt.voided",
                now,
                {
                    "receipt_seq": receipt["_seq"],
                    "receipt_no": receipt["receipt_no"],
                    "office": office,
                    "reason": "salah input",
                    "requested_by": receipt["by"],
                    "approved_by": f"u-{office}-penyelia",
                    "approver_role": "supervisor",
                    "_original": receipt,
                },
            )
            tallies[(office, counter)][2] += 1
            tallies[(office, counter)][3] += receipt["charged"]
        now = midnight + 15 * HOUR + 30 * 60_000
        for (office, counter), (count, total, voids, voided) in sorted(tallies.items()):
            now += 1000
            yield (
                "day.closed",
                now,
                {
                    "office": office,
                    "counter": counter,
                    "date": date,
                    "count": count,
                    "total": total,
                    "voids": voids,
                    "void_total": voided,
                    "net": total - voided,
                    "last_seq": -1,  # filled in with the seq before the closing
                    "by": f"u-{office}-{counter}",
                },
            )
        for office in offices:
            net = sum(t[1] - t[3] for (o, _), t in tallies.items() if o == office)
            pending_deposit[office] = (date, net)
        midnight += DAY_MS


def _setup(keys: tuple[KeyRecord, KeyRecord]) -> Iterator[tuple[str, int, dict[str, Any]]]:
    now = START_MS
    for record in keys:
        now += 1000
        yield "key.added", now, key_added_body(record, by="system")
    yield "user.added", now, {"user": "u-admin", "role": "admin", "by": "system"}
    for i in range(OFFICES):
        office = f"32.16.{i + 1:02d}-UPTD"
        yield (
            "office.added",
            now,
            {
                "office": office,
                "name": f"UPTD {i + 1}",
                "address_area": "Cikarang",
                "by": "u-admin",
            },
        )
        for c in range(COUNTERS):
            counter = f"L0{c + 1}"
            yield (
                "counter.added",
                now,
                {
                    "office": office,
                    "counter": counter,
                    "name": f"Loket {c + 1}",
                    "by": "u-admin",
                },
            )
            yield (
                "user.added",
                now,
                {
                    "user": f"u-{office}-{counter}",
                    "role": "counter",
                    "office": office,
                    "by": "u-admin",
                },
            )
        for role, suffix in (("supervisor", "penyelia"), ("treasurer", "bendahara")):
            yield (
                "user.added",
                now,
                {
                    "user": f"u-{office}-{suffix}",
                    "role": role,
                    "office": office,
                    "by": "u-admin",
                },
            )
    yield "schedule.published", now, publication_body(default_schedule(), "u-admin")


def _sign_chunk(chunk: list[tuple[int, int, dict[str, Any], str]]) -> list[bytes]:
    """Receipts for (seq, at, body, leaf hex) — run on worker processes."""
    key = KeyPair(RECEIPT_SEED)
    out = []
    for seq, at, body, leaf in chunk:
        original = body.get("_original", body)
        void = "_original" in body
        claims = ReceiptClaims(
            office_code=original["office"],
            counter_code=original["counter"],
            number=f"{original['receipt_no']}/B" if void else original["receipt_no"],
            ledger_index=seq,
            issued_at=at // 1000,
            service_code=original["service"],
            schedule_version=original["schedule"],
            official_fee=original["official_fee"],
            amount_charged=original["charged"],
            kind=ReceiptKind.VOID if void else ReceiptKind.NORMAL,
            commitment=commitment_from_leaf_hash(bytes.fromhex(leaf)),
            voided_number=original["receipt_no"] if void else None,
        )
        out.append(sign_receipt(claims, key))
    return out


def build_bundle(out: Path, size: int, workers: Workers) -> None:
    """Write a bundle of exactly ``size`` entries into ``out``."""
    signer = NoteSigner(ORIGIN, LOG_SEED)
    receipts_key = KeyPair(RECEIPT_SEED)
    keys = (
        KeyRecord(ORIGIN, KeyPurpose.LOG, signer.public_key, START_MS),
        KeyRecord("receipts-bench", KeyPurpose.RECEIPTS, receipts_key.public_key, START_MS),
    )
    writer = BundleWriter(out, origin=ORIGIN)
    tree = TreeBuilder()
    prev = bytes(32)
    days = size // 7000 + 2
    entries = _generate(keys, days)
    pending: list[tuple[bytes, dict[str, Any] | None]] = []
    to_sign: list[tuple[int, int, dict[str, Any], str]] = []
    last_note = b""
    for seq, (kind, at, body) in zip(range(size), entries, strict=False):
        if kind == "receipt.issued":
            body["_seq"] = seq
        if kind == "day.closed":
            body["last_seq"] = seq - 1
        clean = {k: v for k, v in body.items() if not k.startswith("_")}
        data = _encode(seq, kind, at, prev, clean)
        if (seq < 2000 or seq % 50_000 == 0) and data != encode_entry(
            Entry(seq, kind, at, prev, clean)
        ):
            raise RuntimeError(f"entry {seq} is not canonical: the generator is broken")
        leaf = leaf_hash(data)
        tree.append(leaf)
        if kind in ("receipt.issued", "receipt.voided"):
            to_sign.append((seq, at, body, leaf.hex()))
            pending.append((data, body))
        else:
            pending.append((data, None))
        prev = leaf
        if tree.size % CHECKPOINT_EVERY == 0 or tree.size == size:
            note = sign_checkpoint(Checkpoint(ORIGIN, tree.size, tree.root()), signer).note
            writer.add_checkpoint(note)
            last_note = note
        if len(pending) >= 8 * _SIGN_CHUNK:
            _flush(writer, pending, to_sign, workers)
    _flush(writer, pending, to_sign, workers)
    writer.finish(last_note, build_trust_list(keys).to_json(), exported_at=START_MS)


def _generate(
    keys: tuple[KeyRecord, KeyRecord], days: int
) -> Iterator[tuple[str, int, dict[str, Any]]]:
    yield from _setup(keys)
    yield from _activity(days, seed=2025)


def _flush(
    writer: BundleWriter,
    pending: list[tuple[bytes, dict[str, Any] | None]],
    to_sign: list[tuple[int, int, dict[str, Any], str]],
    workers: Workers,
) -> None:
    futures = [
        workers.submit(_sign_chunk, to_sign[i : i + _SIGN_CHUNK])
        for i in range(0, len(to_sign), _SIGN_CHUNK)
    ]
    signed = iter([cose for future in futures for cose in future.result()])
    for data, body in pending:
        writer.add_entry(data, next(signed) if body is not None else None)
    pending.clear()
    to_sign.clear()


def _cached_bundle(size: int) -> Path:
    """The benchmark bundle of ``size`` entries, built once and kept in the temp directory."""
    tag = f"{BUNDLE_FORMAT.replace('/', '-')}-v{BUILD_VERSION}-{size}"
    path = Path(tempfile.gettempdir()) / f"bukti-bench-audit-{tag}"
    if (path / "manifest.json").is_file():
        _log(f"reusing the benchmark bundle {path}")
        return path
    building = path.with_name(path.name + f".building-{os.getpid()}")
    began = time.perf_counter()
    with Workers(None) as workers:
        build_bundle(building, size, workers)
    os.replace(building, path)
    _log(f"built a bundle of {size:,} entries in {time.perf_counter() - began:.1f} s: {path}")
    return path


# -- measurements ----------------------------------------------------------------------------

_CHILD: Final = """
import json, multiprocessing.forkserver, resource, sys, time
from pathlib import Path
from audit import AuditOptions, BundleSource, run_audit
if __name__ == "__main__":
    options = AuditOptions(verify_signatures=sys.argv[2] == "1")
    before = resource.getrusage(resource.RUSAGE_SELF)  # not the interpreter's start-up
    began = time.perf_counter()
    result = run_audit(BundleSource(Path(sys.argv[1])), options)
    wall = time.perf_counter() - began
    # The workers are children of the fork server: stop it (it reaps them) so that their
    # CPU time reaches this process's RUSAGE_CHILDREN.
    stop = getattr(multiprocessing.forkserver._forkserver, "_stop", None)
    if stop is not None:
        stop()
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({
        "wall": wall,
        "entries": result.scope.entries_read,
        "holds": result.integrity_holds,
        "receipts": result.receipts_checked,
        "main_cpu": own.ru_utime + own.ru_stime - before.ru_utime - before.ru_stime,
        "workers_cpu": kids.ru_utime + kids.ru_stime,
        "maxrss_kib": own.ru_maxrss,
        "workers_maxrss_kib": kids.ru_maxrss,
    }))
"""


def _audit_in_subprocess(bundle: Path, signatures: bool) -> dict[str, Any]:
    repo = Path(__file__).resolve().parents[1]
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _CHILD, str(bundle), "1" if signatures else "0"],
        check=True,
        capture_output=True,
        text=True,
        cwd=repo,
    )
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if not figures["holds"]:
        raise RuntimeError("the benchmark log did not audit clean: the generator is broken")
    return figures


def _sha256_rate(bundle: Path, size: int) -> tuple[float, int]:
    """Entries/s of bare SHA-256 over every entry (read from the same tiles); total bytes."""
    total = 0
    began = time.perf_counter()
    for index in range(-(-size // TILE_WIDTH)):
        width = min(TILE_WIDTH, size - index * TILE_WIDTH)
        for data in decode_entry_bundle((bundle / entries_path(index, width)).read_bytes()):
            hashlib.sha256(b"\x00" + data).digest()
            total += len(data)
    return size / (time.perf_counter() - began), total


def _per_entry_us(seconds: float, entries: int) -> float:
    return seconds / max(entries, 1) * 1e6


def run(quick: bool) -> list[Figure]:
    size = 100_000 if quick else 1_000_000
    bundle = _cached_bundle(size)
    baseline, data_bytes = _sha256_rate(bundle, size)
    load_before = os.getloadavg()[0]
    plain = _audit_in_subprocess(bundle, signatures=False)
    _log(f"audit without signatures: {plain['wall']:.1f} s")
    signed = _audit_in_subprocess(bundle, signatures=True)
    _log(f"audit with signatures: {signed['wall']:.1f} s, {signed['receipts']:,} receipts")
    load_after = os.getloadavg()[0]
    # The same audit on a log a tenth the size: how peak memory grows with the entries.
    small_size = size // 10
    small = _audit_in_subprocess(_cached_bundle(small_size), signatures=False)
    growth = (plain["maxrss_kib"] - small["maxrss_kib"]) * 1024 / (size - small_size)
    _log(
        f"peak memory without signatures: {small['maxrss_kib'] / 1024:.0f} MiB at "
        f"{small_size:,} entries, {plain['maxrss_kib'] / 1024:.0f} MiB at {size:,}"
    )
    label = _label(size)
    sha256_us = 1e6 / baseline
    signed_cpu = signed["main_cpu"] + signed["workers_cpu"]
    return [
        {
            "name": f"audit entries/s, no receipt signatures ({label}-entry log)",
            "value": plain["entries"] / plain["wall"],
            "unit": "entries/s",
            "baseline_name": "bare SHA-256 of the same entries",
            "baseline_value": baseline,
            "target": ">= 100,000 entries/s",
        },
        {
            "name": f"audit entries/s, with receipt signatures ({label}-entry log)",
            "value": signed["entries"] / signed["wall"],
            "unit": "entries/s",
            "baseline_name": "bare SHA-256 of the same entries",
            "baseline_value": baseline,
            "target": "signature checks on every core",
        },
        {
            "name": "audit CPU per entry, main process, no receipt signatures",
            "value": _per_entry_us(plain["main_cpu"], plain["entries"]),
            "unit": "µs/entry",
            "baseline_name": "bare SHA-256 of one entry",
            "baseline_value": sha256_us,
            "target": "main and workers together ≤ 20 µs/entry on 2 cores",
        },
        {
            "name": "audit CPU per entry, worker processes, no receipt signatures",
            "value": _per_entry_us(plain["workers_cpu"], plain["entries"]),
            "unit": "µs/entry",
            "baseline_name": "bare SHA-256 of one entry",
            "baseline_value": sha256_us,
            "target": "main and workers together ≤ 20 µs/entry on 2 cores",
        },
        {
            "name": "audit CPU per receipt checked, with receipt signatures (all processes)",
            "value": _per_entry_us(signed_cpu, signed["receipts"]),
            "unit": "µs/receipt",
            "baseline_name": "bare SHA-256 of one entry",
            "baseline_value": sha256_us,
            "target": "dominated by the Ed25519 verification",
        },
        {
            "name": "audit CPU use with receipt signatures",
            "value": signed_cpu / signed["wall"],
            "unit": "cores",
            "baseline_name": "cores available",
            "baseline_value": float(os.cpu_count() or 1),
            "target": "both cores busy (≈2 on 2 cores)",
        },
        {
            "name": "load average (1 min) before the audit runs: other work on the machine",
            "value": load_before,
            "unit": "runnable",
            "baseline_name": "after them (the audits' own processes included)",
            "baseline_value": load_after,
            "target": "well below the core count for throughput figures that mean anything",
        },
        {
            "name": f"audit peak memory, auditing process ({label}-entry log)",
            "value": max(plain["maxrss_kib"], signed["maxrss_kib"]) / 1024,
            "unit": "MiB",
            "baseline_name": "entry bytes read",
            "baseline_value": data_bytes / 2**20,
            "target": "< 300 MB at 1M entries",
        },
        {
            "name": (
                f"audit peak memory growth per entry, {_label(small_size)} to {label} entries "
                "(no receipt signatures)"
            ),
            "value": growth,
            "unit": "bytes/entry",
            "baseline_name": "entry bytes per entry",
            "baseline_value": data_bytes / size,
            "target": "flat in the entries: the receipt index (~21 B/entry) and per-day tallies",
        },
    ]


def _label(size: int) -> str:
    return f"{size // 1000}k" if size < 1_000_000 else f"{size // 1_000_000}M"
