"""Which keys may sign what, and when: the trust anchor and the keys the log registers.

Two sources, cross-checked:

- the **trust anchor**: the trust list (``keys.json``) the inspector supplies (``--keys``) or
  the one the source carries. Its log keys verify checkpoints from the first one on;
- the **log**: ``key.added`` / ``key.retired`` entries, replayed with
  :meth:`receipts.keys.Keyring.apply_entry` in log order. A key the log adds can sign
  checkpoints from then on (a rotation is recorded under the old key's signature); a
  receipts key verifies receipts only once the log registered it.

Key lifecycle (DESIGN §3, "Keys"): a checkpoint of size ``n`` is judged at the time of its
newest entry ``t = at(n - 1)``: its key must not be retired at ``t`` (``valid_until <= t``),
must not start more than :data:`SKEW_MS` after ``t``, and must not sign past the entry that
retired it in the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from audit.findings import BreakKind, Finding
from ledger.errors import NoteFormatError
from ledger.note import NoteVerifier
from receipts.errors import KeyringError
from receipts.keys import KeyPurpose, KeyRecord, Keyring
from receipts.trustlist import TrustList

__all__ = ["SKEW_MS", "KeyState", "ReceiptKeys", "load_trust_list"]

#: Clock skew tolerated between an entry's time and its checkpoint key's start (5 minutes).
SKEW_MS: Final = 5 * 60 * 1000


def load_trust_list(data: bytes) -> TrustList:
    """Parse a trust list; raises :class:`receipts.errors.TrustListError` with the reason."""
    return TrustList.from_json(data)


@dataclass(frozen=True, slots=True)
class ReceiptKeys:
    """The receipts keys as of one point in the log, handed to receipt checks.

    ``registered``: keys the log added before that point (with validity from the log);
    ``anchor_only``: receipts keys of the trust anchor the log never registered.
    """

    registered: tuple[KeyRecord, ...]
    anchor_only: tuple[KeyRecord, ...]


class KeyState:
    """The keys known at the current point of a log replay."""

    __slots__ = (
        "_added_seq",
        "_anchor",
        "_keyring",
        "_log_cache",
        "_receipts_cache",
        "_retired_seq",
        "version",
    )

    def __init__(self, anchor: TrustList | None) -> None:
        self._anchor: tuple[KeyRecord, ...] = anchor.records if anchor is not None else ()
        self._keyring = Keyring()
        self._added_seq: dict[bytes, int] = {}
        self._retired_seq: dict[bytes, int] = {}
        self._receipts_cache: ReceiptKeys | None = None
        #: (name, key ID) -> (verifier, record) of every log key, until the keys change.
        self._log_cache: dict[tuple[str, bytes], tuple[NoteVerifier, KeyRecord]] | None = None
        #: Counts the key entries applied: work checked with older keys may need a recheck.
        self.version = 0

    # -- replay -------------------------------------------------------------------------

    def apply(self, seq: int, kind: str, body: dict[str, Any]) -> Finding | None:
        """Replay one ``key.added`` / ``key.retired`` entry; a malformed one is a finding."""
        try:
            keyring = self._keyring.apply_entry(kind, body)
        except (KeyringError, NoteFormatError, ValueError, TypeError) as exc:
            return Finding(
                "compliance.malformed_body",
                f"{kind} at seq {seq} cannot be applied to the keyring: {exc}",
                seq=seq,
                evidence={"kind": kind},
            )
        changed = {r.public_key for r in keyring.records} ^ {
            r.public_key for r in self._keyring.records
        }
        if kind == "key.added":
            for key in changed:
                self._added_seq[key] = seq
        else:
            for record in keyring.records:
                if record.valid_until is not None and record.public_key not in self._retired_seq:
                    self._retired_seq[record.public_key] = seq
        self._keyring = keyring
        self._receipts_cache = None
        self._log_cache = None
        self.version += 1
        return None

    # -- checkpoints --------------------------------------------------------------------

    def _log_keys(self) -> dict[tuple[str, bytes], tuple[NoteVerifier, KeyRecord]]:
        if self._log_cache is None:
            keys: dict[tuple[str, bytes], tuple[NoteVerifier, KeyRecord]] = {}
            # The log's own record of a key (its validity) wins over the anchor's.
            for record in (*self._keyring.records, *self._anchor):
                if record.purpose is KeyPurpose.LOG:
                    verifier = NoteVerifier(record.name, record.public_key)
                    keys.setdefault((verifier.name, verifier.key_id), (verifier, record))
            self._log_cache = keys
        return self._log_cache

    def log_verifiers(self) -> list[NoteVerifier]:
        """Every log key that may verify a checkpoint: the anchor's and the log's."""
        return [verifier for verifier, _ in self._log_keys().values()]

    def verifier_keys(self) -> list[tuple[str, bytes]]:
        """The same keys as ``(name, public key)`` pairs, to send to a worker."""
        return [(v.name, v.public_key) for v, _ in self._log_keys().values()]

    def _log_record(self, signer: tuple[str, bytes]) -> KeyRecord | None:
        """The record of the log key ``(name, key ID)``: the log's, else the anchor's."""
        found = self._log_keys().get(signer)
        return found[1] if found is not None else None

    def checkpoint_lifecycle(
        self, signers: Sequence[tuple[str, bytes]], size: int, newest_at: int | None
    ) -> Finding | None:
        """A finding unless one of the keys ``(name, key ID)`` that signed a checkpoint of
        ``size``, whose newest entry is dated ``newest_at``, was valid for it."""
        problems: list[str] = []
        for signer in signers:
            record = self._log_record(signer)
            if record is None:  # pragma: no cover - only known keys verify
                continue
            problem = self._lifecycle_problem(record, size, newest_at)
            if problem is None:
                return None
            problems.append(problem)
        if not problems:
            return None
        return Finding(
            "integrity.key_lifecycle",
            f"checkpoint of size {size} is signed only by keys not valid for it: "
            + "; ".join(problems),
            seq=max(size - 1, 0),
            kind=BreakKind.KEY_LIFECYCLE,
            evidence={"size": size, "newest_entry_at": newest_at, "problems": problems},
        )

    def _lifecycle_problem(self, record: KeyRecord, size: int, newest_at: int | None) -> str | None:
        retired_seq = self._retired_seq.get(record.public_key)
        if retired_seq is not None and size > retired_seq + 1:
            return (
                f"key {record.name} was retired by entry {retired_seq}, yet signs a checkpoint "
                f"of size {size}"
            )
        if newest_at is None:
            return None
        if record.valid_until is not None and newest_at >= record.valid_until:
            return (
                f"key {record.name} is retired from {record.valid_until} ms; the checkpoint's "
                f"newest entry is dated {newest_at} ms"
            )
        if record.valid_from > newest_at + SKEW_MS:
            return (
                f"key {record.name} is valid from {record.valid_from} ms; the checkpoint's "
                f"newest entry is dated {newest_at} ms"
            )
        return None

    # -- receipts -----------------------------------------------------------------------

    def receipt_keys(self) -> ReceiptKeys:
        """The receipts keys as of now (cached until the next key entry)."""
        if self._receipts_cache is None:
            registered = tuple(r for r in self._keyring.records if r.purpose is KeyPurpose.RECEIPTS)
            known = {r.public_key for r in registered}
            anchor_only = tuple(
                r
                for r in self._anchor
                if r.purpose is KeyPurpose.RECEIPTS and r.public_key not in known
            )
            self._receipts_cache = ReceiptKeys(registered, anchor_only)
        return self._receipts_cache

    # -- the anchor against the log ------------------------------------------------------

    def compare_anchor(self) -> list[Finding]:
        """Findings where the trust anchor and the log's own key entries disagree."""
        findings: list[Finding] = []
        in_log = {r.public_key: r for r in self._keyring.records}
        for record in self._anchor:
            logged = in_log.get(record.public_key)
            if logged is None:
                if record.purpose is KeyPurpose.RECEIPTS:
                    findings.append(
                        Finding(
                            "integrity.trust_list",
                            f"the trust list names receipts key {record.name} "
                            f"(kid {record.kid.hex()}), which no key.added entry registers",
                            kind=BreakKind.UNKNOWN_KEY,
                            evidence={"key": record.name, "kid": record.kid.hex()},
                        )
                    )
                continue
            if (logged.valid_from, logged.valid_until) != (record.valid_from, record.valid_until):
                findings.append(
                    Finding(
                        "integrity.trust_list",
                        f"key {record.name}: the trust list says valid "
                        f"{record.valid_from}..{record.valid_until}, the log says "
                        f"{logged.valid_from}..{logged.valid_until}",
                        seq=self._added_seq.get(record.public_key),
                        kind=BreakKind.KEY_LIFECYCLE,
                        evidence={
                            "key": record.name,
                            "trust_list": [record.valid_from, record.valid_until],
                            "log": [logged.valid_from, logged.valid_until],
                        },
                    )
                )
        return findings
