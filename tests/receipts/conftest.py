"""Fixtures of the receipts suite: the published vectors and their trust list."""

from __future__ import annotations

import json
from typing import Any

import pytest

from receipts import TrustList
from receipts.vectors import VECTORS_PATH


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS_PATH.read_bytes())
    return data


@pytest.fixture(scope="session")
def trust_list(vectors: dict[str, Any]) -> TrustList:
    return TrustList.from_json(json.dumps(vectors["trust_list"]).encode())


@pytest.fixture(scope="session")
def check_time_ms(vectors: dict[str, Any]) -> int:
    value: int = vectors["check_time_ms"]
    return value
