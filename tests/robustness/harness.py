"""A real Bukti server in a subprocess: temp data dir, ``bukti init``, uvicorn, SIGKILL, restart.

The crash, fault, soak and security suites drive the service the way production runs it:
``bukti init`` and ``bukti serve`` as separate processes (uvicorn on a free port of
127.0.0.1), configured only through ``BUKTI_`` environment variables, killed with
``SIGKILL`` at arbitrary moments and started again on the same data directory and
database. The test process reads the same database directly (a :class:`LogStore` opened
for reading) to check what survived.

PostgreSQL: :func:`fresh_pg_database` creates a database with a random name on the server
named by ``BUKTI_TEST_PG_URL`` and drops it ``WITH (FORCE)`` afterwards;
:func:`pg_server_or_skip` skips when that server is unreachable, unless ``CI=true`` or
``BUKTI_REQUIRE_PG=1`` (then the test fails).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx
import psycopg
import pytest
from sqlalchemy.engine import URL, make_url

from api.services.demo import load_demo
from api.services.keys import KeyFiles
from api.settings import Settings
from ledger.note import NoteVerifier
from ledger.storage import LogStore, create_engine_for
from ledger.verify import LogReport, LogVerifier
from receipts import KeyPurpose, TrustList

__all__ = [
    "PG_URL_DEFAULT",
    "HarnessError",
    "ServerHarness",
    "demo_password",
    "free_port",
    "fresh_pg_database",
    "libpq",
    "pg_required",
    "pg_server_or_skip",
    "soak_mode",
]

PG_URL_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
#: The repository root (the server runs the package installed from it).
REPO_ROOT = Path(__file__).resolve().parents[2]


class HarnessError(RuntimeError):
    """The server process could not be started, or died; the message holds its log tail."""


def soak_mode() -> bool:
    """``BUKTI_SOAK=1`` (``make soak``): the long variants run."""
    return os.environ.get("BUKTI_SOAK") == "1"


def pg_required() -> bool:
    return os.environ.get("BUKTI_REQUIRE_PG") == "1" or os.environ.get("CI", "").lower() == "true"


def libpq(url: URL) -> str:
    """A SQLAlchemy URL as a libpq connection string for psycopg."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def pg_server_or_skip() -> URL:
    """The PostgreSQL server of ``BUKTI_TEST_PG_URL``; skip (or fail in CI) if unreachable."""
    url = make_url(os.environ.get("BUKTI_TEST_PG_URL", PG_URL_DEFAULT))
    try:
        with psycopg.connect(libpq(url), connect_timeout=3, autocommit=True):
            pass
    except psycopg.Error as error:
        if pg_required():
            pytest.fail(f"PostgreSQL is required (BUKTI_REQUIRE_PG/CI) but unreachable: {error}")
        pytest.skip(f"PostgreSQL server unreachable (set BUKTI_TEST_PG_URL): {error}")
    return url


