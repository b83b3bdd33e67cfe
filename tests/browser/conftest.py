"""Browser tests: the app served by uvicorn on a free port, driven by headless Chromium.

Chromium is Debian's (``/usr/bin/chromium``) driven by Playwright; nothing downloads a
browser. Without it these tests are skipped — except under ``CI=true``, where they fail.
A failing test leaves a screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from api.app import create_app
from api.settings import Settings
from tests.web.support import SERVICE_START_MS, SteppingClock, initialize_template

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: A cheap Android phone's viewport.
PHONE: ViewportSize = {"width": 360, "height": 740}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    app: FastAPI
    clock: SteppingClock


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server per test session (per xdist worker) on a temp SQLite data directory."""
    data_dir = tmp_path_factory.mktemp("browser") / "data"
    initialize_template(data_dir)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    clock = SteppingClock(SERVICE_START_MS)
    settings = Settings(data_dir=data_dir, public_url=url, rate_limit_per_minute=100_000)
    app = create_app(settings, clock=clock)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    yield LiveServer(url, app, clock)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is required under CI=true but is not installed")
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    setattr(item, f"report_{report.when}", report)  # read by the page fixture on teardown
    return report


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context (empty storage) with a phone-sized viewport."""
    context = browser.new_context(viewport=PHONE, locale="id-ID")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="session")
def api_token(live_server: LiveServer) -> str:
    """A bearer token of the DLH counter clerk."""
    response = httpx.post(
        f"{live_server.url}/api/v1/auth/login",
        json={"username": "loket.dlh", "password": "demo-loket-2024"},
    )
    response.raise_for_status()
    token: str = response.json()["token"]
    return token
