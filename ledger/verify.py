"""Streaming verification of a whole log against its signed checkpoints.

:class:`LogVerifier` takes the stored entries in order of their stored ``seq`` and the
stored checkpoints, and re-derives everything the log claims, in constant memory:

- every entry's bytes decode as a canonical entry (``ledger.encoding``);
- the stored ``seq`` column, the entry's own ``seq`` field and its position agree;
- every ``prev`` is the leaf hash of the entry before it (32 zero bytes for entry 0);
- every checkpoint's signature verifies with a trusted log key and names this log's origin;
- the RFC 6962 root recomputed at each checkpoint's size equals the signed root, which
  also proves every pair of checkpoints consistent (equal sizes ⇒ equal roots);
- the log is at least as long as every checkpoint.

The first break is raised as :class:`~ledger.errors.ChainError` ``(seq, kind, message)``;
with ``collect=True`` every break is recorded as a :class:`Finding` instead. To put the
blame on the right entry, a verdict on entry ``k`` waits until up to three following
entries have been seen (or :meth:`LogVerifier.finish` is called). The classification rules
are specified in ``docs/ledger-format.md`` ("Verifying a log").

Entries go in one at a time (:meth:`LogVerifier.add_entry`, which returns the decoded
entry) or in bulk (:meth:`LogVerifier.add_entries`, which reaches the same verdicts at a
fraction of the cost; ``docs/benchmarks.md`` has the figures).
"""

from __future__ import annotations

import hashlib
import heapq
import json
import json.scanner
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import count, islice, repeat
from operator import add
from typing import Any, Final

from ledger.checkpoint import Checkpoint, SignedCheckpoint, open_checkpoint
from ledger.encoding import ENTRY_KINDS, MAX_ENTRY_BYTES, ZERO_HASH, Entry, decode_entry
from ledger.errors import (
    ChainError,
    CheckpointError,
    EncodingError,
    NoteFormatError,
    NoteSignatureError,
    UnknownKeyError,
)
from ledger.merkle import TreeBuilder, leaf_hash
from ledger.note import NoteVerifier

__all__ = ["BreakKind", "Finding", "LogReport", "LogVerifier"]

#: Entries seen after entry k before k is judged.
_LOOKAHEAD = 3
#: Entries :meth:`LogVerifier.add_entries` reads, decodes and hashes at a time.
_CHUNK = 1024
#: A tree size no checkpoint reaches (the next stop of a run with no checkpoint ahead).
_NO_STOP = 2**64 + 1


class BreakKind(StrEnum):
    """What is wrong at the reported ``seq``."""

    NON_CANONICAL = "non_canonical"  # the stored bytes are not a canonical entry
    CHANGED = "changed"  # the entry's bytes differ from the ones the log committed to
    MISSING = "missing"  # one or more entries are absent from here on
    INSERTED = "inserted"  # an extra entry stands here
    REORDERED = "reordered"  # the entry here belongs later in the log
    MISNUMBERED = "misnumbered"  # only the stored seq column disagrees with the entry
    TRUNCATED = "truncated"  # the log ends before a signed checkpoint's size
    ROOT_MISMATCH = "root_mismatch"  # a signed root differs from the recomputed one
    BAD_SIGNATURE = "bad_signature"  # a checkpoint signature by a trusted key fails
    UNKNOWN_KEY = "unknown_key"  # a checkpoint carries no signature by a trusted key
    BAD_CHECKPOINT = "bad_checkpoint"  # a checkpoint is malformed or names another log


@dataclass(frozen=True)
class Finding:
    """One break: the first bad ``seq``, its kind and what was expected vs found."""

    seq: int
    kind: BreakKind
    message: str

    def to_error(self) -> ChainError:
        return ChainError(self.seq, self.kind, self.message)


