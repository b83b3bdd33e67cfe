"""Deterministic logs, keys and checkpoints for the ledger core tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.encoding import ZERO_HASH, Entry, decode_entry, encode_entry
from ledger.merkle import leaf_hash, root_from_leaves
from ledger.note import NoteSigner, NoteVerifier
from ledger.verify import LogReport, LogVerifier

ORIGIN = "bekasikab.go.id/bukti"
LOG_SIGNER = NoteSigner(ORIGIN, bytes(range(32)))
LOG_VERIFIER = LOG_SIGNER.verifier()
OTHER_SIGNER = NoteSigner(ORIGIN, bytes(range(32, 64)))
#: 2026-01-01 00:00 WIB in UTC milliseconds.
START_MS = 1_767_200_400_000


def entry(seq: int, prev: bytes, *, charged: int | None = None) -> bytes:
    """A receipt.issued entry at ``seq`` linking to ``prev``."""
    fee = 10_000 + 500 * seq if charged is None else charged
    return encode_entry(
        Entry(
            seq=seq,
            kind="receipt.issued",
            at=START_MS + 60_000 * seq,
            prev=prev,
            body={
                "receipt_no": f"32.16.20-DUKCAPIL/L01/{seq:06d}",
                "office": "32.16.20-DUKCAPIL",
                "counter": "L01",
                "by": "u-0001",
                "service": "RJU-PASAR-01",
                "schedule": "2026.1",
                "inputs": {"luas_m2": 4 + seq % 7},
                "official_fee": fee,
                "charged": fee,
                "verdict": "ok",
            },
        )
    )


def make_log(n: int) -> list[bytes]:
    """An honest log of ``n`` entries."""
    out: list[bytes] = []
    prev = ZERO_HASH
    for seq in range(n):
        data = entry(seq, prev)
        out.append(data)
        prev = leaf_hash(data)
    return out


def rechain(entries: Sequence[bytes], start: int) -> list[bytes]:
    """Rewrite every ``prev`` from ``start`` on so the chain links again (an attacker's move)."""
    out = list(entries[:start])
    prev = leaf_hash(out[-1]) if out else ZERO_HASH
    for data in entries[start:]:
        e = decode_entry(data)
        fixed = encode_entry(Entry(e.seq, e.kind, e.at, prev, e.body))
        out.append(fixed)
        prev = leaf_hash(fixed)
    return out


def checkpoint_note(
    entries: Sequence[bytes], size: int, signer: NoteSigner = LOG_SIGNER, origin: str = ORIGIN
) -> bytes:
    root = root_from_leaves(leaf_hash(e) for e in entries[:size])
    return sign_checkpoint(Checkpoint(origin, size, root), signer).note


def checkpoint_notes(entries: Sequence[bytes], sizes: Iterable[int]) -> list[bytes]:
    return [checkpoint_note(entries, s) for s in sizes]


def verify_log(
    stored: Iterable[tuple[int, bytes]],
    notes: Iterable[bytes] = (),
    *,
    verifiers: Sequence[NoteVerifier] = (LOG_VERIFIER,),
    collect: bool = False,
) -> LogReport:
    verifier = LogVerifier(ORIGIN, verifiers, checkpoints=notes, collect=collect)
    for seq, data in stored:
        verifier.add_entry(seq, data)
    return verifier.finish()
