"""No receipt at a counter whose business day (WIB date) is closed: 409 ``day-closed``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.services.config_state import ConfigState
from ledger.encoding import Entry
from tests.api.conftest import login
from tests.conftest import FixedClock

Headers = Callable[[str], dict[str, str]]

DAY_MS = 24 * 3_600_000


def _issue(client: TestClient, headers: dict[str, str], key: str, counter: str = "L01") -> Any:
    return client.post(
        "/api/v1/receipts",
        json={"counter": counter, "service": "RJU-PKR-02"},
        headers={**headers, "Idempotency-Key": key},
    )


def _close(client: TestClient, headers: dict[str, str], counter: str = "L01") -> Any:
    return client.post("/api/v1/closings", json={"counter": counter}, headers=headers)


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
def test_issuing_after_the_days_closing_is_refused_and_not_logged(
    client: TestClient, app: FastAPI, staff_headers: Headers, clock: FixedClock
) -> None:
    counter = staff_headers("loket.dlh")
    assert _issue(client, counter, "before").status_code == 201
    closing = _close(client, counter)
    assert closing.status_code == 201, closing.text
    size = app.state.services.store.size()
    clock.advance(60_000)
    refused = _issue(client, counter, "after")
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"].endswith("/day-closed")
    assert problem["detail"].startswith("Buku loket L01 untuk tanggal 2025-01-01 sudah ditutup")
    assert "found its day closed" in problem["detail_en"]
    assert (problem["counter"], problem["date"]) == ("L01", "2025-01-01")
    assert app.state.services.store.size() == size  # nothing logged, not even a refusal


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_retry_of_a_receipt_issued_before_the_closing_gets_the_original(
    client: TestClient, staff_headers: Headers, clock: FixedClock
) -> None:
    counter = staff_headers("loket.dlh")
    first = _issue(client, counter, "retried")
    assert first.status_code == 201
    assert _close(client, counter).status_code == 201
    clock.advance(1_000)
    again = _issue(client, counter, "retried")
    assert again.status_code == 200, again.text
    assert again.json()["seq"] == first.json()["seq"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_other_counters_and_the_next_day_stay_open(
    client: TestClient, staff_headers: Headers, clock: FixedClock
) -> None:
    counter = staff_headers("loket.dlh")
    assert _close(client, counter, "L01").status_code == 201
    assert _issue(client, counter, "l02", counter="L02").status_code == 201
    clock.advance(DAY_MS)
    assert _issue(client, login(client, "loket.dlh"), "tomorrow").status_code == 201


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_day_is_the_wib_date_not_the_utc_date(
    client: TestClient, staff_headers: Headers, clock: FixedClock
) -> None:
    # The fixed clock starts at 2025-01-01 00:00 WIB; 23:59 WIB is still the closed day,
    # although the UTC date turned at 07:00 WIB.
    counter = staff_headers("loket.dlh")
    assert _close(client, counter).status_code == 201
    clock.advance(DAY_MS - 60_000)
    assert _issue(client, counter, "late-evening").status_code == 409
    clock.advance(60_000)
    assert _issue(client, counter, "midnight").status_code == 201


def _closing(seq: int, counter: str, date: str) -> Entry:
    body = {"office": "32.16.20-DLH", "counter": counter, "date": date}
    return Entry(seq, "day.closed", 1_735_664_400_000 + seq, b"\0" * 32, body)


def test_config_state_keeps_the_latest_closed_date_per_counter() -> None:
    state = ConfigState()
    for seq, (counter, date) in enumerate(
        [("L01", "2025-01-02"), ("L01", "2025-01-01"), ("L02", "2024-12-31")]
    ):
        state = state.apply(_closing(seq, counter, date))
    # A late closing of an earlier day does not reopen the later one.
    assert state.day_closed("32.16.20-DLH", "L01", "2025-01-02")
    assert not state.day_closed("32.16.20-DLH", "L01", "2025-01-03")
    # Closing a forgotten past day does not close today.
    assert state.day_closed("32.16.20-DLH", "L02", "2024-12-31")
    assert not state.day_closed("32.16.20-DLH", "L02", "2025-01-02")
    assert not state.day_closed("32.16.20-DUKCAPIL", "L01", "2025-01-02")