@contextmanager
def fresh_pg_database(server: URL) -> Iterator[str]:
    """A new, empty database on ``server`` for one test; its SQLAlchemy URL. Dropped after."""
    name = f"bukti_robust_{secrets.token_hex(6)}"
    with psycopg.connect(libpq(server), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        with psycopg.connect(libpq(server), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def demo_password(username: str) -> str:
    """The demo password of a demo staff member (``api/data/demo.toml``)."""
    for user in load_demo().staff:
        if user.username == username:
            return user.password
    raise KeyError(f"no demo user {username!r}")


class ServerHarness:
    """One deployment: a data directory, a database, and a server process to kill.

    ``database_url`` ``None`` means the SQLite file in the data directory. ``env`` adds or
    overrides ``BUKTI_`` settings (the rate limit is lifted by default, as load tests come
    from one address). Use as a context manager: the server is stopped on exit.
    """

    def __init__(
        self,
        root: Path,
        *,
        database_url: str | None = None,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        data_dir: Path | None = None,
    ) -> None:
        self.root = root
        self.data_dir = data_dir or root / "var"
        self.database_url = database_url
        self.port = port or free_port()
        self.log_path = root / "server.log"
        self.starts = 0
        self.kills = 0
        self._extra = dict(env or {})
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    # -- configuration --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def public_url(self) -> str:
        return self._extra.get("BUKTI_PUBLIC_URL", self.base_url)

    @property
    def env(self) -> dict[str, str]:
        """The server's environment: this process's, minus any ``BUKTI_`` setting, plus ours."""
        out = {k: v for k, v in os.environ.items() if not k.startswith("BUKTI_")}
        out.update(
            {
                "BUKTI_DATA_DIR": str(self.data_dir),
                "BUKTI_PUBLIC_URL": self.base_url,
                "BUKTI_RATE_LIMIT_PER_MINUTE": "1000000",
                "BUKTI_SESSION_TIMEOUT_MINUTES": "1440",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.database_url is not None:
            out["BUKTI_DATABASE_URL"] = self.database_url
        out.update(self._extra)
        return out

    def settings(self) -> Settings:
        """The same settings as the server's, for reading its database in this process."""
        return Settings(data_dir=self.data_dir, database_url=self.database_url)

    # -- commands -------------------------------------------------------------------------

    def bukti(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a ``bukti`` command with the deployment's environment."""
        return subprocess.run(
            [sys.executable, "-m", "api.cli", *args],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def init(self) -> str:
        """``bukti init``; its standard output (raises with stderr when it fails)."""
        self.root.mkdir(parents=True, exist_ok=True)
        done = self.bukti("init")
        if done.returncode != 0:
            raise HarnessError(f"bukti init failed ({done.returncode}):\n{done.stderr}")
        return done.stdout

    # -- the server process ---------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self, timeout: float = 60) -> None:
        """Start ``bukti serve`` and wait until ``/healthz`` answers 200."""
        if self.running:
            raise HarnessError("the server is already running")
        self.root.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "api.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=self.env,
            cwd=self.root,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.starts += 1
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.base_url, timeout=2) as client:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    raise HarnessError(
                        f"the server exited with {self._process.returncode}:\n{self.log_tail()}"
                    )
                try:
                    if client.get("/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        self.kill()
        raise HarnessError(f"the server did not become healthy in {timeout} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """``SIGKILL`` the server: no shutdown handler, no flush, no goodbye."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            self.kills += 1
        process.wait(timeout=30)
        self._close_log()

    def stop(self) -> None:
        """Stop the server gracefully (``SIGTERM``), killing it if it does not exit."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
        self._close_log()

    def restart(self, timeout: float = 60) -> None:
        """Kill (if running) and start again on the same data directory and database."""
        self.kill()
        self.start(timeout)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
        self._process = None

    def log_text(self) -> str:
        return (
            self.log_path.read_text(encoding="utf-8", errors="replace")
            if self.log_path.exists()
            else ""
        )

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def __enter__(self) -> ServerHarness:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- clients --------------------------------------------------------------------------

    def client(self, timeout: float = 30) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=timeout)

    def login(self, username: str, password: str | None = None) -> str:
        """A bearer token of a fresh session of ``username`` (a demo user by default)."""
        with self.client() as client:
            response = client.post(
                "/api/v1/auth/login",
                json={"username": username, "password": password or demo_password(username)},
            )
        if response.status_code != 200:
            raise HarnessError(
                f"login of {username} failed: {response.status_code} {response.text}"
            )
        token: str = response.json()["token"]
        return token

    # -- reading what the server wrote ------------------------------------------------------

    def trust_list(self) -> TrustList:
        """The trust list ``bukti init`` wrote into the data directory."""
        return TrustList.from_json((self.data_dir / "keys.json").read_bytes())

    def log_verifier(self) -> NoteVerifier:
        """The log key's verifier, from the trust list (the trust anchor of every check)."""
        keys = [r for r in self.trust_list().records if r.purpose is KeyPurpose.LOG]
        if len(keys) != 1 or keys[0].verifier_key is None:
            raise HarnessError(f"expected one log key in the trust list, found {len(keys)}")
        return NoteVerifier.from_string(keys[0].verifier_key)

    @contextmanager
    def log_store(self) -> Iterator[LogStore]:
        """The deployment's log, opened in this process for reading."""
        settings = self.settings()
        signer = KeyFiles(settings.keys_dir, settings.key_passphrase).log_signer(
            settings.log_key_name or settings.origin
        )
        engine = create_engine_for(settings.resolved_database_url)
        store = LogStore(engine, signer=signer, origin=settings.origin)
        try:
            yield store
        finally:
            store.close()
            engine.dispose()

    def verify_log(self) -> LogReport:
        """Verify the log as of now against its signed checkpoints; raises ChainError.

        The server may still be appending: the log is read up to the size it has when the
        check starts, with the checkpoints up to that size (an append commits its entries
        and their checkpoint together, so that size always has one).
        """
        with self.log_store() as store:
            size = store.size()
            checker = LogVerifier(store.origin, [self.log_verifier()])
            checker.expect_checkpoints(
                c.note for c in store.checkpoints() if c.checkpoint.size <= size
            )
            for entry in store.entries(0, size):
                checker.add_entry(entry.seq, entry.data)
            return checker.finish()
