"""Export bundles: self-contained, pinned to one checkpoint, and audited like the database."""

from __future__ import annotations

import gc
import hashlib
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from audit import (
    AuditOptions,
    BundleSource,
    ExportError,
    ManifestError,
    run_audit,
    runner,
    write_bundle,
)
from audit.bundle import BUNDLE_FORMAT, decode_prefixed
from ledger.checkpoint import Checkpoint
from ledger.storage import AppendRequest
from ledger.tiles import decode_entry_bundle
from receipts import KeyPair
from tests.audit import tamper
from tests.audit.conftest import INLINE, LogUnderTest
from tests.audit.populate import RECEIPT_SEED, receipt_attachment
from tests.audit.test_parallel import _StartedWorkers


def export(log: LogUnderTest, out: Path) -> None:
    with log.source() as source:
        write_bundle(source, out, exported_at=log.meta.clock_ms)


def test_bundle_audits_like_the_database(honest_log: LogUnderTest, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    export(honest_log, out)
    from_db = honest_log.audit()
    from_bundle = run_audit(BundleSource(out), INLINE)
    assert from_bundle.integrity_holds
    assert [(f.code, f.seq) for f in from_bundle.findings] == [
        (f.code, f.seq) for f in from_db.findings
    ]
    assert from_bundle.scope.checkpoint_size == from_db.scope.checkpoint_size
    assert from_bundle.receipts_checked == from_db.receipts_checked
    assert from_bundle.reconciliation == from_db.reconciliation


def test_bundle_layout_and_manifest(honest_log: LogUnderTest, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    export(honest_log, out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == BUNDLE_FORMAT
    size = manifest["checkpoint"]["size"]
    assert manifest["counts"]["entries"] == size
    for path, listed in manifest["files"].items():
        data = (out / path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == listed["sha256"], path
        assert len(data) == listed["size"]
    # C2SP tlog-tiles: the entries, 256 per bundle, the last one partial.
    entries = decode_entry_bundle((out / "tile/entries/000.p" / str(size)).read_bytes())
    assert len(entries) == size
    assert entries[0].startswith(b'{"at":')
    assert (out / "tile/0/000.p" / str(size)).stat().st_size == 32 * size
    note = (out / "checkpoint").read_bytes()
    assert Checkpoint.parse(note.decode().split("\n\n")[0] + "\n").size == size
    notes = decode_prefixed((out / "checkpoints").read_bytes())
    assert notes[-1] == note
    assert (out / "keys.json").read_bytes() == honest_log.meta.trust_list
    receipts = decode_prefixed((out / "receipts/000.p" / str(size)).read_bytes())
    assert sum(1 for r in receipts if r) == manifest["counts"]["receipts"]
    assert "README.txt" in manifest["files"]


def test_bundle_holds_no_personal_data(honest_log: LogUnderTest, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    export(honest_log, out)
    everything = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    # Complaints appear only as commitments; no free text or contact field is exported.
    assert b"complaint text" not in everything
    assert b'"contact"' not in everything


def test_export_refuses_a_directory_in_use(honest_log: LogUnderTest, tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "something").write_text("x")
    with pytest.raises(ExportError, match="empty or new directory"):
        export(honest_log, tmp_path / "busy")


def test_export_of_a_growing_log_is_pinned_to_one_checkpoint(
    honest_log: LogUnderTest, tmp_path: Path
) -> None:
    store = honest_log.store()
    stop = threading.Event()
    appended: list[int] = []

    template = json.loads(tamper.entry_data(honest_log.attacker(), honest_log.meta.receipts[-1]))
    attach = receipt_attachment(KeyPair(RECEIPT_SEED))

    def writer() -> None:  # a counter issuing receipts, each signed in its append
        at = honest_log.meta.clock_ms
        while not stop.is_set():
            at += 1000
            body = {**template["body"], "receipt_no": f"{template['body']['receipt_no']}-{at}"}
            request = AppendRequest("receipt.issued", at, body, attach=attach)
            appended.append(store.append(request).seq)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(appended) < 3:
            stop.wait(0.01)
        export(honest_log, tmp_path / "bundle")
        after = len(appended)
        while len(appended) < after + 3:
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join()
        store.close()
    result = run_audit(BundleSource(tmp_path / "bundle"), INLINE)
    assert result.integrity_holds, [(f.code, f.seq) for f in result.integrity_findings]
    assert result.scope.entries_read == result.scope.checkpoint_size
    assert result.scope.checkpoint_size < honest_log.audit().scope.checkpoint_size


def test_attack_edit_an_entry_tile_in_the_bundle(honest_log: LogUnderTest, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    export(honest_log, out)
    seq = honest_log.seqs["receipt.amount"]
    tile = next((out / "tile" / "entries").glob("000*")).resolve()
    if tile.is_dir():
        tile = next(tile.iterdir())
    data = bytearray(tile.read_bytes())
    entries = decode_entry_bundle(bytes(data))
    marker = b'"charged":'
    start = sum(2 + len(e) for e in entries[:seq]) + 2
    pos = data.index(marker, start) + len(marker)
    data[pos : pos + 1] = b"9" if data[pos : pos + 1] != b"9" else b"8"
    tile.write_bytes(bytes(data))
    result = run_audit(BundleSource(out), INLINE)
    first = result.first_break
    assert first is not None
    assert (first.code, first.seq) == ("integrity.changed", seq)
    assert any(f.code == "integrity.bundle_file" for f in result.integrity_findings)


def test_a_directory_without_manifest_is_not_a_bundle(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"manifest\.json"):
        BundleSource(tmp_path)


def test_since_checkpoint_on_a_bundle(honest_log: LogUnderTest, tmp_path: Path) -> None:
    first = tmp_path / "first"
    export(honest_log, first)
    saved = run_audit(BundleSource(first), INLINE).verified_checkpoint
    assert saved is not None
    store = honest_log.store()
    for i in range(5):
        body = {"tracking_no": f"ADU-N{i}", "paid_claimed": 0, "text_commitment": "1" * 64}
        store.append(AppendRequest("complaint.filed", honest_log.meta.clock_ms + i, body))
    store.close()
    second = tmp_path / "second"
    export(honest_log, second)
    result = run_audit(BundleSource(second), INLINE, since_note=saved[2])
    assert result.integrity_holds
    assert result.scope.since_size == saved[0]
    # Only what is new is reported: the five complaints without a receipt.
    assert {f.seq for f in result.findings if f.seq is not None} >= set(
        range(saved[0], saved[0] + 5)
    )
    assert all(f.seq is None or f.seq >= saved[0] for f in result.findings)


class _EntriesOnly:
    """A bundle read only through ``AuditSource.entries`` (the way any source is read)."""

    def __init__(self, source: BundleSource) -> None:
        self._source = source

    def __getattr__(self, name: str) -> Any:
        if name in ("entry_tiles", "bad_tile"):
            raise AttributeError(name)
        return getattr(self._source, name)


@pytest.mark.parametrize("run", [256, 2048])
def test_attack_a_broken_tile_ends_the_log_alike_however_it_is_read(
    honest_log: LogUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: int
) -> None:
    out = tmp_path / "bundle"
    export(honest_log, out)
    tiles = sorted(p for p in (out / "tile" / "entries").rglob("*") if p.is_file())
    broken = tiles[len(tiles) // 2]
    broken.write_bytes(broken.read_bytes()[:-3])  # the last entry is cut short
    monkeypatch.setattr(runner, "CHUNK", run)  # runs of one tile, or of all of them

    def outcome(source: Any, options: AuditOptions) -> tuple[Any, ...]:
        result = run_audit(source, options)
        return (
            [(f.code, f.seq, f.message) for f in result.findings],
            result.scope.entries_read,
            result.receipts_checked,
        )

    by_entry = outcome(_EntriesOnly(BundleSource(out)), INLINE)
    assert by_entry == outcome(BundleSource(out), INLINE)
    assert by_entry[1] < BundleSource(out).manifest.entries
    assert any(
        f[0] == "integrity.bundle_file" and "is not an entry bundle" in f[2] for f in by_entry[0]
    )
    monkeypatch.setattr(runner, "Workers", _StartedWorkers)
    assert outcome(BundleSource(out), AuditOptions(workers=2)) == by_entry


def test_the_cyclic_collector_runs_again_after_an_audit(
    honest_log: LogUnderTest, tmp_path: Path
) -> None:
    out = tmp_path / "bundle"
    export(honest_log, out)
    assert gc.isenabled()
    seen: list[bool] = []
    thread = threading.Thread(
        target=lambda: seen.append(run_audit(BundleSource(out), INLINE).integrity_holds)
    )
    thread.start()
    thread.join()
    assert seen == [True]
    assert run_audit(BundleSource(out), INLINE).integrity_holds
    assert gc.isenabled()


@pytest.mark.parametrize("signatures", [False, True])
def test_attack_file_digests_are_found_alike_wherever_they_are_checked(
    honest_log: LogUnderTest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    signatures: bool,
) -> None:
    out = tmp_path / "bundle"
    export(honest_log, out)
    manifest = json.loads((out / "manifest.json").read_text())
    files = manifest["files"]
    receipts = next(p for p in sorted(files) if p.startswith("receipts/"))
    hashes = next(p for p in sorted(files) if p.startswith("tile/0/"))
    entries = next(p for p in sorted(files) if p.startswith("tile/entries/"))
    data = bytearray((out / receipts).read_bytes())
    data[-1] ^= 1  # the last receipt's signature
    (out / receipts).write_bytes(bytes(data))
    (out / hashes).unlink()  # listed, but gone
    files[entries]["sha256"] = "0" * 64  # the tile is intact; the manifest disagrees
    (out / "manifest.json").write_text(json.dumps(manifest))
    options = AuditOptions(workers=0, verify_signatures=signatures)

    def outcome(source: Any, options: AuditOptions) -> list[tuple[Any, ...]]:
        result = run_audit(source, options)
        return [(f.code, f.seq, f.message) for f in result.findings]

    by_entry = outcome(_EntriesOnly(BundleSource(out)), options)
    flagged = {f[2].split()[2] for f in by_entry if f[0] == "integrity.bundle_file"}
    assert flagged == {receipts, hashes, entries}
    assert outcome(BundleSource(out), options) == by_entry
    monkeypatch.setattr(runner, "Workers", _StartedWorkers)
    workers = AuditOptions(workers=2, verify_signatures=signatures)
    assert outcome(BundleSource(out), workers) == by_entry