@dataclass(frozen=True)
class LogReport:
    """Outcome of a verification run.

    ``checkpoints_verified`` counts checkpoints whose signature verified *and* whose root
    matched the recomputed tree; ``latest_checkpoint`` is the largest of them.
    """

    origin: str
    size: int
    root: bytes
    checkpoints_verified: int
    latest_checkpoint: SignedCheckpoint | None
    findings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def unvouched(self) -> int:
        """Entries after the latest verified checkpoint (not yet covered by a signature)."""
        return self.size - (self.latest_checkpoint.checkpoint.size if self.latest_checkpoint else 0)


@dataclass(frozen=True, slots=True)
class _Stored:
    """What the verifier keeps of one stored entry while its verdict is pending."""

    stored: int
    leaf: bytes
    seq: int | None  # the entry's own seq field; None when the bytes do not decode
    prev: bytes | None
    problem: str  # why the bytes do not decode ("" when they do)


@dataclass(frozen=True, slots=True)
class _Intake:
    """A checkpoint as received: verified, or the finding its verification produced."""

    size: int
    signed: SignedCheckpoint | None
    failure: Finding | None


class LogVerifier:
    """Verify a log entry by entry; see the module documentation.

    Checkpoints can be given at construction, one by one with :meth:`add_checkpoint`
    (held until the verifier reaches their size), or as an iterable sorted by tree size
    with :meth:`expect_checkpoints` (read lazily, so memory stays constant). A checkpoint
    must arrive before the verifier has moved past its size.
    """

    def __init__(
        self,
        origin: str,
        verifiers: Sequence[NoteVerifier],
        *,
        checkpoints: Iterable[bytes] = (),
        collect: bool = False,
    ) -> None:
        if not verifiers:
            raise ValueError("at least one trusted log key is needed to verify checkpoints")
        self.origin = origin
        self._verifiers = tuple(verifiers)
        self._collect = collect
        self._builder = TreeBuilder()
        self._window: deque[_Stored] = deque()
        self._expect_stored = 0  # stored seq expected for the next judged entry
        self._expect_seq = 0  # seq field expected for the next judged entry
        self._last_leaf = ZERO_HASH  # leaf hash of the entry stored before the next one
        self._last_prev: bytes | None = None  # ... its prev field
        self._last_seq: int | None = None  # ... its seq field
        self._resyncing = False  # after a finding (collect mode), until the chain links again
        self._settled = -1  # largest tree size whose checkpoints have been checked
        self._vouched = 0  # entries before this are covered by a matching signed root
        self._matched = -1  # largest tree size with a matching signed root (-1: none yet)
        self._roots_valid = True  # False once a finding makes the tree differ from the log's
        self._pending: list[tuple[int, int, _Intake]] = []  # min-heap by size
        self._tiebreak = count()
        self._stream: Iterator[bytes] | None = None
        self._stream_head: _Intake | None = None
        self._verified = 0
        self._latest: SignedCheckpoint | None = None
        self._findings: list[Finding] = []
        self._finished = False
        for note in checkpoints:
            self.add_checkpoint(note)

    # -- checkpoints ---------------------------------------------------------------------

    def add_checkpoint(self, note: bytes) -> None:
        """Queue one checkpoint; it is checked when the verifier reaches its size."""
        self._check_open()
        intake = self._intake(note)
        if intake is None:
            return
        if intake.size < self._builder.size:
            raise ValueError(
                f"checkpoint for size {intake.size} arrived after the verifier passed that size "
                f"({self._builder.size}); supply checkpoints before their entries"
            )
        if intake.size == self._settled:
            self._check_group(intake.size, [intake])
            return
        heapq.heappush(self._pending, (intake.size, next(self._tiebreak), intake))

    def expect_checkpoints(self, notes: Iterable[bytes]) -> None:
        """Read checkpoints lazily from ``notes``, which must be sorted by tree size."""
        self._check_open()
        if self._stream is not None:
            raise ValueError("expect_checkpoints was already called")
        self._stream = iter(notes)
        self._advance_stream()

    def _advance_stream(self) -> None:
        self._stream_head = None
        while self._stream is not None and self._stream_head is None:
            note = next(self._stream, None)
            if note is None:
                self._stream = None
            else:
                self._stream_head = self._intake(note)

    def _pull_stream(self, size: int) -> None:
        """Move streamed checkpoints of at most ``size`` into the pending heap."""
        while self._stream_head is not None and self._stream_head.size <= size:
            head = self._stream_head
            if head.size <= self._settled:
                raise ValueError(
                    f"streamed checkpoints must be sorted by size: size {head.size} came "
                    f"after the verifier reached size {self._settled}"
                )
            heapq.heappush(self._pending, (head.size, next(self._tiebreak), head))
            self._advance_stream()

    def _intake(self, note: bytes) -> _Intake | None:
        """Verify a checkpoint's signature and origin now; judge its root later."""
        try:
            signed = open_checkpoint(note, self._verifiers, origin=self.origin)
        except (NoteSignatureError, UnknownKeyError, NoteFormatError, CheckpointError) as exc:
            size = _claimed_size(note)
            if isinstance(exc, NoteSignatureError):
                kind = BreakKind.BAD_SIGNATURE
            elif isinstance(exc, UnknownKeyError):
                kind = BreakKind.UNKNOWN_KEY
            else:
                kind = BreakKind.BAD_CHECKPOINT
            if size is None:
                # Nothing in it says which entries it concerns: report it where we stand.
                self._report(Finding(self._builder.size, kind, f"checkpoint: {exc}"))
                return None
            message = f"checkpoint for size {size}: {exc}"
            return _Intake(size, None, Finding(max(size - 1, 0), kind, message))
        return _Intake(signed.checkpoint.size, signed, None)

    def _settle(self, size: int) -> None:
        """Check every checkpoint for tree ``size`` (called as the tree reaches it)."""
        if size <= self._settled:
            return
        self._pull_stream(size)
        self._settled = size
        group: list[_Intake] = []
        while self._pending and self._pending[0][0] == size:
            group.append(heapq.heappop(self._pending)[2])
        if group:
            self._check_group(size, group)

    def _check_group(self, size: int, group: Sequence[_Intake]) -> None:
        for intake in group:
            if intake.failure is not None:
                self._report(intake.failure)
        signed = [i.signed for i in group if i.signed is not None]
        if not signed or not self._roots_valid:
            return
        root = self._builder.root()
        good = [s for s in signed if s.checkpoint.root == root]
        bad = [s for s in signed if s.checkpoint.root != root]
        if good:
            self._verified += len(good)
            self._vouched = self._matched = size
            if self._latest is None or self._latest.checkpoint.size <= size:
                self._latest = good[0]
        if not bad:
            return
        found = bad[0].checkpoint.root.hex()
        if self._matched == size:
            # RFC 9162 §2.1.4: two trees of one size are consistent only if their roots match.
            self._diverge(
                Finding(
                    max(size - 1, 0),
                    BreakKind.ROOT_MISMATCH,
                    f"two checkpoints signed for size {size} disagree: root {found} and the "
                    f"log's root {root.hex()}; the log signed inconsistent checkpoints",
                )
            )
        elif size == 0:
            self._diverge(
                Finding(
                    0,
                    BreakKind.ROOT_MISMATCH,
                    f"a checkpoint for the empty log signs root {found}; the empty tree's "
                    f"root is {root.hex()}",
                )
            )
        elif size - self._vouched == 1:
            self._diverge(
                Finding(
                    size - 1,
                    BreakKind.CHANGED,
                    f"entry {size - 1} does not hash to the root signed for size {size} "
                    f"(signed {found}, recomputed {root.hex()}) while entry {size - 2} does",
                )
            )
        else:
            self._diverge(
                Finding(
                    self._vouched,
                    BreakKind.ROOT_MISMATCH,
                    f"entries {self._vouched}..{size - 1} do not hash to the root signed for "
                    f"size {size} (signed {found}, recomputed {root.hex()}); the prev chain "
                    f"is intact, so the entries were rewritten and re-chained, or the log "
                    f"signed a root it never had",
                )
            )

    def _diverge(self, finding: Finding) -> None:
        self._roots_valid = False
        self._report(finding)

    def _root_at(self, size: int, root: bytes) -> bool | None:
        """Whether a verified checkpoint for ``size`` signs ``root``; None if none exists."""
        if not self._roots_valid:
            return None
        self._pull_stream(size)
        candidates = [i.signed for s, _, i in self._pending if s == size and i.signed]
        if not candidates:
            return None
        return any(c.checkpoint.root == root for c in candidates)

    # -- entries -------------------------------------------------------------------------

    def add_entry(self, seq: int, data: bytes) -> Entry | None:
        """Feed the next stored entry: its stored ``seq`` column value and stored bytes.

        Returns the decoded entry (its verdict may still be pending), or ``None`` in
        collect mode when the bytes do not decode.
        """
        self._check_open()
        self._settle(0)
        return self._push(seq, data, leaf_hash(data))

    def add_entries(self, rows: Iterable[tuple[int, bytes]]) -> None:
        """Feed many stored entries, in order, as ``(stored seq, stored bytes)`` pairs.

        The verdicts, findings and errors are exactly those of calling :meth:`add_entry`
        on each pair; this is the fast way to verify a whole log. Entries are taken in
        chunks: each chunk is checked canonical with a few calls into the standard
        library's C JSON code (see :func:`_canonical_fields`), hashed, and as long as every
        entry carries the next seq and links to the entry before it, its leaves go into
        the tree without per-entry bookkeeping. The first entry that does not fit that
        pattern, and everything after it in the chunk, goes through :meth:`add_entry`'s
        path, which decodes it with :func:`ledger.encoding.decode_entry` and names the
        break precisely.
        """
        self._check_open()
        self._settle(0)
        it = iter(rows)
        while chunk := list(islice(it, _CHUNK)):
            self._add_chunk(chunk)

    def _add_chunk(self, chunk: list[tuple[int, bytes]]) -> None:
        datas = [data for _, data in chunk]
        leaves = [_sha256(b"\x00" + data).digest() for data in datas]
        start = self._clean_run(chunk, _canonical_fields(datas), leaves)
        # ``start`` entries of the chunk link cleanly from the pending window on. All of
        # them but the last are judged already (their successor links to them); the last
        # waits for its successor like any other entry.
        if start:
            pending = list(self._window)
            self._window.clear()
            for item in pending:
                self._take(item)
            first_prev = self._last_leaf
            self._take_run(leaves[: start - 1], first_seq=self._expect_seq)
            prev = leaves[start - 2] if start > 1 else first_prev
            stored = chunk[start - 1][0]
            self._window.append(_Stored(stored, leaves[start - 1], self._expect_seq, prev, ""))
        for k in range(start, len(chunk)):
            stored, data = chunk[k]
            self._push(stored, data, leaves[k])

    def _clean_run(
        self,
        chunk: Sequence[tuple[int, bytes]],
        fields: Sequence[tuple[int, str] | None],
        leaves: Sequence[bytes],
    ) -> int:
        """How many leading entries of ``chunk`` continue the pending window cleanly.

        Clean: no break pending or being resynchronized, every pending entry and every
        counted chunk entry canonical, with the next stored seq, the next seq field, and
        ``prev`` equal to the leaf hash of the entry before it. Comparing ``prev`` with
        that leaf's lowercase hex also proves the field well-formed.
        """
        if self._resyncing:
            return 0
        stored, seq, prev = self._expect_stored, self._expect_seq, self._last_leaf
        for item in self._window:
            if item.stored != stored or item.seq != seq or item.prev != prev:
                return 0
            stored, seq, prev = stored + 1, seq + 1, item.leaf
        want_prev = prev.hex()
        for k, ((at_stored, _), found) in enumerate(zip(chunk, fields, strict=True)):
            if found is None or at_stored != stored + k or found != (seq + k, want_prev):
                return k
            want_prev = leaves[k].hex()
        return len(chunk)

    def _take_run(self, leaves: Sequence[bytes], *, first_seq: int) -> None:
        """:meth:`_take` for entries that each carry the next seq and link to the one before.

        Leaves go into the tree in bulk between the sizes at which a checkpoint waits;
        at those sizes the checkpoints are settled as :meth:`_take` would.
        """
        builder = self._builder
        before, first_stored = self._last_leaf, self._expect_stored
        done = 0
        while done < len(leaves):
            # Sizes below the next checkpoint's need no settling: add those leaves at once.
            stop = self._next_stop()
            upto = min(len(leaves), done + max(0, stop - builder.size - 1))
            if upto > done:
                builder.extend(leaves[done:upto])
                done = upto
                # What settling each size passed would have done: no checkpoint waits there.
                self._settled = builder.size
            if done < len(leaves):
                builder.append(leaves[done])
                done += 1
            self._last_leaf = leaves[done - 1]
            self._last_prev = leaves[done - 2] if done > 1 else before
            self._last_seq = first_seq + done - 1
            self._expect_stored = first_stored + done
            self._expect_seq = first_seq + done
            self._settle(builder.size)

    def _next_stop(self) -> int:
        """The smallest tree size at which a checkpoint is waiting to be settled."""
        stop = self._pending[0][0] if self._pending else _NO_STOP
        head = self._stream_head
        return head.size if head is not None and head.size < stop else stop

    def _push(self, seq: int, data: bytes, leaf: bytes) -> Entry | None:
        """Decode one stored entry and queue it for judgement (:meth:`add_entry`'s work)."""
        try:
            entry: Entry | None = decode_entry(data)
        except EncodingError as exc:
            entry = None
            problem = str(exc) or type(exc).__name__
        if entry is not None:
            item = _Stored(seq, leaf, entry.seq, entry.prev, "")
        else:
            item = _Stored(seq, leaf, None, None, problem)
        self._window.append(item)
        if entry is None and not self._collect:
            # Judge everything up to this entry now: it cannot be returned as an Entry.
            while self._window:
                self._step()
        while len(self._window) > _LOOKAHEAD:
            self._step()
        return entry

    def finish(self) -> LogReport:
        """Judge the remaining entries and checkpoints; returns the report."""
        self._check_open()
        self._settle(0)
        while self._window:
            self._step()
        self._finished = True
        self._pull_stream(2**64)
        size = self._builder.size
        beyond = [i for _, _, i in sorted(self._pending)]
        signed_beyond = [i for i in beyond if i.signed is not None]
        if signed_beyond:
            largest = signed_beyond[-1].size
            self._report(
                Finding(
                    size,
                    BreakKind.TRUNCATED,
                    f"the log has {size} entries but a checkpoint signed for size {largest} "
                    f"requires {largest}",
                )
            )
        for intake in beyond:
            if intake.failure is not None:
                self._report(intake.failure)
        return LogReport(
            origin=self.origin,
            size=size,
            root=self._builder.root(),
            checkpoints_verified=self._verified,
            latest_checkpoint=self._latest,
            findings=tuple(self._findings),
        )

    def _check_open(self) -> None:
        if self._finished:
            raise ValueError("the verifier is finished; start a new LogVerifier")

    def _report(self, finding: Finding) -> None:
        if not self._collect:
            raise finding.to_error()
        self._findings.append(finding)

    def _step(self) -> None:
        item = self._window.popleft()
        if self._resyncing:
            # After a break, checking resumes at the first entry that links to the one
            # stored before it and carries the next seq; later breaks are then reported.
            if (
                item.seq is not None
                and self._last_seq is not None
                and item.seq == self._last_seq + 1
                and item.prev == self._last_leaf
            ):
                self._resyncing = False
                self._expect_stored, self._expect_seq = item.stored, item.seq
            else:
                self._take(item)
                return
        verdict = self._judge(item, list(self._window))
        if verdict is not None:
            self._diverge(Finding(self._expect_stored, *verdict))
            self._resyncing = True
        self._take(item)

    def _take(self, item: _Stored) -> None:
        """Add ``item`` to the tree and make it the predecessor of the next entry."""
        self._builder.append(item.leaf)
        self._last_leaf, self._last_prev, self._last_seq = item.leaf, item.prev, item.seq
        self._expect_stored += 1
        self._expect_seq += 1
        self._settle(self._builder.size)

    def _judge(self, item: _Stored, ahead: Sequence[_Stored]) -> tuple[BreakKind, str] | None:
        """The break at ``item``, if any, given the entries stored after it."""
        stored, seq = self._expect_stored, self._expect_seq
        if item.seq is None or item.prev is None:
            if item.stored > stored:
                return BreakKind.MISSING, f"stored seq jumps from {stored - 1} to {item.stored}"
            if item.stored < stored:
                return BreakKind.INSERTED, f"stored seq {item.stored} repeats at position {seq}"
            return BreakKind.NON_CANONICAL, f"stored bytes are not an entry: {item.problem}"
        links = item.prev == self._last_leaf
        if item.seq == seq and links:
            if item.stored != stored:
                return (
                    BreakKind.MISNUMBERED,
                    f"stored seq column is {item.stored}, but the entry is seq {seq} and links "
                    f"to its predecessor",
                )
            return self._judge_by_successor(item, ahead)
        return self._classify(item.seq, item.prev, ahead, links)

    def _classify(
        self, claimed: int, prev: bytes, ahead: Sequence[_Stored], links: bool
    ) -> tuple[BreakKind, str]:
        """Name the break of an entry whose own seq field (``claimed``) or ``prev`` is wrong."""
        seq = self._expect_seq
        moved = any(y.leaf == prev for y in ahead) or any(
            y.seq == seq and y.prev == self._last_leaf for y in ahead
        )
        if claimed > seq:
            if links:
                return (
                    BreakKind.CHANGED,
                    f"seq field says {claimed} where {seq} belongs, yet prev links to entry "
                    f"{seq - 1}: the bytes were altered",
                )
            if moved:
                return (
                    BreakKind.REORDERED,
                    f"entry {claimed} stands where {seq} belongs and links to an entry stored "
                    f"after it",
                )
            absent = (
                f"entry {seq} is" if claimed == seq + 1 else f"entries {seq}..{claimed - 1} are"
            )
            return BreakKind.MISSING, f"{absent} missing: entry {claimed} follows entry {seq - 1}"
        if claimed < seq:
            return (
                BreakKind.INSERTED,
                f"entry claims seq {claimed}, which an earlier entry already holds "
                f"(position {seq})",
            )
        if ahead and ahead[0].seq == seq and ahead[0].prev == self._last_leaf:
            return (
                BreakKind.INSERTED,
                f"an extra entry {seq} stands before the entry {seq} that links to entry {seq - 1}",
            )
        if self._last_prev is not None and prev == self._last_prev:
            return (
                BreakKind.INSERTED,
                f"entry {seq} repeats the prev of entry {seq - 1}: a second entry forked from "
                f"the same predecessor",
            )
        if moved:
            return (
                BreakKind.REORDERED,
                f"entry {seq} links to an entry stored after it (prev {prev.hex()})",
            )
        return (
            BreakKind.CHANGED,
            f"prev is {prev.hex()}; expected the leaf hash of entry {seq - 1}, "
            f"{self._last_leaf.hex()}",
        )

    def _judge_by_successor(
        self, item: _Stored, ahead: Sequence[_Stored]
    ) -> tuple[BreakKind, str] | None:
        """Blame a well-formed entry its successor does not link to, if the evidence says so.

        Two hypotheses explain a successor whose prev is not this entry's leaf: this
        entry was altered (or inserted), or the successor was. A checkpoint for the size
        ending at this entry decides; otherwise the entry after the successor does (it
        links to an intact successor); otherwise the earlier entry is blamed.
        """
        if not ahead:
            return None
        nxt = ahead[0]
        seq = self._expect_seq
        if nxt.seq is None or nxt.stored != item.stored + 1 or nxt.prev == item.leaf:
            return None
        after = ahead[1] if len(ahead) > 1 and ahead[1].prev is not None else None
        if nxt.seq == seq and nxt.prev == item.prev:
            kind = BreakKind.INSERTED
            message = (
                f"entry {seq} and the entry stored after it both claim seq {seq} and the same "
                f"predecessor; the chain continues from the later one"
            )
            evidence = None
            if after is not None and after.prev == nxt.leaf:
                evidence = True
            elif after is not None and after.prev == item.leaf:
                evidence = False
        elif nxt.seq == seq + 1:
            kind = BreakKind.CHANGED
            message = (
                f"entry {seq}'s leaf hash is {item.leaf.hex()}, but entry {seq + 1} names "
                f"{nxt.prev.hex() if nxt.prev else '?'} as its prev: entry {seq} was altered"
            )
            evidence = None if after is None else after.prev == nxt.leaf
        else:
            return None
        tentative = TreeBuilder(self._builder.size, self._builder.frontier)
        tentative.append(item.leaf)
        signed = self._root_at(tentative.size, tentative.root())
        blame = (not signed) if signed is not None else (evidence if evidence is not None else True)
        return (kind, message) if blame else None


