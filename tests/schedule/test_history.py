"""Version succession: the right version judges each moment; no retroactive change."""

import pytest

from ledger.schedule import (
    Charge,
    DuplicateVersionError,
    NoScheduleInForce,
    PublicationError,
    RetroactiveScheduleError,
    ScheduleHistory,
    VerdictCode,
    check,
    publication_body,
    quote,
)
from tests.schedule.builders import EFFECTIVE_MS, at, fixed, version

V1 = version(fixed(amount=10_000))
V2 = version(fixed(amount=12_000), id="uji-2024.2", effective_from="2024-07-01T00:00")
V2_MS = at("2024-07-01T00:00")
PUBLISHED_1 = at("2023-12-20T09:00")
PUBLISHED_2 = at("2024-06-15T09:00")


def history() -> ScheduleHistory:
    return (
        ScheduleHistory()
        .with_published(PUBLISHED_1, V1, "admin")
        .with_published(PUBLISHED_2, V2, "admin")
    )


def test_in_force_before_at_and_after_a_new_version() -> None:
    h = history()
    assert h.in_force(V2_MS - 1) == V1
    assert h.in_force(V2_MS) == V2
    assert h.in_force(V2_MS + 1) == V2
    assert h.in_force(EFFECTIVE_MS) == V1


def test_charges_are_judged_by_the_version_in_force_at_their_time() -> None:
    h = history()
    before = Charge("UJI-TTP-01", {}, 12_000, V2_MS - 60_000)
    at_change = Charge("UJI-TTP-01", {}, 12_000, V2_MS)
    after = Charge("UJI-TTP-01", {}, 10_000, V2_MS + 86_400_000)
    assert check(h, before).code is VerdictCode.OVERCHARGE  # still Rp10.000 then
    assert check(h, at_change).code is VerdictCode.OK
    assert check(h, at_change).version_id == "uji-2024.2"
    assert check(h, after).code is VerdictCode.UNDERCHARGE
    assert quote(h, "UJI-TTP-01", {}, V2_MS - 1).version_id == "uji-2024.1"


def test_no_schedule_before_the_first_version() -> None:
    with pytest.raises(NoScheduleInForce, match="first is in force from 2024-01-01 00:00 WIB"):
        history().in_force(EFFECTIVE_MS - 1)
    with pytest.raises(NoScheduleInForce, match="no schedule version has been published"):
        ScheduleHistory().in_force(EFFECTIVE_MS)


def test_a_retroactive_publish_is_refused() -> None:
    h = history()
    backdated = version(fixed(amount=1), id="uji-2024.3", effective_from="2024-08-01T00:00")
    now = at("2024-08-02T10:00")
    with pytest.raises(RetroactiveScheduleError, match="at or after its publication"):
        h.check_publish(backdated, now_ms=now, last_entry_at_ms=now - 1)


def test_a_version_effective_before_the_latest_entry_is_refused() -> None:
    h = history()
    doc = version(fixed(amount=1), id="uji-2024.3", effective_from="2024-08-01T00:00")
    latest_charge = at("2024-08-01T00:00")
    with pytest.raises(RetroactiveScheduleError, match="after the latest log entry"):
        h.check_publish(doc, now_ms=at("2024-07-31T00:00"), last_entry_at_ms=latest_charge)


def test_a_version_not_after_the_latest_version_is_refused() -> None:
    h = history()
    same_time = version(fixed(amount=1), id="uji-2024.3", effective_from="2024-07-01T00:00")
    with pytest.raises(RetroactiveScheduleError, match=r"after that of 'uji-2024\.2'"):
        h.check_publish(same_time, now_ms=PUBLISHED_2, last_entry_at_ms=PUBLISHED_2)


def test_a_future_version_is_accepted() -> None:
    h = history()
    doc = version(fixed(amount=1), id="uji-2025.1", effective_from="2025-01-01T00:00")
    now = at("2024-12-01T08:00")
    h.check_publish(doc, now_ms=now, last_entry_at_ms=now - 5)
    assert h.with_published(now, doc, "admin").in_force(at("2025-01-01T00:00")) == doc


def test_a_duplicate_version_id_is_refused() -> None:
    h = history()
    again = version(fixed(amount=99), id="uji-2024.2", effective_from="2025-01-01T00:00")
    with pytest.raises(DuplicateVersionError, match="immutable"):
        h.check_publish(again, now_ms=PUBLISHED_2 + 1, last_entry_at_ms=PUBLISHED_2)


def test_the_first_version_may_name_a_past_effective_date() -> None:
    # The Perda took effect on 2024-01-01; Bukti goes live later. The version governs
    # charges only from its publication entry, never before.
    live = at("2025-03-01T08:00")
    h = ScheduleHistory()
    h.check_publish(V1, now_ms=live, last_entry_at_ms=live - 1000)
    h = h.with_published(live, V1, "admin")
    assert h.in_force(live) == V1
    with pytest.raises(NoScheduleInForce):
        h.in_force(live - 1)


def test_from_entries_rebuilds_the_same_history() -> None:
    entries = [
        (PUBLISHED_1, publication_body(V1, "admin")),
        (PUBLISHED_2, publication_body(V2, "admin.2")),
    ]
    rebuilt = ScheduleHistory.from_entries(entries)
    assert [p.version for p in rebuilt] == [V1, V2]
    assert [(p.entry_at_ms, p.sha256) for p in rebuilt] == [
        (p.entry_at_ms, p.sha256) for p in history()
    ]
    assert rebuilt.latest is not None
    assert rebuilt.latest.publisher == "admin.2"
    assert len(rebuilt) == 2


def test_attack_retroactive_version_injected_into_the_log_is_detected() -> None:
    backdated = version(fixed(amount=1), id="uji-2024.3", effective_from="2024-06-20T00:00")
    entries = [
        (PUBLISHED_1, publication_body(V1, "admin")),
        (PUBLISHED_2, publication_body(V2, "admin")),
        (at("2024-08-01T00:00"), publication_body(backdated, "admin")),
    ]
    with pytest.raises(RetroactiveScheduleError):
        ScheduleHistory.from_entries(entries)


def test_attack_entries_out_of_time_order_are_detected() -> None:
    entries = [
        (PUBLISHED_2, publication_body(V1, "admin")),
        (PUBLISHED_1, publication_body(V2, "admin")),
    ]
    with pytest.raises(PublicationError, match="at or after the previous publication"):
        ScheduleHistory.from_entries(entries)


def test_attack_duplicate_version_in_the_log_is_detected() -> None:
    again = version(fixed(amount=1), effective_from="2024-09-01T00:00")  # id uji-2024.1
    entries = [
        (PUBLISHED_1, publication_body(V1, "admin")),
        (PUBLISHED_2, publication_body(again, "admin")),
    ]
    with pytest.raises(DuplicateVersionError):
        ScheduleHistory.from_entries(entries)
