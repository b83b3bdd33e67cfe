"""The HTTP API fuzzed from its own OpenAPI document (schemathesis), with and without staff tokens.

Every operation of ``/openapi.json`` is called with generated requests — valid ones and
schema-violating ones — each sent with no credential or with the bearer token of one of the
demo roles (admin, counter, supervisor, treasurer, inspector). Checks on every response:

- no 5xx, ever;
- the response conforms to the documented schema and status codes of its operation;
- every error (4xx) is RFC 9457 ``application/problem+json``;
- the security headers are on every response.

The app runs in-process on a fresh SQLite deployment with the rate limit lifted (the
rate limit has its own test). CI: a few examples per operation; ``BUKTI_SOAK=1``: many.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.security import install_security
from api.services.bootstrap import initialize
from api.settings import Settings
from tests.conftest import FixedClock
from tests.robustness.checks import summary
from tests.robustness.harness import demo_password, soak_mode

EXAMPLES = 200 if soak_mode() else 6
ROLES = ("admin", "loket.dlh", "spv.dlh", "bendahara.dlh", "inspektur")
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, list[str]]]:
    root: Path = tmp_path_factory.mktemp("fuzz-api")
    clock = FixedClock()
    settings = Settings(
        data_dir=root / "var",
        database_url=f"sqlite:///{root / 'bukti.sqlite3'}",
        public_url="https://bukti.test",
        rate_limit_per_minute=10_000_000,
        session_timeout_minutes=24 * 60,
        login_max_failures=1_000_000,
    )
    initialize(settings, clock=clock, password_hasher=FAST_HASHER)
    app = create_app(settings, clock=clock)
    install_security(app, settings)
    tokens: list[str] = []
    with TestClient(app) as client:
        for username in ROLES:
            response = client.post(
                "/api/v1/auth/login",
                json={"username": username, "password": demo_password(username)},
            )
            assert response.status_code == 200, response.text
            tokens.append(response.json()["token"])
        yield app, tokens


def test_fuzz_every_operation_no_5xx_schema_conformant_problem_json(
    fuzz_app: tuple[FastAPI, list[str]],
) -> None:
    app, tokens = fuzz_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    statuses: Counter[int] = Counter()
    operations = 0
    failures: list[str] = []
    checks = [
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
        content_type_conformance,
    ]
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        if operation.path in ("/api/v1/auth/logout",):
            continue  # would end the shared sessions the other examples use
        operations += 1
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=not soak_mode(),
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=strategy, credential=st.sampled_from([None, *tokens]))
        def run(case: schemathesis.Case[Any], credential: str | None) -> None:
            headers = {"Authorization": f"Bearer {credential}"} if credential else {}
            if "Idempotency-Key" not in (case.headers or {}):
                headers["Idempotency-Key"] = "fuzz"
            response = case.call_and_validate(headers=headers, checks=checks)
            statuses[response.status_code] += 1
            assert response.status_code < 500
            if response.status_code >= 400:
                assert response.headers["content-type"][0].startswith("application/problem+json"), (
                    case.method,
                    case.path,
                    response.status_code,
                )
            assert response.headers["x-content-type-options"] == ["nosniff"]
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"][0]

        try:
            run()
        except (
            Exception,
            BaseExceptionGroup,
        ) as failure:  # collected: one report of every failing operation
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}"[:1500])
    requests = sum(statuses.values())
    print(
        summary(
            {
                "operations": operations,
                "requests_fuzzed": requests,
                **{str(k): v for k, v in sorted(statuses.items())},
            }
        )
    )
    assert operations >= 20
    assert not failures, "\n\n".join(failures)
    assert not [s for s in statuses if s >= 500]
