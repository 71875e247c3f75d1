"""Faults mid-run: a prefork pool child SIGKILLed, Redis restarted without saving, Postgres restarted.

The Redis and the PostgreSQL restarted are the test's own (``private_redis``,
``private_postgres``): the shared services, which another run of the suite may be
using, are never touched. Each test submits tasks whose LLM replies are slow enough that the fault lands
while they run, submits more during the fault where the API can take them, and
ends with ``assert_settled``: every accepted task done or failed with a reason,
none left running, no container left behind.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

from bestofn.testing.fake_llm import Reply
from tests.e2e.conftest import Stack
from tests.pipeline import problems as P
from tests.reliability import faults
from tests.reliability.settle import assert_settled, submit, wait_until

RUNNING = {"generating", "executing", "ranking"}


def body(n: int = 3) -> dict:
    return P.problem(n=n).model_dump(mode="json", exclude_none=True)


def slow_llm(st: Stack, delay_s: float = 1.0) -> None:
    st.fake.add("running_max", Reply(content=P.FAST_OK, delay_s=delay_s), Reply(content=P.WRONG, delay_s=delay_s))


def test_prefork_child_sigkilled_mid_task_is_redelivered(make_stack: Callable[..., Stack]) -> None:
    st = make_stack(workers=1, pool="prefork", concurrency=2)
    slow_llm(st, 1.5)
    statuses: list[int] = []
    ids = [submit(st, body(), statuses) for _ in range(3)]
    assert statuses == [202] * 3
    wait_until(st, ids, {"generating"}, timeout=60, count=2)
    pool = faults.children(st.workers[0].popen.pid)
    assert pool, "no prefork children found"
    for pid in pool:
        os.kill(pid, signal.SIGKILL)
    rows = assert_settled(st, ids, timeout=150)
    assert [r["status"] for r in rows.values()] == ["done"] * 3
    assert max(r["attempts"] for r in rows.values()) >= 2
    assert st.workers[0].popen.poll() is None, "the pool's parent died with its child"


def test_redis_restarted_without_saving_mid_run(private_redis: faults.PrivateRedis,
                                                make_stack: Callable[..., Stack]) -> None:
    st = make_stack(workers=2, redis_url=private_redis.url)
    slow_llm(st, 1.0)
    statuses: list[int] = []
    ids = [submit(st, body(), statuses) for _ in range(4)]
    wait_until(st, ids, RUNNING, timeout=60, count=2)
    try:
        private_redis.stop()
        during = [submit(st, body(), statuses) for _ in range(2)]  # the row is stored; the sweeper enqueues it
        time.sleep(2)
    finally:
        private_redis.start()
    ids += [t for t in during if t]
    assert 0 not in statuses and all(s == 202 for s in statuses), statuses
    ids.append(submit(st, body(), statuses))
    rows = assert_settled(st, ids, timeout=150)
    assert [r["status"] for r in rows.values()] == ["done"] * len(ids)


def test_postgres_restarted_mid_run(private_postgres: faults.PrivatePostgres,
                                    make_stack: Callable[..., Stack]) -> None:
    st = make_stack(workers=2, database_url=private_postgres.url, BESTOFN_TASK_LEASE_S="6")
    slow_llm(st, 1.0)
    statuses: list[int] = []
    ids = [submit(st, body(), statuses) for _ in range(4)]
    wait_until(st, ids, RUNNING, timeout=60, count=2)
    private_postgres.restart()
    during = [submit(st, body(), statuses) for _ in range(2)]
    ids += [t for t in during if t]
    assert all(s in (202, 503) for s in statuses), statuses  # 503 + Retry-After while it restarts, never a 500
    rows = assert_settled(st, ids, timeout=150)
    assert all(r["status"] == "done" or r["reason"] for r in rows.values())
