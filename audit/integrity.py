"""Integrity of the log: the hash chain, the tree, and every signed checkpoint.

:class:`ChainChecker` follows the entries in stored order and, when the chain breaks,
says *where* and *how*, looking one entry ahead:

==============  ==========================================================================
break           what the stream shows (``base`` = the usual seq − position offset)
==============  ==========================================================================
changed         entry ``c`` hashes differently from what entry ``c + 1`` links to, and
                ``c + 2`` links to ``c + 1`` again (or ``c`` is not canonical at all)
missing         the seq field jumps ahead by ``d`` and stays ahead: ``d`` entries removed
inserted        entry ``p + 1`` links to entry ``p - 1``, skipping ``p``
reordered       an entry's seq field is out of place and the next one is back in place
                (or two neighbours carry each other's numbers)
==============  ==========================================================================

:class:`CheckpointChecker` verifies each stored checkpoint when the recomputed tree
reaches its size: its signature by a log key valid then (:mod:`audit.keys`), its origin,
its root against the recomputed root (RFC 9162 §2.1.1), and — when a root differs — its
consistency with the last checkpoint that matched (RFC 9162 §2.1.4.2), which tells a
history rewritten under the log key from entries edited after signing. Checkpoints larger
than the log are *truncation*.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from itertools import islice
from typing import Any, Final, NamedTuple

from audit.entries import ZERO_PREV
from audit.findings import BreakKind, Finding, FindingSink
from audit.keys import KeyState
from ledger.checkpoint import Checkpoint
from ledger.errors import (
    CheckpointError,
    ConsistencyProofError,
    LedgerError,
    NoteFormatError,
    NoteSignatureError,
    UnknownKeyError,
)
from ledger.merkle import HASH_SIZE, verify_consistency
from ledger.note import NoteVerifier, open_note

__all__ = [
    "ChainChecker",
    "CheckpointChecker",
    "Head",
    "NoteCheck",
    "Observation",
    "check_note",
    "check_notes",
    "peek_checkpoint",
]

_RECENT: Final = 5


class Observation(NamedTuple):
    """One stored entry as the chain checker sees it.

    ``seq`` and ``prev`` come from the entry's bytes (read leniently when the bytes are
    not canonical; ``None`` when unreadable); ``leaf`` is its recomputed leaf hash (hex).
    """

    pos: int
    seq: int | None
    prev: str | None
    leaf: str
    problem: str | None = None  # why the bytes are not a canonical entry


_BEFORE_START: Final = Observation(pos=-1, seq=-1, prev=None, leaf=ZERO_PREV)

#: An entry of a run that the chain checker must look at one by one:
#: ``(seq, prev hex, why the bytes are not canonical)``, as in :class:`Observation`.
Head = tuple[int | None, str | None, str | None]


class ChainChecker:
    """Localizes breaks of the hash chain and of the ``seq`` numbering (see module doc)."""

    __slots__ = (
        "_base",
        "_explained_until",
        "_pending",
        "_pending_jump",
        "_recent",
        "_reported",
        "_sink",
        "last",
    )

    def __init__(self, sink: FindingSink) -> None:
        self._sink = sink
        self._recent: deque[Observation] = deque([_BEFORE_START], maxlen=_RECENT)
        self._base = 0
        self._pending: Observation | None = None
        self._pending_jump = False
        self._explained_until = -1
        self._reported: deque[int] = deque(maxlen=16)
        #: The last observation (its ``seq`` is the log's own idea of its end).
        self.last: Observation | None = None

    # -- the stream ----------------------------------------------------------------------

    def observe(self, obs: Observation) -> None:
        recent = self._recent
        if (
            self._pending is None
            and obs.problem is None
            and obs.seq == obs.pos + self._base
            and obs.prev == recent[-1].leaf
        ):  # the usual case: in place and linked
            recent.append(obs)
            self.last = obs
            return
        consumed = False
        if self._pending is not None:
            pending, self._pending = self._pending, None
            consumed = self._resolve(pending, obs)
        if not consumed:
            self._evaluate(obs)
        self._recent.append(obs)
        self.last = obs

    def observe_run(self, first_pos: int, leaves: bytes, heads: Mapping[int, Head]) -> None:
        """:meth:`observe` each entry of a run stored from position ``first_pos``, given its
        leaf hashes (concatenated) and, by index in the run, the ``(seq, prev, problem)`` of
        every entry that does not follow the one before it in line (index 0 included; see
        :mod:`audit.chunks`). Every other entry is canonical, links to the one before and
        carries the next ``seq``; while the chain is in step such an entry takes the usual
        case of :meth:`observe`, which leaves only the newest few entries to remember.
        """
        count = len(leaves) // HASH_SIZE
        starts = sorted(heads)
        if not starts or starts[0] != 0:
            raise ValueError("the first entry of a run must be listed among its heads")
        for start, end in zip(starts, [*starts[1:], count], strict=True):
            seq, prev, problem = heads[start]
            self.observe(Observation(first_pos + start, seq, prev, _hex(leaves, start), problem))
            i = start + 1
            while i < end and not self._in_step():
                assert seq is not None  # a listed entry followed in line is canonical
                self.observe(
                    Observation(
                        first_pos + i, seq + i - start, _hex(leaves, i - 1), _hex(leaves, i)
                    )
                )
                i += 1
            if i == end:
                continue
            assert seq is not None
            # In step: entries i..end-1 each take the usual case (see _in_step).
            for j in range(max(i, end - _RECENT), end):
                self._recent.append(
                    Observation(
                        first_pos + j, seq + j - start, _hex(leaves, j - 1), _hex(leaves, j)
                    )
                )
            self.last = self._recent[-1]

    def _in_step(self) -> bool:
        """Whether the next entry, if it links to the newest one seen and carries the next
        ``seq``, takes the usual case of :meth:`observe`: nothing is pending, and the newest
        entry was canonical and in its place."""
        newest = self._recent[-1]
        return (
            self._pending is None
            and newest.problem is None
            and newest.seq == newest.pos + self._base
        )

    def finish(self) -> None:
        """Resolve a break seen at the very last entry."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        if self._pending_jump and pending.seq is not None:
            gap = pending.seq - pending.pos - self._base
            if gap > 0:
                self._missing(pending, gap)
            else:
                self._reordered(pending)
        else:
            self._changed(self._recent[-2], pending)

    # -- classification ---------------------------------------------------------------

    def _links(self, obs: Observation, back: int = 0) -> bool:
        """Whether ``obs`` links to the entry ``back`` places before the newest one seen."""
        index = len(self._recent) - 1 - back
        return index >= 0 and obs.prev == self._recent[index].leaf

    def _evaluate(self, obs: Observation) -> None:
        if obs.problem is not None:
            self._report(
                obs.pos + self._base,
                Finding(
                    "integrity.non_canonical",
                    f"entry at position {obs.pos} is not a canonical entry: {obs.problem}",
                    seq=obs.pos + self._base,
                    kind=BreakKind.CHANGED,
                    evidence={"position": obs.pos, "leaf_hash": obs.leaf, "reason": obs.problem},
                ),
            )
            # The next entry's link to this one breaks as a consequence.
            self._explained_until = obs.pos + 1
            if obs.seq is None:
                return
        explained = obs.pos <= self._explained_until
        if not explained and obs.prev is not None and not self._links(obs) and self._links(obs, 1):
            # It links past the entry before it: that one was slipped in.
            self._inserted(self._recent[-1], obs)
        elif obs.seq is not None and obs.seq - obs.pos != self._base:
            self._pending, self._pending_jump = obs, True
        elif not explained and not self._links(obs):
            self._pending, self._pending_jump = obs, False

    def _resolve(self, pending: Observation, obs: Observation) -> bool:
        """Classify ``pending`` with ``obs`` as lookahead; True if ``obs`` is explained too."""
        base = self._base
        skips_pending = obs.prev is not None and self._links(obs, 1) and not self._links(obs)
        if self._pending_jump:
            if (
                obs.seq is not None
                and pending.seq == obs.pos + base
                and obs.seq == pending.pos + base
            ):
                self._swapped(pending, obs)
                return True
            if skips_pending:
                self._inserted(pending, obs)
                return True
            assert pending.seq is not None
            offset = pending.seq - pending.pos
            if obs.seq is not None and obs.seq - obs.pos == offset and self._links(obs):
                if offset > base:
                    self._missing(pending, offset - base)
                else:
                    self._duplicated(pending, offset - base)
                self._base = offset
                return False
            self._reordered(pending)
            self._explained_until = obs.pos
            return False
        if skips_pending and obs.seq is not None:
            self._inserted(pending, obs)
            return True
        if self._links(obs):
            self._changed(self._recent[-2], pending)
            return False
        # Neither this entry nor the next links: the pending entry itself was rewritten.
        self._changed(pending, obs)
        self._explained_until = obs.pos
        return False

    # -- findings -----------------------------------------------------------------------

    def _report(self, seq: int, finding: Finding) -> None:
        if seq in self._reported:
            return
        self._reported.append(seq)
        self._sink.add(finding)

    def _changed(self, changed: Observation, successor: Observation) -> None:
        seq = changed.pos + self._base
        self._report(
            seq,
            Finding(
                "integrity.changed",
                f"entry {seq} was changed: it hashes to {changed.leaf[:16]}…, but the entry "
                f"after it links to {str(successor.prev)[:16]}…",
                seq=seq,
                kind=BreakKind.CHANGED,
                evidence={
                    "position": changed.pos,
                    "leaf_hash": changed.leaf,
                    "successor_position": successor.pos,
                    "successor_prev": successor.prev,
                },
            ),
        )

    def _missing(self, first_after: Observation, count: int) -> None:
        seq = first_after.pos + self._base
        assert first_after.seq is not None
        self._report(
            seq,
            Finding(
                "integrity.missing",
                f"{count} entr{'y' if count == 1 else 'ies'} missing: expected entry {seq} at "
                f"position {first_after.pos}, found entry {first_after.seq}",
                seq=seq,
                kind=BreakKind.MISSING,
                evidence={
                    "position": first_after.pos,
                    "expected_seq": seq,
                    "found_seq": first_after.seq,
                    "missing": [seq, first_after.seq - 1],
                },
            ),
        )

    def _inserted(self, inserted: Observation, successor: Observation) -> None:
        seq = inserted.pos + self._base
        self._report(
            seq,
            Finding(
                "integrity.inserted",
                f"an entry was inserted at position {inserted.pos}: the entry after it "
                f"(seq {successor.seq}) links past it to the one before",
                seq=seq,
                kind=BreakKind.INSERTED,
                evidence={
                    "position": inserted.pos,
                    "inserted_seq_field": inserted.seq,
                    "inserted_leaf_hash": inserted.leaf,
                    "successor_seq": successor.seq,
                    "successor_prev": successor.prev,
                },
            ),
        )
        if successor.seq is not None:
            self._base = successor.seq - successor.pos
        else:  # pragma: no cover - skips_pending needs a readable successor
            self._base -= 1
        self._explained_until = successor.pos

    def _duplicated(self, first: Observation, shift: int) -> None:
        seq = first.pos + self._base
        self._report(
            seq,
            Finding(
                "integrity.inserted",
                f"sequence numbers repeat from position {first.pos}: expected entry {seq}, "
                f"found entry {first.seq} ({-shift} extra entr{'y' if shift == -1 else 'ies'})",
                seq=seq,
                kind=BreakKind.INSERTED,
                evidence={"position": first.pos, "expected_seq": seq, "found_seq": first.seq},
            ),
        )

    def _reordered(self, moved: Observation) -> None:
        seq = moved.pos + self._base
        self._report(
            seq,
            Finding(
                "integrity.reordered",
                f"entry {moved.seq} is stored at position {moved.pos}, where entry {seq} belongs",
                seq=seq,
                kind=BreakKind.REORDERED,
                evidence={"position": moved.pos, "expected_seq": seq, "found_seq": moved.seq},
            ),
        )

    def _swapped(self, first: Observation, second: Observation) -> None:
        seq = first.pos + self._base
        self._report(
            seq,
            Finding(
                "integrity.reordered",
                f"entries {seq} and {seq + 1} are stored in each other's place",
                seq=seq,
                kind=BreakKind.REORDERED,
                evidence={
                    "positions": [first.pos, second.pos],
                    "found_seqs": [first.seq, second.seq],
                },
            ),
        )
        self._explained_until = second.pos + 1


