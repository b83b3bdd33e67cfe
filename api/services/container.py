"""The service container: one engine, one log store, the keys, the caches, the clock.

Built by :func:`build_services` from :class:`~api.settings.Settings` for one app or one
command, never at import time. Route handlers reach it through a FastAPI dependency
(:mod:`api.deps`); commands use :func:`open_services`. The clock (UTC milliseconds) and
the randomness are parameters, so tests run on fixed ones.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import Engine

from api.observability import Metrics
from api.services.auth import AuthService
from api.services.cashier import CashierService
from api.services.complaints import ComplaintService
from api.services.credentials import LoginPolicy, PasswordHashing
from api.services.directory import DirectoryService
from api.services.follower import ConfigFollower
from api.services.inspection import InspectionService
from api.services.issuance import ReceiptService
from api.services.keys import KeyFiles
from api.services.log_signer import LogKeyFollower
from api.services.public_log import PublicLog
from api.services.ratelimit import TokenBucketLimiter
from api.services.receipt_reads import ReceiptReader
from api.services.schedules import ScheduleService
from api.services.staff import StaffService
from api.services.verification import VerificationService
from api.settings import Settings
from api.store.projection import Projector
from ledger.errors import StorageError
from ledger.storage import LogStore, create_engine_for

__all__ = ["Services", "build_services", "open_services", "system_clock"]


def system_clock() -> int:
    """The wall clock in UTC milliseconds (the one place the service reads it)."""
    return time.time_ns() // 1_000_000


@dataclass(slots=True)
class Services:
    """Everything a request or a command needs; :meth:`close` releases it."""

    settings: Settings
    engine: Engine
    store: LogStore
    clock: Callable[[], int]
    random_bytes: Callable[[int], bytes]
    key_files: KeyFiles
    follower: ConfigFollower
    projector: Projector
    metrics: Metrics
    limiter: TokenBucketLimiter
    auth: AuthService
    staff: StaffService
    directory: DirectoryService
    schedules: ScheduleService
    receipts: ReceiptService
    reader: ReceiptReader
    cashier: CashierService
    complaints: ComplaintService
    verification: VerificationService
    public_log: PublicLog
    inspection: InspectionService

    def close(self) -> None:
        self.store.close()
        self.engine.dispose()


def build_services(
    settings: Settings,
    *,
    clock: Callable[[], int] | None = None,
    random_bytes: Callable[[int], bytes] | None = None,
    password_hasher: PasswordHasher | None = None,
) -> Services:
    """Open the database and the log key and wire every service. Needs ``bukti init`` first."""
    now = clock or system_clock
    rng = random_bytes or os.urandom
    key_files = KeyFiles(settings.keys_dir, settings.key_passphrase)
    signer = key_files.log_signer(settings.log_key_name or settings.origin)
    engine = create_engine_for(settings.resolved_database_url)
    store = LogStore(engine, signer=signer, origin=settings.origin, batch_max=settings.batch_max)
    follower = ConfigFollower(engine, store, on_keyring=LogKeyFollower(store, key_files))
    # Every append batch brings the configuration up to its own head first (and settles
    # the log key before signing): checks made in body factories see it exactly.
    store.observe(follower)
    # Sign with the log key the log names as current from the first append on; when the
    # database does not answer (or is not migrated) yet, the first refresh does it.
    with suppress(StorageError):
        follower.current()
    projector = Projector(engine, store)
    metrics = Metrics()
    hashing = PasswordHashing(password_hasher)
    policy = LoginPolicy(
        max_failures=settings.login_max_failures, lock_ms=settings.login_lock_minutes * 60_000
    )
    reader = ReceiptReader(engine, store, projector, follower, public_url=settings.public_url)
    auth = AuthService(
        engine,
        clock=now,
        random_bytes=rng,
        session_timeout_ms=settings.session_timeout_minutes * 60_000,
        policy=policy,
        hashing=hashing,
        cache_ms=settings.credential_cache_ms,
    )
    staff = StaffService(
        engine,
        store,
        follower,
        hashing,
        clock=now,
        random_bytes=rng,
        on_revoked=auth.forget_all,
    )
    return Services(
        settings=settings,
        engine=engine,
        store=store,
        clock=now,
        random_bytes=rng,
        key_files=key_files,
        follower=follower,
        projector=projector,
        metrics=metrics,
        limiter=TokenBucketLimiter(settings.rate_limit_per_minute),
        auth=auth,
        staff=staff,
        directory=DirectoryService(store, follower, clock=now),
        schedules=ScheduleService(store, follower, clock=now),
        receipts=ReceiptService(
            store,
            follower,
            key_files,
            clock=now,
            public_url=settings.public_url,
            on_issued=metrics.receipts_issued.inc,
            on_rejected=lambda verdict: metrics.charges_rejected.labels(verdict).inc(),
            find_user=staff.find_user,
        ),
        reader=reader,
        cashier=CashierService(engine, store, projector, follower, clock=now),
        complaints=ComplaintService(engine, store, projector, reader, clock=now, random_bytes=rng),
        verification=VerificationService(follower, reader, clock=now),
        public_log=PublicLog(store, follower),
        inspection=InspectionService(settings, clock=now),
    )


@contextmanager
def open_services(
    settings: Settings,
    *,
    clock: Callable[[], int] | None = None,
    random_bytes: Callable[[int], bytes] | None = None,
    password_hasher: PasswordHasher | None = None,
) -> Iterator[Services]:
    """The container for one command; closed on exit."""
    services = build_services(
        settings, clock=clock, random_bytes=random_bytes, password_hasher=password_hasher
    )
    try:
        yield services
    finally:
        services.close()
