"""One streaming pass over a log: integrity, receipts, compliance, patterns.

:func:`run_audit` reads an :class:`~audit.source.AuditSource` once, in stored order, in
runs of :data:`CHUNK` entries. Worker processes (:mod:`audit.parallel`) do all that needs
only the bytes (:func:`audit.chunks.check_entry_chunk`: canonical form, leaf hashes and the
tree nodes above them, where the chain steps out of line, the facts of each receipt),
verify checkpoint signatures ahead of need, and verify receipts
(:func:`audit.receipt_check.check_receipts`). The main process, run by run, follows the
chain (:meth:`~audit.integrity.ChainChecker.observe_run`: only the entries out of line one
by one), judges every stored checkpoint at its size against the tree head
(:class:`~audit.tree.RunTree`, :class:`~audit.integrity.CheckpointChecker`), and replays
keys and business rules entry by entry (:class:`~audit.compliance.ComplianceChecker`).
Memory is bounded by the window of runs in flight, O(counters × days) aggregates and ~26
bytes of receipt index per entry.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from itertools import islice
from typing import Final

from audit.chunks import ChunkJob, EntryChunk, PackedEntries, Record, check_entry_chunk
from audit.compliance import ComplianceChecker, ComplianceTables
from audit.errors import TrustAnchorError
from audit.findings import BreakKind, Finding, FindingSink
from audit.integrity import ChainChecker, CheckpointChecker, peek_checkpoint
from audit.keys import KeyState, load_trust_list
from audit.options import AuditOptions
from audit.parallel import Workers
from audit.receipt_check import ReceiptEntry, ReceiptJob, check_receipts
from audit.result import AuditResult, Scope
from audit.since import SavedCheckpoint, open_saved_checkpoint
from audit.source import RECEIPT_ATTACHMENT, AuditSource
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
        return audit.run()


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

    # -- the pass --------------------------------------------------------------------------

    def run(self) -> AuditResult:
        total = self.source.pinned_size
        if self.since is not None:
            self._check_since_consistency(total)
        self.checkpoints.at_size(0, EMPTY_ROOT, None)
        window: deque[tuple[Future[EntryChunk], list[int], list[bytes]]] = deque()
        depth = 2 * max(1, self.workers.count)  # runs checked ahead: two per worker
        for stored, datas in self._chunks():
            inline = self.workers.inline
            job: ChunkJob = (datas if inline else PackedEntries(datas), inline)
            window.append((self.workers.submit(check_entry_chunk, job), stored, datas))
            if len(window) > depth:
                self._consume(*window.popleft())
                if self.progress is not None:
                    self.progress(self.pos, total)
        while window:
            self._consume(*window.popleft())
        if self.progress is not None:
            self.progress(self.pos, total)
        self._flush_receipts()
        self.chain.finish()
        last = self.chain.last
        self.checkpoints.finish(self.pos, last.seq if last is not None else None)
        self._finish_sources()
        while self.receipt_futures:
            self.sink.extend(self.receipt_futures.popleft().result())
        tables = self.compliance.finish()
        return self._result(tables)

    def _chunks(self) -> Iterator[tuple[list[int], list[bytes]]]:
        """Runs of ``(stored seqs, entry bytes)``; the stored seq keys the attachments.
        Every run but the last holds :data:`CHUNK` entries (:class:`~audit.tree.RunTree`)."""
        entries = self.source.entries(0)
        while batch := list(islice(entries, CHUNK)):
            yield [seq for seq, _ in batch], [data for _, data in batch]

    def _consume(self, future: Future[EntryChunk], stored: list[int], datas: list[bytes]) -> None:
        checked = future.result()
        first, count = self.pos, len(datas)
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
        self, records: list[Record | None], stored: list[int], leaves: bytes, start: int, end: int
    ) -> None:
        """Replay the canonical entries ``start..end - 1`` of a run, in order."""
        issue = self.compliance.receipt_issued
        receipts = self.options.verify_signatures
        report_from = self.report_from
        last_at = self.last_at
        for i in range(start, end):
            record = records[i]
            if record is None:  # not canonical: the chain checker has reported it
                continue
            seq, _, at, _, facts = record
            if last_at is None:
                self.first_at = at
            last_at = at
            if facts is not None:  # the usual case: a receipt whose body the rules can read
                issue(seq, at, facts)
                if receipts and seq >= report_from:
                    leaf = leaves[HASH_SIZE * i : HASH_SIZE * (i + 1)]
                    self._queue_receipt((stored[i], seq, at, leaf, facts, None))
                continue
            self._entry(record, stored[i], leaves[HASH_SIZE * i : HASH_SIZE * (i + 1)])
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
