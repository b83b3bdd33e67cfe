"""One streaming pass over a log: integrity, receipts, compliance, patterns.

:func:`run_audit` reads an :class:`~audit.source.AuditSource` once, in stored order, in
runs of :data:`CHUNK` entries (a bundle's entry tiles are handed on unsplit,
:class:`~audit.source.EntryTiles`). Worker processes (:mod:`audit.parallel`) do all that needs
only the bytes (:func:`audit.chunks.check_entry_chunk`: canonical form, leaf hashes and the
tree nodes above them, where the chain steps out of line, the facts of each receipt),
verify checkpoint signatures ahead of need, and verify receipts
(:func:`audit.receipt_check.check_receipts`). The main process, run by run, follows the
chain (:meth:`~audit.integrity.ChainChecker.observe_run`: only the entries out of line one
by one), judges every stored checkpoint at its size against the tree head
(:class:`~audit.tree.RunTree`, :class:`~audit.integrity.CheckpointChecker`), and replays
keys and business rules entry by entry (:class:`~audit.compliance.ComplianceChecker`; each
run of receipts between other entries as one batch).
Memory is bounded by the window of runs in flight, O(counters × days) aggregates and ~26
bytes of receipt index per entry.
"""

from __future__ import annotations

import gc
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from itertools import islice
from typing import Final, cast

from audit.chunks import (
    ChunkJob,
    EntryChunk,
    PackedEntries,
    Record,
    TileRun,
    check_entry_chunk,
    digest_files,
)
from audit.compliance import ComplianceChecker, ComplianceTables, IssuedRecord
from audit.errors import TrustAnchorError
from audit.findings import BreakKind, Finding, FindingSink
from audit.integrity import ChainChecker, CheckpointChecker, peek_checkpoint
from audit.keys import KeyState, load_trust_list
from audit.options import AuditOptions
from audit.parallel import Workers
from audit.receipt_check import ReceiptEntry, ReceiptJob, check_receipts
from audit.result import AuditResult, Scope
from audit.since import SavedCheckpoint, open_saved_checkpoint
from audit.source import (
    RECEIPT_ATTACHMENT,
    AuditSource,
    EntryTile,
    EntryTiles,
    FileDigest,
    FileDigests,
)
from audit.tree import RunTree
from ledger.errors import LedgerError
from ledger.merkle import EMPTY_ROOT, HASH_SIZE, verify_consistency
from receipts.errors import TrustListError
from receipts.trustlist import TrustList

__all__ = ["Progress", "run_audit"]

#: Called with (entries done, entries expected) after each chunk.
Progress = Callable[[int, int], None]

CHUNK: Final = 2048
#: Below these many entries an audit runs in one process (worker start-up would not pay).
_SMALL_SIGNED: Final = 5_000
_SMALL_UNSIGNED: Final = 50_000
RECEIPT_JOB: Final = 256
#: Files whose digests one worker job checks (a bundle's receipt tiles: ~50 KB each).
DIGEST_JOB: Final = 32
_KEY_KINDS: Final = frozenset({"key.added", "key.retired"})
_RECEIPT_KINDS: Final = frozenset({"receipt.issued", "receipt.voided"})


def run_audit(
    source: AuditSource,
    options: AuditOptions | None = None,
    *,
    trust_list: bytes | None = None,
    trust_label: str | None = None,
    since_note: bytes | None = None,
    progress: Progress | None = None,
) -> AuditResult:
    """Audit ``source`` and return the result; raises only when it cannot run at all.

    ``trust_list`` is the inspector's own trust anchor (``--keys``); without it the
    source's ``keys.json`` is used. ``since_note`` is a checkpoint saved by an earlier
    audit (``--since-checkpoint``): only what is newer is reported.
    Raises :class:`~audit.errors.TrustAnchorError` or
    :class:`~audit.errors.SavedCheckpointError`.
    """
    opts = options or AuditOptions()
    data = trust_list if trust_list is not None else source.trust_list()
    if data is None:
        raise TrustAnchorError(
            "expected a trust list (keys.json) to verify signatures against, found none: "
            "pass --keys FILE"
        )
    try:
        anchor = load_trust_list(data)
    except TrustListError as exc:
        raise TrustAnchorError(f"the trust list cannot be used: {exc}") from exc
    label = trust_label or ("given trust list" if trust_list is not None else "source keys.json")
    since = None
    if since_note is not None:
        since = open_saved_checkpoint(since_note, anchor, origin=source.origin)
    with Workers(_worker_count(opts, source.pinned_size)) as workers:
        audit = _Audit(
            source=source,
            options=opts,
            anchor=anchor,
            anchor_label=label,
            since=since,
            workers=workers,
            progress=progress,
        )
        # The pass makes a few short-lived tuples per entry and no reference cycles: the
        # cyclic collector would only scan them again and again (~10% of the pass). The
        # collector is process-wide, so it is paused only for an audit that is the
        # process's main work (the command line), never under a server's request threads.
        pause = threading.current_thread() is threading.main_thread() and gc.isenabled()
        if pause:
            gc.disable()
        try:
            return audit.run()
        finally:
            if pause:
                gc.enable()