def _hex(leaves: bytes, index: int) -> str:
    return leaves[HASH_SIZE * index : HASH_SIZE * (index + 1)].hex()


def peek_checkpoint(note: bytes) -> Checkpoint:
    """The checkpoint body of a note, *unverified* — only to know when to verify it."""
    try:
        text = note.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CheckpointError(f"checkpoint note is not UTF-8 at byte {exc.start}") from exc
    split = text.rfind("\n\n")
    if split < 0:
        raise CheckpointError("checkpoint note has no blank line before its signatures")
    return Checkpoint.parse(text[: split + 1])


#: Gives an RFC 9162 consistency proof between two sizes (from the source's stored hashes).
ProofSource = Callable[[int, int], Sequence[bytes]]
#: Runs a job, perhaps on a worker process (:meth:`audit.parallel.Workers.submit`).
Submit = Callable[[Callable[[Any], Any], Any], "Future[Any]"]

#: Notes per signature-checking job, and jobs read ahead.
_NOTE_BATCH: Final = 256
_NOTE_JOBS_AHEAD: Final = 4


@dataclass(frozen=True, slots=True)
class NoteCheck:
    """One stored checkpoint, checked: its body (``None`` if unreadable), the failure
    ``(code, message)`` if any, and the ``(name, key ID)`` of each verified signature."""

    checkpoint: Checkpoint | None
    failure: tuple[str, str] | None
    signers: tuple[tuple[str, bytes], ...] = ()


