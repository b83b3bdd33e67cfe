"""The deployment's holiday list (``BUKTI_HOLIDAYS_FILE``) reaches the live audit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.settings import Settings
from audit.calendar import day_of_text
from tests.api.conftest import TEST_PUBLIC_URL


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    listed = tmp_path / "libur.txt"
    listed.write_text("# libur nasional 2025\n2025-01-01 Tahun Baru\n2025-03-31 Idul Fitri\n")
    return Settings(
        data_dir=tmp_path / "var",
        database_url=db_url,
        public_url=TEST_PUBLIC_URL,
        rate_limit_per_minute=100_000,
        holidays_file=listed,
    )


def test_the_live_audit_uses_the_deployments_holidays(
    client: TestClient, settings: Settings, staff_headers: Callable[[str], dict[str, str]]
) -> None:
    assert settings.holidays == {day_of_text("2025-01-01"), day_of_text("2025-03-31")}
    audit = client.post("/api/v1/audits", json={}, headers=staff_headers("inspektur"))
    assert audit.status_code == 200, audit.text
    assert audit.json()["scope"]["options"]["holidays"] == ["2025-01-01", "2025-03-31"]


def test_a_deployment_with_an_unusable_holiday_list_does_not_start(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("2025-01-01\n2025-01-01 twice\n")
    twice = r"BUKTI_HOLIDAYS_FILE .*line 2: 2025-01-01 is listed twice"
    with pytest.raises(ValidationError, match=twice):
        Settings(data_dir=tmp_path, holidays_file=bad)
    with pytest.raises(ValidationError, match=r"BUKTI_HOLIDAYS_FILE .*No such file"):
        Settings(data_dir=tmp_path, holidays_file=tmp_path / "missing.txt")
    assert Settings(data_dir=tmp_path).holidays == frozenset()
