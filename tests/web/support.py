"""Shared helpers of the page tests: an initialised data directory, a stepping clock."""

from __future__ import annotations

import random
import shutil
import threading
from pathlib import Path

from api.services.bootstrap import initialize
from api.settings import Settings
from tests.conftest import FIXED_START_MS

#: Demo staff created by ``bukti init`` (api/data/demo.toml).
COUNTER_USER = ("loket.dlh", "demo-loket-2024")
SUPERVISOR_USER = ("spv.dlh", "demo-penyelia-2024")
INSPECTOR_USER = ("inspektur", "demo-inspektur-2024")
DLH = "32.16.20-DLH"
#: The pages' clock starts a day after ``bukti init`` ran: 2025-01-02 08:00 WIB.
SERVICE_START_MS = FIXED_START_MS + 32 * 3_600_000


class SteppingClock:
    """A deterministic clock: starts at a fixed time and moves 10 ms on every reading."""

    def __init__(self, start_ms: int = FIXED_START_MS, step_ms: int = 10) -> None:
        self._now = start_ms
        self._step = step_ms
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            self._now += self._step
            return self._now

    def advance(self, ms: int) -> None:
        with self._lock:
            self._now += ms


def seeded_random(label: str) -> random.Random:
    return random.Random(label)


def initialize_template(directory: Path) -> None:
    """``bukti init`` into ``directory`` with fixed randomness and a fixed clock."""
    rng = seeded_random("bukti web tests")
    settings = Settings(data_dir=directory)
    initialize(settings, clock=SteppingClock(), random_bytes=rng.randbytes)


def copy_data_dir(template: Path, target: Path) -> Path:
    shutil.copytree(template, target)
    return target