def check_note(note: bytes, verifiers: Sequence[NoteVerifier], origin: str) -> NoteCheck:
    """Parse a checkpoint note and verify it (C2SP signed-note, tlog-checkpoint)."""
    try:
        claimed = peek_checkpoint(note)
    except LedgerError as exc:
        return NoteCheck(None, ("integrity.checkpoint_malformed", f"cannot be read: {exc}"))
    try:
        opened = open_note(note, verifiers)
    except UnknownKeyError as exc:
        return NoteCheck(
            claimed, ("integrity.unknown_key", f"is signed by no known log key: {exc}")
        )
    except NoteSignatureError as exc:
        return NoteCheck(claimed, ("integrity.checkpoint_signature", f"{exc} (forged or altered)"))
    except NoteFormatError as exc:
        return NoteCheck(claimed, ("integrity.checkpoint_malformed", f"is malformed: {exc}"))
    if claimed.origin != origin:
        return NoteCheck(
            claimed,
            (
                "integrity.checkpoint_malformed",
                f"names origin {claimed.origin!r}; expected {origin!r}",
            ),
        )
    return NoteCheck(claimed, None, tuple((s.name, s.key_id) for s in opened.signatures))


def check_notes(job: tuple[Sequence[bytes], Sequence[tuple[str, bytes]], str]) -> list[NoteCheck]:
    """:func:`check_note` for a batch: (notes, log keys as (name, public key), origin)."""
    notes, keys, origin = job
    verifiers = [NoteVerifier(name, public_key) for name, public_key in keys]
    return [check_note(note, verifiers, origin) for note in notes]


