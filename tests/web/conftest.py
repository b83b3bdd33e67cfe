"""Fixtures of the page tests: an app on a copy of an initialised data directory."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from tests.web.support import SERVICE_START_MS, SteppingClock, copy_data_dir, initialize_template

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="session")
def web_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("web-template") / "data"
    initialize_template(directory)
    return directory


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock(SERVICE_START_MS)


@pytest.fixture
def web_settings(tmp_path: Path, web_template: Path) -> Settings:
    data_dir = copy_data_dir(web_template, tmp_path / "data")
    return Settings(data_dir=data_dir, public_url="http://testserver")


@pytest.fixture
def app(web_settings: Settings, clock: SteppingClock) -> FastAPI:
    return create_app(web_settings, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def public_client(
    tmp_path_factory: pytest.TempPathFactory, web_template: Path
) -> Iterator[TestClient]:
    """One app per module for tests that only read; the client's cookies are cleared."""
    data_dir = copy_data_dir(web_template, tmp_path_factory.mktemp("public") / "data")
    settings = Settings(data_dir=data_dir, public_url="http://testserver")
    with TestClient(create_app(settings, clock=SteppingClock(SERVICE_START_MS))) as test_client:
        yield test_client


@pytest.fixture
def reader(public_client: TestClient) -> TestClient:
    public_client.cookies.clear()
    return public_client


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, user: tuple[str, str], next_page: str = "/loket") -> None:
    """Sign in through the page form (as a browser does)."""
    page = client.get("/loket")
    response = client.post(
        "/loket/masuk",
        data={
            "csrf": csrf_of(page.text),
            "username": user[0],
            "password": user[1],
            "next": next_page,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
