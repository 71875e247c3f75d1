"""Which task ids have a message at the Redis broker (waiting, or delivered but not acked).

The sweeper needs this to tell a queued task that is merely waiting its turn
from one whose message was lost (Redis restarted without persistence, or the
API could not reach Redis at submission). It reads kombu's Redis layout: one
list per queue and priority step, and the ``unacked`` hash of delivered messages.
"""

from __future__ import annotations

import json
from typing import Any

import redis
from kombu.transport.redis import PRIORITY_STEPS, Channel


def _task_id(message: dict[str, Any]) -> str | None:
    headers = message.get("headers") or {}
    return headers.get("id") or (message.get("properties") or {}).get("correlation_id")


def broker_task_ids(redis_url: str, queue: str) -> set[str]:
    """Ids of every task message in ``queue`` or unacknowledged; raises ``redis.RedisError`` when Redis is down."""
    client = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=2)
    try:
        keys = [queue] + [f"{queue}{Channel.sep}{step}" for step in PRIORITY_STEPS if step]
        ids: set[str] = set()
        for key in keys:
            for raw in client.lrange(key, 0, -1):
                ids.add(_task_id(json.loads(raw)) or "")
        for raw in client.hvals(Channel.unacked_key):
            ids.add(_task_id(json.loads(raw)[0]) or "")
        ids.discard("")
        return ids
    finally:
        client.close()
