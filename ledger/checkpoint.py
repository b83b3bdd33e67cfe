"""Checkpoints: signed tree heads in the C2SP tlog-checkpoint format.

A checkpoint is a signed note whose text is::

    <origin>
    <tree size, decimal>
    <base64 root hash>
    [extension lines]

The log signs one after every committed batch and keeps them all; a checkpoint is the
public commitment that the first ``size`` entries of the log hash to ``root``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.errors import CheckpointError
from ledger.merkle import HASH_SIZE
from ledger.note import NoteSigner, NoteVerifier, decode_base64_strict, open_note, sign_note

__all__ = [
    "MAX_TREE_SIZE",
    "Checkpoint",
    "SignedCheckpoint",
    "open_checkpoint",
    "sign_checkpoint",
]

#: Tree sizes are unsigned 64-bit integers in every tlog implementation.
MAX_TREE_SIZE = 2**64 - 1

# C2SP tlog-checkpoint, line 2: ASCII decimal, no leading zeroes unless the tree is empty.
_SIZE_RE = re.compile(r"0|[1-9][0-9]*", re.ASCII)


def _check_line(line: str, what: str) -> None:
    if not line:
        raise CheckpointError(f"{what} must be non-empty")
    for ch in line:
        if ord(ch) < 0x20:
            raise CheckpointError(f"{what} contains control character U+{ord(ch):04X}")


@dataclass(frozen=True)
class Checkpoint:
    """The body of a checkpoint: origin, tree size, root hash and optional extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise CheckpointError(f"tree size must be an integer, found {self.size!r}")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise CheckpointError(f"tree size {self.size} is outside 0..2**64-1")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise CheckpointError(f"root hash must be {HASH_SIZE} bytes, found {len(self.root)}")
        for i, line in enumerate(self.extensions):
            # C2SP tlog-checkpoint, line 4+: extension lines, if any, MUST be non-empty.
            _check_line(line, f"extension line {i + 1}")

    def to_text(self) -> str:
        """The note text: origin, size, base64 root, extension lines, each ending in newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii")]
        lines.extend(self.extensions)
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body strictly (C2SP tlog-checkpoint, "Note text")."""
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError(
                f"checkpoint needs origin, size and root lines; found {len(lines)} line(s)"
            )
        origin, size_text, root_text, *extensions = lines
        _check_line(origin, "origin")
        if not _SIZE_RE.fullmatch(size_text):
            raise CheckpointError(
                f"tree size must be decimal digits without leading zeros, found {size_text!r}"
            )
        size = int(size_text)
        if size > MAX_TREE_SIZE:
            raise CheckpointError(f"tree size {size_text} exceeds 2**64-1")
        root = decode_base64_strict(root_text, "root hash", CheckpointError)
        if len(root) != HASH_SIZE:
            raise CheckpointError(f"root hash must be {HASH_SIZE} bytes, found {len(root)}")
        return cls(origin=origin, size=size, root=root, extensions=tuple(extensions))


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint together with the exact signed-note bytes that carry it."""

    checkpoint: Checkpoint
    note: bytes


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> SignedCheckpoint:
    """Sign ``checkpoint`` as a note by ``signer`` (the log key)."""
    return SignedCheckpoint(checkpoint, sign_note(checkpoint.to_text(), [signer]))


def open_checkpoint(
    note: bytes, verifiers: Sequence[NoteVerifier], *, origin: str | None
) -> SignedCheckpoint:
    """Verify ``note`` by one of ``verifiers`` and parse its checkpoint.

    ``origin`` is the log the caller expects; ``None`` accepts any origin (only for
    tools that display checkpoints, never for verification of a known log).
    """
    opened = open_note(note, verifiers)
    checkpoint = Checkpoint.parse(opened.text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint origin is {checkpoint.origin!r}; expected {origin!r}")
    return SignedCheckpoint(checkpoint, note)
