"""Key management on a running deployment: list keys, rotate the receipts or the log key,
retire a receipts key.

Rotation creates a new key file, records ``key.added`` for it and ``key.retired`` for the
old key at the same instant, and rewrites the trust list, which keeps the retired key with
its validity (DESIGN §3 "Keys", docs/keys.md). Receipts signed by a retired receipts key
keep verifying; checkpoints signed by a retired log key keep verifying against it.

A log key rotation appends its two entries in one call, so the checkpoint that covers
them is the last one the old key signs; every later checkpoint is signed by the new key
(:class:`api.services.log_signer.LogKeyFollower` switches each process's signer when its
configuration follower sees the entries).
"""

from __future__ import annotations

from api.errors import InvalidRequestError, NotFoundError
from api.services.container import Services
from api.services.keys import KeyFiles
from ledger.storage import AppendRequest
from receipts import KeyPurpose, KeyRecord, key_added_body, key_retired_body, receipt_key_id
from receipts.keys import KeyStatus

__all__ = ["list_keys", "retire_key", "rotate_log_key", "rotate_receipts_key"]


def list_keys(services: Services) -> list[KeyRecord]:
    return list(services.follower.current().state.keyring.records)


def rotate_receipts_key(services: Services, by: str) -> KeyRecord:
    """A new active receipts key; the previous one is retired at the same instant."""
    keyring = services.follower.current().state.keyring
    old = keyring.current(KeyPurpose.RECEIPTS)
    key = services.key_files.create_receipts_key(services.random_bytes)
    now = services.clock()
    kid = receipt_key_id(key.public_key)
    new = KeyRecord(
        name=f"receipts-{kid.hex()}",
        purpose=KeyPurpose.RECEIPTS,
        public_key=key.public_key,
        valid_from=now,
    )
    retired = keyring.rotate(old.public_key, new).get(old.public_key)
    services.store.append(AppendRequest(kind="key.added", at=now, body=key_added_body(new, by=by)))
    services.store.append(
        AppendRequest(
            kind="key.retired",
            at=now,
            body=key_retired_body(retired, reason="rotated", by=by),
        )
    )
    KeyFiles.write_trust_list(
        services.settings.trust_list_path, services.follower.current().state.keyring
    )
    return new


def rotate_log_key(services: Services, by: str) -> KeyRecord:
    """A new log key signs every checkpoint from now on; the previous one is retired."""
    keyring = services.follower.current().state.keyring
    old = keyring.current(KeyPurpose.LOG)
    name = services.settings.log_key_name or services.settings.origin
    key = services.key_files.create_rotated_log_key(services.random_bytes, name)
    now = services.clock()
    new = KeyRecord(name=name, purpose=KeyPurpose.LOG, public_key=key.public_key, valid_from=now)
    try:
        retired = keyring.rotate(old.public_key, new).get(old.public_key)
    except Exception:
        services.key_files.rotated_log_key_path(new.kid).unlink(missing_ok=True)
        raise
    # Both entries in one call: the checkpoint covering them is signed by the old key,
    # which is still valid for it (the audit judges it before applying key.retired).
    added, retired_outcome = services.store.append_many(
        [
            AppendRequest(kind="key.added", at=now, body=key_added_body(new, by=by)),
            AppendRequest(
                kind="key.retired",
                at=now,
                body=key_retired_body(retired, reason="rotated", by=by),
            ),
        ]
    )
    if isinstance(added, Exception):
        services.key_files.rotated_log_key_path(new.kid).unlink(missing_ok=True)
        raise added
    # Folding the new entries switches this process's store to the new key.
    keyring_now = services.follower.current().state.keyring
    KeyFiles.write_trust_list(services.settings.trust_list_path, keyring_now)
    if isinstance(retired_outcome, Exception):
        raise retired_outcome  # the new key signs from now on; the old one stays active
    return new


def retire_key(services: Services, kid_hex: str, reason: str, by: str) -> KeyRecord:
    """Retire a receipts key now; refused for the only active one (issuing would stop)."""
    keyring = services.follower.current().state.keyring
    try:
        record = keyring.find(KeyPurpose.RECEIPTS, bytes.fromhex(kid_hex))
    except ValueError:
        record = None
    if record is None:
        raise NotFoundError(
            f"expected the kid of a receipts key, found {kid_hex!r}",
            f"Kunci kuitansi {kid_hex} tidak ada.",
        )
    if record.status is KeyStatus.ACTIVE and len(keyring.active(KeyPurpose.RECEIPTS)) == 1:
        raise InvalidRequestError(
            "expected another active receipts key, found this the only one; rotate instead",
            "Ini satu-satunya kunci kuitansi aktif; gunakan rotasi.",
            field="kid",
        )
    now = services.clock()
    retired = keyring.retire(record.public_key, now).get(record.public_key)
    services.store.append(
        AppendRequest(
            kind="key.retired", at=now, body=key_retired_body(retired, reason=reason, by=by)
        )
    )
    KeyFiles.write_trust_list(
        services.settings.trust_list_path, services.follower.current().state.keyring
    )
    return retired