def _inline(fn: Callable[[Any], Any], arg: Any) -> Future[Any]:
    future: Future[Any] = Future()
    future.set_result(fn(arg))
    return future


@dataclass(slots=True)
class _Matched:
    size: int
    root: bytes


class CheckpointChecker:
    """Verifies stored checkpoints as the recomputed tree reaches their sizes.

    Signatures are checked ahead, in batches, with the log keys known when the batch was
    sent (on worker processes when ``submit`` runs jobs there); a checkpoint signed by a
    key the log registered after that is checked again, here, with the keys of its time.
    """

    def __init__(
        self,
        notes: Iterator[bytes],
        *,
        origin: str,
        keys: KeyState,
        sink: FindingSink,
        proofs: ProofSource | None,
        verify_signatures_from: int = 0,
        submit: Submit = _inline,
    ) -> None:
        self._notes = notes
        self._origin = origin
        self._keys = keys
        self._sink = sink
        self._proofs = proofs
        self._verify_from = verify_signatures_from
        self._submit = submit
        self._jobs: deque[tuple[Future[list[NoteCheck]], list[bytes], int]] = deque()
        self._batch: Iterator[tuple[bytes, NoteCheck]] = iter(())
        self._batch_keys = 0
        self._exhausted = False
        self._next: tuple[int, bytes, NoteCheck, int] | None = None
        self._last_size = -1
        self._matched: _Matched | None = None
        self._mismatch: list[int] = []  # sizes of the current run of mismatching roots
        self._first_mismatch = ("", "")  # (signed root, computed root) of that run, hex
        self.verified = 0
        self.seen = 0
        #: The newest checkpoint whose root matched the recomputed tree.
        self.newest_matched: tuple[int, bytes, bytes] | None = None
        self._advance()

    def _send(self) -> None:
        """Keep a few batches of notes being checked ahead."""
        while not self._exhausted and len(self._jobs) < _NOTE_JOBS_AHEAD:
            batch = list(islice(self._notes, _NOTE_BATCH))
            if not batch:
                self._exhausted = True
                return
            job = (batch, self._keys.verifier_keys(), self._origin)
            self._jobs.append((self._submit(check_notes, job), batch, self._keys.version))

    def _take(self) -> tuple[bytes, NoteCheck, int] | None:
        while True:
            item = next(self._batch, None)
            if item is not None:
                return (*item, self._batch_keys)
            self._send()
            if not self._jobs:
                return None
            future, batch, keys = self._jobs.popleft()
            self._batch, self._batch_keys = iter(zip(batch, future.result(), strict=True)), keys

    def _advance(self) -> None:
        self._next = None
        while (taken := self._take()) is not None:
            note, check, keys = taken
            self.seen += 1
            if check.checkpoint is None:
                assert check.failure is not None
                self._sink.add(
                    Finding(
                        "integrity.checkpoint_malformed",
                        f"a stored checkpoint {check.failure[1]}",
                        kind=BreakKind.BAD_SIGNATURE,
                        evidence={"note": note[:300].decode("utf-8", "replace")},
                    )
                )
                continue
            size = check.checkpoint.size
            if size <= self._last_size:
                self._sink.add(
                    Finding(
                        "integrity.checkpoint_malformed",
                        f"checkpoints out of order: size {size} after size {self._last_size}",
                        seq=max(size - 1, 0),
                        evidence={"size": size, "previous_size": self._last_size},
                    )
                )
                continue
            self._last_size = size
            self._next = (size, note, check, keys)
            return

    @property
    def next_size(self) -> int:
        """Size of the next stored checkpoint to check (-1 when none is left)."""
        return self._next[0] if self._next is not None else -1

    def at_size(self, size: int, root: bytes, newest_at: int | None) -> None:
        """The recomputed tree has ``size`` leaves and ``root``: check checkpoints of it."""
        while self._next is not None and self._next[0] <= size:
            claimed, note, check, keys = self._next
            if claimed == size:
                self._check(note, check, keys, root, newest_at)
            self._advance()

    def _check(
        self, note: bytes, check: NoteCheck, keys: int, root: bytes, newest_at: int | None
    ) -> None:
        checkpoint = check.checkpoint
        assert checkpoint is not None
        size = checkpoint.size
        if size >= self._verify_from:
            failure = check.failure
            unknown = failure is not None and failure[0] == "integrity.unknown_key"
            if unknown and keys != self._keys.version:  # a key registered since it was sent
                check = check_note(note, self._keys.log_verifiers(), self._origin)
                failure = check.failure
            if failure is not None:
                code, message = failure
                self._sink.add(
                    Finding(
                        code,
                        f"checkpoint of size {size} {message}",
                        seq=max(size - 1, 0),
                        kind=BreakKind.UNKNOWN_KEY
                        if code == "integrity.unknown_key"
                        else BreakKind.BAD_SIGNATURE,
                        evidence={"size": size},
                    )
                )
                return
            lifecycle = self._keys.checkpoint_lifecycle(check.signers, size, newest_at)
            if lifecycle is not None:
                self._sink.add(lifecycle)
            self.verified += 1
        self._compare_root(checkpoint, note, root)

    def _compare_root(self, checkpoint: Checkpoint, note: bytes, root: bytes) -> None:
        size = checkpoint.size
        if checkpoint.root == root:
            self._close_mismatch_run()
            self._matched = _Matched(size, root)
            self.newest_matched = (size, root, note)
            return
        if not self._mismatch:
            self._check_consistency(checkpoint)
        self._mismatch.append(size)
        if len(self._mismatch) == 1:
            self._first_mismatch = (checkpoint.root.hex(), root.hex())

    def _check_consistency(self, checkpoint: Checkpoint) -> None:
        """Is the mismatching checkpoint at least consistent with the last one that matched?"""
        if self._matched is None or self._proofs is None or self._matched.size == 0:
            return
        old = self._matched
        try:
            proof = self._proofs(old.size, checkpoint.size)
            verify_consistency(old.size, checkpoint.size, proof, old.root, checkpoint.root)
        except ConsistencyProofError as exc:
            reason = str(exc)
        except (LedgerError, ValueError) as exc:
            reason = f"no proof could be read from the source ({exc})"
        else:
            return
        self._sink.add(
            Finding(
                "integrity.inconsistent",
                f"signed checkpoints of sizes {old.size} and {checkpoint.size} are not one "
                f"append-only history: {reason}",
                seq=old.size,
                kind=BreakKind.INCONSISTENT,
                evidence={
                    "old_size": old.size,
                    "old_root": old.root.hex(),
                    "new_size": checkpoint.size,
                    "new_root": checkpoint.root.hex(),
                },
            )
        )

    def _close_mismatch_run(self) -> None:
        if not self._mismatch:
            return
        sizes, self._mismatch = self._mismatch, []
        lower = self._matched.size if self._matched is not None else 0
        signed_root, computed_root = self._first_mismatch
        self._sink.add(
            Finding(
                "integrity.root_mismatch",
                f"{len(sizes)} signed checkpoint(s) from size {sizes[0]} to {sizes[-1]} do not "
                f"match the tree recomputed from the stored entries; the difference lies in "
                f"entries {lower}..{sizes[0] - 1}",
                seq=lower,
                kind=BreakKind.ROOT_MISMATCH,
                evidence={
                    "first_size": sizes[0],
                    "last_size": sizes[-1],
                    "checkpoints": len(sizes),
                    "signed_root": signed_root,
                    "computed_root": computed_root,
                    "last_matching_size": lower,
                },
            )
        )

    def finish(self, stored: int, last_seq_field: int | None) -> None:
        """After the last entry: report checkpoints the stored log does not reach."""
        self._close_mismatch_run()
        beyond: list[int] = []
        while self._next is not None:
            beyond.append(self._next[0])
            self._advance()
        if not beyond:
            return
        largest = beyond[-1]
        logged_end = stored if last_seq_field is None else max(stored, last_seq_field + 1)
        if logged_end >= largest:
            self._sink.add(
                Finding(
                    "integrity.root_mismatch",
                    f"{len(beyond)} signed checkpoint(s) up to size {largest} cannot be "
                    f"recomputed: the store holds {stored} entries",
                    seq=min(stored, self._matched.size if self._matched else 0),
                    kind=BreakKind.ROOT_MISMATCH,
                    evidence={"stored_entries": stored, "largest_size": largest},
                )
            )
            return
        self._sink.add(
            Finding(
                "integrity.truncated",
                f"the log ends at entry {logged_end - 1}, but a checkpoint of size {largest} "
                f"was signed: entries {logged_end}..{largest - 1} are gone",
                seq=logged_end,
                kind=BreakKind.TRUNCATED,
                evidence={
                    "stored_entries": stored,
                    "checkpoint_size": largest,
                    "checkpoints_beyond": len(beyond),
                },
            )
        )
