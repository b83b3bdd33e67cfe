"""Keeps the log store signing with the log key that the log names as current.

Several processes append to one log (servers, ``bukti keys rotate --purpose log``). A log
key rotation is two entries — ``key.added`` for the new key, ``key.retired`` for the old
one — appended in one call, so the checkpoint covering them is still signed by the old key
(a rotation is recorded under the old key's signature, as the audit expects). Every
process moves on to the new key as soon as its configuration follower folds those entries:
:class:`LogKeyFollower` is the follower's keyring hook. The current log key is the active
``log`` key that became valid last (:meth:`receipts.keys.Keyring.current`).
"""

from __future__ import annotations

from api.services.keys import KeyFiles
from ledger.storage import LogStore
from receipts.errors import KeyringError
from receipts.keys import KeyPurpose, Keyring

__all__ = ["LogKeyFollower"]


class LogKeyFollower:
    """Called with the keyring after each configuration refresh; switches the signer when
    the log's current log key is not the one the store signs with."""

    def __init__(self, store: LogStore, key_files: KeyFiles) -> None:
        self._store = store
        self._key_files = key_files
        self._settled: Keyring | None = None  # the last keyring the signer was checked against

    def __call__(self, keyring: Keyring) -> None:
        if keyring is self._settled:
            return
        try:
            record = keyring.current(KeyPurpose.LOG)
        except KeyringError:
            return  # no log key registered yet: ``bukti init`` registers the first one
        signer = self._store.signer
        if signer.public_key != record.public_key or signer.name != record.name:
            # Raises SetupError while this data directory lacks the key: nothing is then
            # signed by a retired key.
            self._store.set_signer(self._key_files.log_signer_for(record))
        self._settled = keyring