def _tile_run(
    tiles: list[EntryTile], digest: bool
) -> tuple[Sequence[int], TileRun, list[EntryTile]]:
    """A run of consecutive tiles as :meth:`_Audit._runs` yields it."""
    first = tiles[0][0]
    held = sum(tile[1] for tile in tiles)
    run = TileRun([(t[1], t[2]) for t in tiles], digest)
    return range(first, first + held), run, tiles


def _next_stop(pos: int, *sizes: int) -> int:
    """The smallest of ``sizes`` beyond ``pos`` (-1: none)."""
    ahead = [size for size in sizes if size > pos]
    return min(ahead) if ahead else -1


def _worker_count(options: AuditOptions, size: int) -> int | None:
    """``options.workers``, or for ``None``: every core, unless the log is so small that
    starting processes would take longer than checking it here."""
    if options.workers is not None:
        return options.workers
    small = _SMALL_SIGNED if options.verify_signatures else _SMALL_UNSIGNED
    return 0 if size < small else None


class _Audit:
    def __init__(
        self,
        *,
        source: AuditSource,
        options: AuditOptions,
        anchor: TrustList,
        anchor_label: str,
        since: SavedCheckpoint | None,
        workers: Workers,
        progress: Progress | None,
    ) -> None:
        self.source = source
        self.options = options
        self.anchor_label = anchor_label
        self.since = since
        self.workers = workers
        self.progress = progress
        self.report_from = since.size if since is not None else 0
        self.sink = FindingSink(report_from=self.report_from)
        self.keys = KeyState(anchor)
        self.chain = ChainChecker(self.sink)
        self.tree = RunTree(CHUNK)
        self.checkpoints = CheckpointChecker(
            source.checkpoints(),
            origin=source.origin,
            keys=self.keys,
            sink=self.sink,
            proofs=source.consistency_proof,
            verify_signatures_from=self.report_from,
            submit=workers.submit,
        )
        self.compliance = ComplianceChecker(
            self.sink,
            deadline_days=options.deposit_deadline_days,
            hours=options.office_hours,
            holidays=options.holidays,
            thresholds=options.thresholds,
            documents=source.schedule_document,
        )
        self.kinds: dict[str, int] = {}
        self.pos = 0
        self.first_at: int | None = None
        self.last_at: int | None = None
        self.pending_receipts: list[ReceiptEntry] = []
        self.receipt_futures: deque[Future[list[Finding]]] = deque()
        self.receipts_checked = 0
        # Digests a bundle leaves to the reader (FileDigests): entry tiles are hashed with
        # their run, the files the pass does not read in jobs of their own, both in the
        # workers; ``digest_jobs`` waits to be sent, ``digest_futures`` to be taken in.
        self.digests: FileDigests | None = None
        self.digest_jobs: deque[list[tuple[str, str]]] = deque()
        self.digest_futures: deque[tuple[list[str], Future[list[FileDigest]]]] = deque()

    # -- the pass --------------------------------------------------------------------------

    def run(self) -> AuditResult:
        total = self.source.pinned_size
        if self.since is not None:
            self._check_since_consistency(total)
        self.checkpoints.at_size(0, EMPTY_ROOT, None)
        self._defer_digests()
        runs_left = max(1, -(-total // CHUNK))
        window: deque[tuple[Future[EntryChunk], Sequence[int], list[EntryTile]]] = deque()
        depth = 2 * max(1, self.workers.count)  # runs checked ahead: two per worker
        for stored, entries, tiles in self._runs():
            inline = self.workers.inline
            job: ChunkJob = (
                entries if inline or isinstance(entries, TileRun) else PackedEntries(entries),
                inline,
            )
            window.append((self.workers.submit(check_entry_chunk, job), stored, tiles))
            if self.digest_jobs and not inline:  # spread over the pass, one share per run
                self._submit_digests(-(-len(self.digest_jobs) // runs_left))
            runs_left = max(1, runs_left - 1)
            if len(window) > depth:
                if not self._consume(*window.popleft()):
                    window.clear()  # the rest of the log is not read (a bad tile)
                    break
                if self.progress is not None:
                    self.progress(self.pos, total)
        while window:
            if not self._consume(*window.popleft()):
                window.clear()
        if self.progress is not None:
            self.progress(self.pos, total)
        self._flush_receipts()
        self.chain.finish()
        last = self.chain.last
        self.checkpoints.finish(self.pos, last.seq if last is not None else None)
        self._submit_digests(len(self.digest_jobs))
        self._take_digests(wait=True)
        self._finish_sources()
        while self.receipt_futures:
            self.sink.extend(self.receipt_futures.popleft().result())
        tables = self.compliance.finish()
        return self._result(tables)

    def _runs(self) -> Iterator[tuple[Sequence[int], list[bytes] | TileRun, list[EntryTile]]]:
        """Runs of ``(stored seqs, entries, tiles)``: the entries as bytes, or as the
        :class:`~audit.chunks.TileRun` of the ``tiles`` that hold them where the source
        offers its tiles (:class:`~audit.source.EntryTiles`); the stored seq keys the
        attachments. Every run but the last holds :data:`CHUNK` entries
        (:class:`~audit.tree.RunTree`)."""
        source = self.source
        if not isinstance(source, EntryTiles):
            entries = source.entries(0)
            while batch := list(islice(entries, CHUNK)):
                yield [seq for seq, _ in batch], [data for _, data in batch], []
            return
        tiles: list[EntryTile] = []
        held = 0
        digest = self.digests is not None
        for tile in source.entry_tiles():
            if held + tile[1] > CHUNK or (tiles and tiles[-1][0] + tiles[-1][1] != tile[0]):
                yield _tile_run(tiles, digest)
                tiles, held = [], 0
            tiles.append(tile)
            held += tile[1]
            if held == CHUNK:
                yield _tile_run(tiles, digest)
                tiles, held = [], 0
        if tiles:
            yield _tile_run(tiles, digest)

    def _consume(
        self, future: Future[EntryChunk], stored: Sequence[int], tiles: list[EntryTile]
    ) -> bool:
        """Take in one checked run; ``False`` if it ends at a bad tile (nothing follows)."""
        checked = future.result()
        if checked.count:
            self._take_in(checked, stored)
        if checked.digests is not None and self.digests is not None:
            for tile, found in zip(tiles, checked.digests, strict=True):
                self.digests.file_digest(tile[3], found)
        if checked.bad_tile is None:
            return True
        index, problem = checked.bad_tile
        assert isinstance(self.source, EntryTiles)
        self.source.bad_tile(tiles[index], problem)
        return False

    def _take_in(self, checked: EntryChunk, stored: Sequence[int]) -> None:
        """Follow the chain, the tree, the checkpoints and the rules through one run."""
        first, count = self.pos, checked.count
        leaves, levels = checked.leaves, checked.levels
        self.chain.observe_run(first, leaves, checked.heads)
        kinds = self.kinds
        for kind, seen in checked.kinds.items():
            kinds[kind] = kinds.get(kind, 0) + seen
        records = checked.replay_records()
        checkpoints = self.checkpoints
        since_size = self.since.size if self.since is not None else -1
        done, replayed = first, 0  # tree heads checked up to size ``done``; entries replayed
        while (stop := _next_stop(done, checkpoints.next_size, since_size)) > 0:
            if stop > first + count:
                break
            # A checkpoint (or the saved checkpoint) of size ``stop``: it is judged with the
            # keys as of the entries before its newest one, which is replayed after it.
            newest = stop - first - 1
            self._replay(records, stored, leaves, replayed, newest)
            replayed = newest
            root = self.tree.root_within(stop, leaves, levels)
            record = records[newest]
            checkpoints.at_size(stop, root, record[2] if record is not None else self.last_at)
            if stop == since_size:
                self._check_since_root(root)
            done = stop
        self._replay(records, stored, leaves, replayed, count)
        self.tree.complete(count, leaves, levels)
        self.pos = first + count
        self._flush_receipts()

    def _replay(
        self,
        records: list[Record | None],
        stored: Sequence[int],
        leaves: bytes,
        start: int,
        end: int,
    ) -> None:
        """Replay the canonical entries ``start..end - 1`` of a run, in order: each run of
        receipts read as facts in one batch (the usual case), anything else one by one."""
        issue = self.compliance.receipts_issued
        receipts = self.options.verify_signatures
        report_from = self.report_from
        last_at = self.last_at
        batch: list[Record] = []
        for i in range(start, end):
            record = records[i]
            if record is None:  # not canonical: the chain checker has reported it
                continue
            if last_at is None:
                self.first_at = record[2]
            last_at = record[2]
            facts = record[4]
            if facts is not None:  # a receipt whose body the rules can read
                batch.append(record)
                if receipts and record[0] >= report_from:
                    leaf = leaves[HASH_SIZE * i : HASH_SIZE * (i + 1)]
                    self._queue_receipt((stored[i], record[0], last_at, leaf, facts, None))
                continue
            if batch:
                issue(cast("list[IssuedRecord]", batch))
                batch = []
            self._entry(record, stored[i], leaves[HASH_SIZE * i : HASH_SIZE * (i + 1)])
        if batch:
            issue(cast("list[IssuedRecord]", batch))
        self.last_at = last_at

    def _entry(self, record: Record, stored_seq: int, leaf: bytes) -> None:
        """Replay an entry other than a receipt read as facts."""
        seq, kind, at, body, _ = record
        assert body is not None
        if kind in _KEY_KINDS:
            self._flush_receipts()  # receipts before a key change are checked with the old keys
            problem = self.keys.apply(seq, kind, body)
            if problem is not None:
                self.sink.add(problem)
        self.compliance.apply(seq, kind, at, body)
        if kind in _RECEIPT_KINDS and self.options.verify_signatures and seq >= self.report_from:
            voided = None
            if kind == "receipt.voided":
                target = body.get("receipt_seq")
                ref = self.compliance.receipts.get(target) if type(target) is int else None
                if ref is not None:
                    voided = (self.compliance.registry.lokets[ref.loket][1], ref.charged)
            self._queue_receipt((stored_seq, seq, at, leaf, body, voided))

    def _queue_receipt(self, entry: ReceiptEntry) -> None:
        self.pending_receipts.append(entry)
        if len(self.pending_receipts) >= RECEIPT_JOB:
            self._flush_receipts()

    def _flush_receipts(self) -> None:
        if not self.pending_receipts:
            return
        pending, self.pending_receipts = self.pending_receipts, []
        blobs = self.source.attachments(RECEIPT_ATTACHMENT, [entry[0] for entry in pending])
        job = ReceiptJob(self.keys.receipt_keys(), pending, [blobs.get(e[0]) for e in pending])
        self.receipts_checked += len(pending)
        self.receipt_futures.append(self.workers.submit(check_receipts, job))
        while self.receipt_futures and self.receipt_futures[0].done():
            self.sink.extend(self.receipt_futures.popleft().result())
        while len(self.receipt_futures) > 4 * max(self.workers.count, 1):
            self.sink.extend(self.receipt_futures.popleft().result())

    # -- file digests ----------------------------------------------------------------------

    def _defer_digests(self) -> None:
        """Take over the digests of a source that leaves them to the reader."""
        source = self.source
        if not isinstance(source, FileDigests) or not isinstance(source, EntryTiles):
            return
        self.digests = source
        wanted = [RECEIPT_ATTACHMENT] if self.options.verify_signatures else []
        files = source.defer_digests(wanted)
        for i in range(0, len(files), DIGEST_JOB):
            self.digest_jobs.append(files[i : i + DIGEST_JOB])

    def _submit_digests(self, count: int) -> None:
        for _ in range(min(count, len(self.digest_jobs))):
            job = self.digest_jobs.popleft()
            future = self.workers.submit(digest_files, [path for _, path in job])
            self.digest_futures.append(([name for name, _ in job], future))
        self._take_digests(wait=False)

    def _take_digests(self, *, wait: bool) -> None:
        futures = self.digest_futures
        while futures and (wait or futures[0][1].done()):
            names, future = futures.popleft()
            assert self.digests is not None
            for name, found in zip(names, future.result(), strict=True):
                self.digests.file_digest(name, found)

    # -- the saved checkpoint ------------------------------------------------------------

    def _check_since_consistency(self, pinned: int) -> None:
        since = self.since
        assert since is not None
        note = self.source.pinned_note
        if pinned < since.size:
            self.sink.add(
                Finding(
                    "integrity.truncated",
                    f"the log's newest checkpoint has size {pinned}, smaller than the size "
                    f"{since.size} of the checkpoint saved at the last audit",
                    seq=pinned,
                    kind=BreakKind.TRUNCATED,
                    evidence={"saved_size": since.size, "pinned_size": pinned},
                ),
                always=True,
            )
            return
        if note is None or since.size == 0:
            return
        try:
            pinned_root = peek_checkpoint(note).root
            proof = self.source.consistency_proof(since.size, pinned) if pinned > since.size else []
            verify_consistency(since.size, pinned, proof, since.root, pinned_root)
        except (LedgerError, ValueError) as exc:
            self.sink.add(
                Finding(
                    "integrity.inconsistent",
                    f"the log's newest checkpoint (size {pinned}) is not consistent with the "
                    f"checkpoint saved at the last audit (size {since.size}): {exc} — the "
                    "history was rewritten",
                    seq=since.size,
                    kind=BreakKind.INCONSISTENT,
                    evidence={
                        "saved_size": since.size,
                        "saved_root": since.root.hex(),
                        "pinned_size": pinned,
                    },
                ),
                always=True,
            )

    def _check_since_root(self, root: bytes) -> None:
        since = self.since
        assert since is not None
        if root != since.root:
            self.sink.add(
                Finding(
                    "integrity.inconsistent",
                    f"the stored entries 0..{since.size - 1} hash to {root.hex()[:16]}…, not to "
                    f"the root {since.root.hex()[:16]}… of the checkpoint saved at the last "
                    "audit: the history was rewritten",
                    seq=None,
                    kind=BreakKind.INCONSISTENT,
                    evidence={
                        "saved_size": since.size,
                        "saved_root": since.root.hex(),
                        "recomputed_root": root.hex(),
                    },
                )
            )

    # -- the end ---------------------------------------------------------------------------

    def _finish_sources(self) -> None:
        tail = self.source.unsigned_tail()
        if tail:
            self.sink.add(
                Finding(
                    "integrity.unsigned",
                    f"{tail} entr{'y is' if tail == 1 else 'ies are'} stored after the newest "
                    f"signed checkpoint (size {self.source.pinned_size}) and no checkpoint "
                    "covers them",
                    seq=self.source.pinned_size,
                    kind=BreakKind.INSERTED,
                    evidence={"pinned_size": self.source.pinned_size, "unsigned_entries": tail},
                )
            )
        self.sink.extend(self.source.source_findings())
        self.sink.extend(self.keys.compare_anchor())

    def _result(self, tables: ComplianceTables) -> AuditResult:
        note = self.source.pinned_note
        root = None
        if note is not None:
            try:
                root = peek_checkpoint(note).root
            except LedgerError:
                root = None
        scope = Scope(
            source=self.source.description,
            origin=self.source.origin,
            checkpoint_size=self.source.pinned_size,
            checkpoint_root=root,
            checkpoint_note=note,
            entries_read=self.pos,
            period_from=self.first_at,
            period_to=self.last_at,
            since_size=self.since.size if self.since is not None else None,
            trust_anchor=self.anchor_label,
            signatures_checked=self.options.verify_signatures,
            options=self.options,
        )
        return AuditResult(
            scope=scope,
            findings=self.sink.sorted(),
            overflow=dict(self.sink.overflow),
            entries_by_kind=dict(sorted(self.kinds.items())),
            checkpoints_seen=self.checkpoints.seen,
            checkpoints_verified=self.checkpoints.verified,
            receipts_checked=self.receipts_checked,
            reconciliation=tuple(tables.reconciliation),
            deposits=tuple(tables.days.deposits),
            patterns=tables.patterns,
            verified_checkpoint=self.checkpoints.newest_matched,
        )
