"""Log key rotation: ``key.added`` + ``key.retired``, later checkpoints by the new key.

The checkpoint covering the two rotation entries is the last one the old key signs; every
later one is signed by the new key, in this process, in a server that was already running
and in one started afterwards. The trust list keeps the retired key with its validity, old
checkpoints still verify against it, and the independent audit finds nothing wrong.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.cli import main
from api.errors import SetupError
from api.services.bootstrap import SYSTEM_ACTOR, InitReport
from api.services.complaints import ComplaintCommand
from api.services.container import Services, build_services, open_services
from api.services.key_admin import rotate_log_key
from api.services.keys import KeyFiles
from api.settings import Settings
from ledger.errors import UnknownKeyError
from ledger.note import NoteVerifier, open_note
from receipts import KeyPurpose, KeyRecord
from receipts.keys import KeyStatus
from receipts.trustlist import TrustList
from tests.api.conftest import FAST_HASHER, login, seeded_random
from tests.conftest import FixedClock

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _verifier(record: KeyRecord) -> NoteVerifier:
    assert record.verifier_key is not None
    return NoteVerifier.from_string(record.verifier_key)


def _log_keys(trust_json: bytes) -> dict[KeyStatus, KeyRecord]:
    records = [r for r in TrustList.from_json(trust_json).records if r.purpose is KeyPurpose.LOG]
    by_status = {r.status: r for r in records}
    assert len(by_status) == len(records) == 2
    return by_status


def _signed_by(note: bytes, record: KeyRecord) -> bool:
    try:
        open_note(note, [_verifier(record)])
    except UnknownKeyError:
        return False
    return True


def _complain(services: Services) -> int:
    view = services.complaints.file(
        ComplaintCommand(receipt=None, paid=5_000, text="Diminta uang parkir dua kali.")
    )
    assert view.seq is not None
    return view.seq


def _rotate(settings: Settings, clock: FixedClock) -> tuple[KeyRecord, KeyRecord, int]:
    """Rotate in a separate process-like container; (old, new, size after the rotation)."""
    clock.advance(60_000)
    with open_services(
        settings, clock=clock, random_bytes=seeded_random(11), password_hasher=FAST_HASHER
    ) as services:
        old = services.follower.current().state.keyring.current(KeyPurpose.LOG)
        new = rotate_log_key(services, SYSTEM_ACTOR)
        size = services.store.size()
        added, retired = (services.store.entry(s).decode() for s in (size - 2, size - 1))
        assert (added.kind, added.body["purpose"], added.body["kid"]) == (
            "key.added",
            "log",
            new.kid.hex(),
        )
        assert (retired.kind, retired.body["kid"], retired.body["valid_until"]) == (
            "key.retired",
            old.kid.hex(),
            new.valid_from,
        )
        # The rotation is recorded under the old key; this process signs with the new one.
        covering = services.store.latest_checkpoint()
        assert covering.checkpoint.size == size
        assert _signed_by(covering.note, old)
        assert not _signed_by(covering.note, new)
        assert services.store.signer.public_key == new.public_key
        _complain(services)
        assert _signed_by(services.store.latest_checkpoint().note, new)
    return old, new, size


def test_rotation_switches_signers_keeps_old_checkpoints_and_the_audit_holds(
    settings: Settings, clock: FixedClock, init_report: InitReport
) -> None:
    with open_services(settings, clock=clock) as before:
        old_notes = [c.note for c in before.store.checkpoints()]
    old, new, _size = _rotate(settings, clock)

    trust = _log_keys(settings.trust_list_path.read_bytes())
    assert trust[KeyStatus.RETIRED].public_key == old.public_key
    assert trust[KeyStatus.RETIRED].valid_until == new.valid_from
    assert trust[KeyStatus.ACTIVE].public_key == new.public_key
    # Every checkpoint signed before the rotation still verifies against the retired key.
    for note in old_notes:
        assert _signed_by(note, trust[KeyStatus.RETIRED])

    # A server started afterwards signs with the new key from its first append on.
    restarted = build_services(settings, clock=clock)
    try:
        _complain(restarted)  # no configuration read before this append
        assert _signed_by(restarted.store.latest_checkpoint().note, new)
        result = restarted.inspection.run_audit()
    finally:
        restarted.close()
    assert result.integrity_holds, result.first_break
    codes = {f.code for f in result.findings}
    assert "integrity.key_lifecycle" not in codes
    assert not {c for c in codes if c.startswith("integrity.")}


def test_a_running_server_follows_a_rotation_made_elsewhere(
    client: TestClient, settings: Settings, clock: FixedClock
) -> None:
    counter = login(client, "loket.dlh")
    _old, new, size = _rotate(settings, clock)
    issued = client.post(
        "/api/v1/receipts",
        json={"counter": "L01", "service": "RJU-PKR-02"},
        headers={**counter, "Idempotency-Key": "after-rotation"},
    )
    assert issued.status_code == 201, issued.text
    assert issued.json()["seq"] > size
    assert _signed_by(client.get("/checkpoint").content, new)
    served = _log_keys(client.get("/.well-known/bukti/keys.json").content)
    assert served[KeyStatus.ACTIVE].public_key == new.public_key
    assert served[KeyStatus.RETIRED].valid_until == new.valid_from
    # The receipt issued after the rotation verifies, its checkpoint by the new key.
    check = client.post("/api/v1/verify", json={"input": issued.json()["qr_url"]})
    assert check.json()["valid"] is True, check.text


def test_a_server_without_the_new_key_file_refuses_to_sign(
    settings: Settings, clock: FixedClock, init_report: InitReport
) -> None:
    _old, new, _size = _rotate(settings, clock)
    KeyFiles(settings.keys_dir, None).rotated_log_key_path(new.kid).unlink()
    with pytest.raises(SetupError, match=new.kid.hex()):
        build_services(settings, clock=clock)


def test_cli_rotates_the_log_key(
    settings: Settings,
    init_report: InitReport,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BUKTI_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("BUKTI_DATABASE_URL", settings.resolved_database_url)
    assert main(["keys", "rotate", "--purpose", "log"]) == 0
    out = capsys.readouterr().out
    assert "new log key" in out
    trust = _log_keys(settings.trust_list_path.read_bytes())
    verifier_key = trust[KeyStatus.ACTIVE].verifier_key
    assert verifier_key is not None
    assert verifier_key in out
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert listing.count("log ") >= 2
    assert "retired" in listing
