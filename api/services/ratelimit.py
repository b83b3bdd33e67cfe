"""An in-process token bucket per client address, for the public endpoints.

Pure apart from its own memory: the caller passes the time. Each address holds up to
``burst`` tokens, refilled at ``rate_per_minute``; a request takes one token or is
refused with the number of whole seconds until one is available.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

__all__ = ["TokenBucketLimiter"]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated_ms: int


class TokenBucketLimiter:
    """Per-key token buckets; :meth:`take` returns 0 when allowed, else seconds to wait."""

    def __init__(self, rate_per_minute: int, burst: int | None = None, max_keys: int = 50_000):
        if rate_per_minute < 1:
            raise ValueError(f"expected a rate of at least 1 per minute, found {rate_per_minute}")
        self._rate_per_ms = rate_per_minute / 60_000.0
        self._burst = float(burst if burst is not None else rate_per_minute)
        self._max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str, now_ms: int) -> int:
        """Take one token for ``key`` at ``now_ms``; 0 if allowed, else seconds to wait."""
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self._max_keys:
                    self._evict_full(now_ms)
                bucket = _Bucket(self._burst, now_ms)
                self._buckets[key] = bucket
            elapsed = max(0, now_ms - bucket.updated_ms)
            bucket.tokens = min(self._burst, bucket.tokens + elapsed * self._rate_per_ms)
            bucket.updated_ms = now_ms
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0
            missing = 1.0 - bucket.tokens
            return max(1, math.ceil(missing / self._rate_per_ms / 1000.0))

    def _evict_full(self, now_ms: int) -> None:
        """Forget buckets that have refilled completely (they hold no information)."""
        for key in [k for k, b in self._buckets.items() if self._refilled(b, now_ms)]:
            del self._buckets[key]
        if len(self._buckets) >= self._max_keys:
            self._buckets.clear()

    def _refilled(self, bucket: _Bucket, now_ms: int) -> bool:
        elapsed = max(0, now_ms - bucket.updated_ms)
        return bucket.tokens + elapsed * self._rate_per_ms >= self._burst