def _claimed_size(note: bytes) -> int | None:
    """The tree size a checkpoint note claims, read without trusting it (for reports)."""
    try:
        text = note.decode("utf-8")
    except UnicodeDecodeError:
        return None
    split = text.rfind("\n\n")
    if split < 0:
        return None
    try:
        return Checkpoint.parse(text[: split + 1]).size
    except CheckpointError:
        return None


# -- canonical entries, checked in bulk --------------------------------------------------------

_sha256 = hashlib.sha256
_ENTRY_KEYS: Final = frozenset({"at", "body", "kind", "prev", "seq"})
#: Containers an entry may hold without counting its depth (the data model allows 32 levels).
_MAX_CONTAINERS: Final = 32


def _number_shapes() -> bytes:
    """A ``bytes.translate`` table: digits to ``0``, the bytes a JSON number may follow
    (``:`` ``,`` ``[`` and a minus sign) to ``S``, everything else to ``x``."""
    table = bytearray(b"x" * 256)
    for byte in b"0123456789":
        table[byte] = ord("0")
    for byte in b":,[-":
        table[byte] = ord("S")
    return bytes(table)


_SHAPES: Final = _number_shapes()
#: A JSON number of 16 digits or more, which may leave the ±(2**53 - 1) range.
_LONG_NUMBER: Final = b"S" + b"0" * 16
#: UTF-8 lead bytes of characters beyond the Basic Multilingual Plane (and bytes no UTF-8
#: text holds): where RFC 8785's UTF-16 key order (§3.2.3) and code-point order may differ.
_BEYOND_BMP: Final = re.compile(rb"[\xf0-\xff]")


