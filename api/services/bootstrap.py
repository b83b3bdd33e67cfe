"""``bukti init``: bring a data directory and database to a working deployment. Idempotent.

Steps, each skipped when already done:

1. migrate the database to the newest schema (ledger and service tables);
2. create the log key file (0600) and store the signed checkpoint of the empty log;
3. register the log key in the log (``key.added``, purpose ``log``);
4. create a receipts key file and register it (``key.added``, purpose ``receipts``);
5. write the public trust list ``<data_dir>/keys.json``;
6. with ``BUKTI_DEMO`` (the default): demo offices, counters and staff
   (``office.added``, ``counter.added``, ``user.added``);
7. publish the default Kabupaten Bekasi schedule if no schedule was ever published.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from argon2 import PasswordHasher

from api.services.container import Services, open_services
from api.services.demo import DemoUser, load_demo
from api.services.keys import KeyFiles
from api.settings import Settings
from ledger.schedule import default_schedule
from ledger.storage import AppendRequest, migrate
from receipts import KeyPurpose, KeyRecord, key_added_body, receipt_key_id
from receipts.errors import KeyringError

__all__ = ["SYSTEM_ACTOR", "InitReport", "initialize"]

#: The ``by`` of entries written by ``bukti init`` itself rather than a staff member.
SYSTEM_ACTOR = "system"


@dataclass(slots=True)
class InitReport:
    """What :func:`initialize` did, for the command to print."""

    log_key_created: bool = False
    receipts_key_created: bool = False
    keys_registered: list[str] = field(default_factory=list)
    offices_added: list[str] = field(default_factory=list)
    counters_added: list[str] = field(default_factory=list)
    users_added: list[str] = field(default_factory=list)
    demo_staff: list[DemoUser] = field(default_factory=list)
    schedule_published: str | None = None
    log_size: int = 0


def initialize(
    settings: Settings,
    *,
    clock: Callable[[], int] | None = None,
    random_bytes: Callable[[int], bytes] | None = None,
    password_hasher: PasswordHasher | None = None,
) -> InitReport:
    """Run every step of ``bukti init``; safe to run again on the same data directory.

    ``password_hasher`` overrides the Argon2id parameters of the demo staff's hashes.
    """
    rng = random_bytes or os.urandom
    report = InitReport()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.resolved_database_url)
    key_files = KeyFiles(settings.keys_dir, settings.key_passphrase)
    report.log_key_created = not key_files.log_key_path.exists()
    key_files.create_log_key(rng)
    with open_services(
        settings, clock=clock, random_bytes=rng, password_hasher=password_hasher
    ) as services:
        services.store.initialize()
        _register_keys(services, key_files, report)
        keyring = services.follower.current().state.keyring
        KeyFiles.write_trust_list(settings.trust_list_path, keyring)
        if settings.demo:
            _demo(services, settings, report)
        if not services.follower.current().history.published:
            published = services.schedules.publish(default_schedule(), SYSTEM_ACTOR)
            report.schedule_published = published.version
        report.log_size = services.store.size()
    return report


def _register_keys(services: Services, key_files: KeyFiles, report: InitReport) -> None:
    settings = services.settings
    keyring = services.follower.current().state.keyring
    log_key = key_files.load_log_key()
    now = services.clock()
    if not any(r.public_key == log_key.public_key for r in keyring.records):
        record = KeyRecord(
            name=settings.log_key_name or settings.origin,
            purpose=KeyPurpose.LOG,
            public_key=log_key.public_key,
            valid_from=now,
        )
        services.store.append(
            AppendRequest(kind="key.added", at=now, body=key_added_body(record, by=SYSTEM_ACTOR))
        )
        report.keys_registered.append(f"log {record.name}")
    try:
        current = keyring.current(KeyPurpose.RECEIPTS)
    except KeyringError:
        current = None
    if current is not None:
        key_files.load_receipts_key(receipt_key_id(current.public_key))  # must be here
        return
    key = key_files.create_receipts_key(services.random_bytes)
    report.receipts_key_created = True
    kid = receipt_key_id(key.public_key)
    record = KeyRecord(
        name=f"receipts-{kid.hex()}",
        purpose=KeyPurpose.RECEIPTS,
        public_key=key.public_key,
        valid_from=now,
    )
    services.store.append(
        AppendRequest(kind="key.added", at=now, body=key_added_body(record, by=SYSTEM_ACTOR))
    )
    report.keys_registered.append(f"receipts {kid.hex()}")


def _demo(services: Services, settings: Settings, report: InitReport) -> None:
    demo = load_demo(settings.demo_file)
    state = services.follower.current().state
    for office in demo.offices:
        if office.code not in state.offices:
            services.directory.add_office(office.code, office.name, office.area, SYSTEM_ACTOR)
            report.offices_added.append(office.code)
        for counter in office.counters:
            if (office.code, counter.code) not in state.counters:
                services.directory.add_counter(
                    office.code, counter.code, counter.name, SYSTEM_ACTOR
                )
                report.counters_added.append(f"{office.code}/{counter.code}")
    existing = {u.username for u in services.staff.users()}
    for user in demo.staff:
        if user.username not in existing:
            services.staff.add_user(
                user.username,
                display_name=user.name,
                role=user.role,
                office=user.office,
                password=user.password,
                by=SYSTEM_ACTOR,
            )
            report.users_added.append(user.username)
    report.demo_staff = list(demo.staff)
