"""Token-bucket rate limits per API key: in Redis when configured, else in this process.

The Redis bucket is one Lua script (atomic, clock from Redis' ``TIME`` so API
processes on hosts with skewed clocks agree). If Redis is unreachable the limiter
fails open and says so in the log: a broker outage must not turn into an API outage.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Protocol

import redis

log = logging.getLogger("bestofn.security")

_LUA = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local allowed, wait = 0, 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  wait = (cost - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return {allowed, tostring(wait)}
"""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: float = 0.0


class Limiter(Protocol):
    def hit(self, key: str, rate_per_s: float, burst: int) -> Verdict: ...


class RedisLimiter:
    """Buckets shared by every API process through Redis."""

    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._script = self._redis.register_script(_LUA)

    def hit(self, key: str, rate_per_s: float, burst: int) -> Verdict:
        try:
            allowed, wait = self._script(keys=[f"bestofn:rl:{key}"], args=[rate_per_s, burst, 1])
        except redis.RedisError as exc:
            log.warning("rate limiter: Redis unavailable (%s); allowing the request", exc.__class__.__name__)
            return Verdict(True)
        return Verdict(bool(int(allowed)), float(wait))


class LocalLimiter:
    """Buckets in this process (the embedded default has one API process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def hit(self, key: str, rate_per_s: float, burst: int) -> Verdict:
        now = time.monotonic()
        with self._lock:
            tokens, ts = self._buckets.get(key, (float(burst), now))
            tokens = min(float(burst), tokens + (now - ts) * rate_per_s)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return Verdict(True)
            self._buckets[key] = (tokens, now)
            return Verdict(False, (1 - tokens) / rate_per_s)


def make_limiter(redis_url: str) -> Limiter:
    return RedisLimiter(redis_url) if redis_url else LocalLimiter()