class _DeclinedError(Exception):
    """The quick check leaves this entry to :func:`ledger.encoding.decode_entry`."""


def _decline(text: str) -> Any:
    raise _DeclinedError(text)


#: The C scanner behind ``json.loads``, called at an offset of a chunk's text. (typeshed
#: types its argument as the scanner class; any decoder carrying the hooks is what it takes.)
_scan: Final = json.scanner.make_scanner(
    json.JSONDecoder(parse_float=_decline, parse_constant=_decline)  # type: ignore[arg-type]
)
_serialize: Final = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def _suspect(data: bytes) -> bool:
    """Whether ``data`` may hold a null, an out-of-range integer or a key beyond the BMP."""
    return (
        b"null" in data
        or _LONG_NUMBER in data.translate(_SHAPES)
        or (not data.isascii() and _BEYOND_BMP.search(data) is not None)
    )


_ZERO_HEX = ZERO_HASH.hex()


def _parsed_entry(text: str, pos: int, end: int) -> dict[str, Any] | None:
    """``text[pos:end]`` parsed as an entry object with well-typed fields, or ``None``.

    Declines whatever the quick check cannot settle: a float, NaN, text that is not
    exactly one JSON object, a missing or extra field, a field of the wrong type or
    range, or entry 0 with a ``prev`` other than the zero hash (which ``decode_entry``
    refuses).
    """
    try:
        value, stop = _scan(text, pos)
    except (StopIteration, ValueError, _DeclinedError, RecursionError):
        return None
    if (
        stop != end
        or type(value) is not dict
        or value.keys() != _ENTRY_KEYS
        or type(seq := value["seq"]) is not int
        or seq < 0
        or type(at := value["at"]) is not int
        or at < 0
        or type(kind := value["kind"]) is not str
        or kind not in ENTRY_KINDS
        or type(prev := value["prev"]) is not str
        or (seq == 0 and prev != _ZERO_HEX)
        or type(value["body"]) is not dict
    ):
        return None
    return value


