"""Key management on a running deployment: list, rotate and retire receipts keys.

Rotation creates a new receipts key file, records ``key.added`` for it and
``key.retired`` for the old key at the same instant, and rewrites the trust list.
Receipts signed by a retired key keep verifying (DESIGN §3 "Keys"). The log key is
not rotated here: a new log key starts a new checkpoint signer and needs witnesses to
vouch for the switch.
"""

from __future__ import annotations

from api.errors import InvalidRequestError, NotFoundError
from api.services.container import Services
from api.services.keys import KeyFiles
from ledger.storage import AppendRequest
from receipts import KeyPurpose, KeyRecord, key_added_body, key_retired_body, receipt_key_id
from receipts.keys import KeyStatus

__all__ = ["list_keys", "retire_key", "rotate_receipts_key"]


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
