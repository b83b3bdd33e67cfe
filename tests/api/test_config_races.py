"""Races between an issue and a configuration change made by another server process.

Two service containers on the same database stand for two server processes. The one that
issues decides on the configuration it has folded (no database read per request); the
append confirms that decision inside its own transaction, with the log locked, against the
configuration as of the new entry. These tests change the configuration through the other
process between one issue and the next, so that the issuing process decides on a stale
view, and check that the log — not the stale view — has the last word.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.errors import AuthenticationError, DayClosedError
from api.services.cashier import ClosingCommand
from api.services.container import Services, build_services
from api.services.issuance import IssueCommand
from api.services.roles import Principal
from api.settings import Settings
from api.store import readmodels
from api.store import staff as staff_store
from ledger.schedule import default_schedule_text, parse_toml
from tests.api.conftest import DEMO_PASSWORDS, FAST_HASHER, seeded_random
from tests.conftest import FixedClock, run_async

PARKING = IssueCommand(counter="L01", service="RJU-PKR-02", inputs={})


@pytest.fixture
def here(settings: Settings, clock: FixedClock, init_report: object) -> Iterator[Services]:
    services = build_services(settings, clock=clock, password_hasher=FAST_HASHER)
    yield services
    services.close()


@pytest.fixture
def other(settings: Settings, clock: FixedClock, init_report: object) -> Iterator[Services]:
    """The second server process."""
    services = build_services(
        settings, clock=clock, random_bytes=seeded_random(11), password_hasher=FAST_HASHER
    )
    yield services
    services.close()


def _principal(services: Services, username: str) -> Principal:
    token = services.auth.login(username, DEMO_PASSWORDS[username]).token
    return services.auth.authenticate(token)


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
def test_race_a_closing_by_another_server_refuses_the_next_issue_here(
    here: Services, other: Services, clock: FixedClock
) -> None:
    counter = _principal(here, "loket.dlh")
    view, created = here.receipts.issue(counter, PARKING, "before-closing")
    assert created
    # The other server closes L01's day; this process has not read the log since.
    clock.advance(60_000)
    other.cashier.close_day(_principal(other, "loket.dlh"), ClosingCommand(counter="L01"))
    office = counter.office or ""
    assert other.follower.cached().state.day_closed(office, "L01", "2025-01-01")
    assert not here.follower.cached().state.day_closed(office, "L01", "2025-01-01")
    size = here.store.size()
    clock.advance(60_000)
    with pytest.raises(DayClosedError, match="found its day closed"):
        here.receipts.issue(counter, PARKING, "after-closing")
    assert here.store.size() == size  # nothing logged
    # A retry of the receipt issued before the closing still gets the original.
    again, created = here.receipts.issue(counter, PARKING, "before-closing")
    assert (again.seq, created) == (view.seq, False)


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
def test_race_a_schedule_published_by_another_server_prices_the_next_issue_here(
    here: Services, other: Services, clock: FixedClock
) -> None:
    counter = _principal(here, "loket.dlh")
    old, _ = here.receipts.issue(counter, PARKING, "old-fee")
    assert old.official_fee == 3000
    text = (
        default_schedule_text()
        .replace('id = "bekasi-2024.1"', 'id = "bekasi-2025.1"')
        .replace('effective_from = "2024-01-01T00:00"', 'effective_from = "2025-01-01T06:00"')
        .replace(
            'tariff = { kind = "fixed", amount = 3000 }',
            'tariff = { kind = "fixed", amount = 4000 }',
        )
    )
    other.schedules.publish(parse_toml(text), "admin")
    clock.advance(7 * 3_600_000)  # past 06:00 WIB: the new version is in force
    new, created = here.receipts.issue(counter, PARKING, "new-fee")
    assert created
    assert (new.official_fee, new.charged, new.schedule) == (4000, 4000, "bekasi-2025.1")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_credential_revoked_here_is_refused_at_once(here: Services, settings: Settings) -> None:
    token = here.auth.login("loket.dlh", DEMO_PASSWORDS["loket.dlh"]).token
    principal = here.auth.authenticate(token)
    assert here.auth.cached(token) == principal  # remembered
    here.auth.logout(principal)
    assert here.auth.cached(token) is None
    with pytest.raises(AuthenticationError, match="revoked"):
        here.auth.authenticate(token)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_credential_revoked_by_another_process_is_refused_within_the_cache_time(
    here: Services, other: Services, settings: Settings, clock: FixedClock
) -> None:
    issued = other.staff.issue_token("loket.dlh", "mesin antrian")
    assert here.auth.cached(issued.token) is None
    here.auth.authenticate(issued.token)
    other.staff.revoke_token(issued.credential_id)
    # Remembered here for at most credential_cache_ms after it was checked ...
    assert here.auth.cached(issued.token) is not None
    clock.advance(settings.credential_cache_ms)
    # ... then asked again, and refused.
    assert here.auth.cached(issued.token) is None
    with pytest.raises(AuthenticationError, match="revoked"):
        here.auth.authenticate(issued.token)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_without_a_credential_cache_every_check_asks_the_database(
    settings: Settings, clock: FixedClock, init_report: object, tmp_path: Path
) -> None:
    services = build_services(
        settings.model_copy(update={"credential_cache_ms": 0}),
        clock=clock,
        password_hasher=FAST_HASHER,
    )
    try:
        token = services.auth.login("loket.dlh", DEMO_PASSWORDS["loket.dlh"]).token
        services.auth.authenticate(token)
        assert services.auth.cached(token) is None
    finally:
        services.close()


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
def test_race_a_receipt_issued_while_the_day_is_counted_is_in_the_closing(
    here: Services, other: Services, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The closing reads the day's figures, then appends. A receipt that another server
    issues at the same counter in between must not be left outside the closing: the
    closing sees it in the log, counts again and covers it."""
    counter = _principal(here, "loket.dlh")
    elsewhere = _principal(other, "loket.dlh")
    here.receipts.issue(counter, PARKING, "first")
    counted = readmodels.day_sums
    interleaved: list[int] = []

    def count_then_race(*args: Any, **kwargs: Any) -> readmodels.DaySums:
        sums = counted(*args, **kwargs)
        if not interleaved:  # the other server issues right after the first count
            view, _ = other.receipts.issue(elsewhere, PARKING, "in-between")
            interleaved.append(view.seq)
        return sums

    monkeypatch.setattr(readmodels, "day_sums", count_then_race)
    clock.advance(60_000)
    closing = here.cashier.close_day(counter, ClosingCommand(counter="L01"))
    assert (closing.count, closing.total) == (2, 6000)
    assert closing.last_seq >= interleaved[0]
    assert closing.seq > interleaved[0]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_requests_with_one_credential_check_it_once_when_its_memory_expires(
    here: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = here.auth.login("loket.dlh", DEMO_PASSWORDS["loket.dlh"]).token
    calls: list[str] = []
    checked = here.auth.authenticate

    def counting(credential: str | None) -> Principal:
        calls.append("db")
        return checked(credential)

    monkeypatch.setattr(here.auth, "authenticate", counting)

    async def burst() -> list[Principal]:
        return list(await asyncio.gather(*(here.auth.authenticate_async(token) for _ in range(20))))

    principals = run_async(burst)
    assert calls == ["db"]
    assert {p.username for p in principals} == {"loket.dlh"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_check_overtaken_by_a_revocation_is_not_remembered(
    here: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check that read the credential before a revocation committed answers for its own
    request, but is not trusted for later ones."""
    token = here.auth.login("loket.dlh", DEMO_PASSWORDS["loket.dlh"]).token
    issued = here.staff.issue_token("loket.dlh", "kasir")
    looked_up = staff_store.credential_by_digest

    def revoked_meanwhile(*args: Any) -> Any:
        found = looked_up(*args)
        here.staff.revoke_token(issued.credential_id)  # commits after the read
        return found

    monkeypatch.setattr(staff_store, "credential_by_digest", revoked_meanwhile)
    here.auth.authenticate(token)
    assert here.auth.cached(token) is None