def _canonical_fields(datas: Sequence[bytes]) -> list[tuple[int, str] | None]:
    """``(seq, prev)`` of each entry that is certainly canonical; ``None`` where undecided.

    An entry counts only if :func:`ledger.encoding.decode_entry` would accept it: at most
    65,535 bytes and 32 containers (so no deeper nesting than the data model allows), no
    null, no integer of 16 digits or more, no character beyond the BMP, parsed as one JSON
    object with the five entry fields, well typed (:func:`_parsed_entry`), and its bytes
    exactly the sorted, compact serialization of what was parsed. Within those bounds that
    serialization is RFC 8785's (the reasoning of ``ledger.encoding.canonical_json``):
    keys in code-point order equal UTF-16 order inside the BMP (§3.2.3), the same characters
    are escaped the same way (§3.2.2.2), integers print alike (§3.2.2.3); duplicate keys,
    floats and any whitespace fail. ``prev`` is returned as text: the caller compares it
    with a leaf hash's lowercase hex, which also proves it well-formed. ``None`` decides
    nothing: the caller decodes such an entry with ``decode_entry`` and reports its verdict.

    The work runs a chunk at a time: the chunk's text is decoded once and each entry parsed
    where it starts in it, and the serialization of the list of parsed objects is compared
    once with ``"[" + ",".join(datas) + "]"``. The two are equal exactly when each entry
    equals its own serialization: each entry alone parsed as one complete object, and an
    object closing at the same offset in both strings forces equal lengths, entry by entry.
    """
    out: list[tuple[int, str] | None] = [None] * len(datas)
    joined = b"\n".join(datas)
    single = joined.isascii()  # then one decode serves all, with equal byte and char offsets
    text = joined.decode("ascii") if single else ""
    # Chunk-wide looks first (in C); entry by entry only where the chunk needs it.
    containers = list(
        map(add, map(bytes.count, datas, repeat(b"{")), map(bytes.count, datas, repeat(b"[")))
    )
    shapes_ok = max(containers) <= _MAX_CONTAINERS and max(map(len, datas)) <= MAX_ENTRY_BYTES
    suspects = _suspect(joined)
    values: list[dict[str, Any]] = []
    taken: list[int] = []
    pos = 0
    for i, data in enumerate(datas):
        end = pos + len(data)
        if shapes_ok or (containers[i] <= _MAX_CONTAINERS and len(data) <= MAX_ENTRY_BYTES):
            if suspects and _suspect(data):
                value = None
            elif single:
                value = _parsed_entry(text, pos, end)
            else:
                try:
                    alone = data.decode("utf-8")
                except UnicodeDecodeError:
                    alone = ""
                value = _parsed_entry(alone, 0, len(alone)) if alone else None
            if value is not None:
                values.append(value)
                taken.append(i)
        pos = end + 1
    if not values:
        return out
    try:
        whole = _serialize(values).encode("utf-8")
        same = whole == b"[" + b",".join([datas[i] for i in taken]) + b"]"
    except UnicodeEncodeError:  # a lone surrogate, escaped in some entry
        same = False
    for value, i in zip(values, taken, strict=True):
        if not same:
            try:
                if _serialize(value).encode("utf-8") != datas[i]:
                    continue
            except UnicodeEncodeError:
                continue
        out[i] = (value["seq"], value["prev"])
    return out
