"""Drive a stack through a fault and check the one outcome every fault test must end with.

Every accepted task ends done, or failed/cancelled with a reason; none is left in
a running state; no sandbox container of those tasks is left on the engine.
"""

from __future__ import annotations

import time
from typing import Any

import docker
import httpx
from sqlalchemy import create_engine, text

from bestofn.models import TERMINAL_STATUSES
from tests.e2e.conftest import Stack


def request(stack: Stack, method: str, path: str, **kw: Any) -> httpx.Response | None:
    """One API call that tolerates the fault itself (connection errors): None instead of raising."""
    try:
        return stack.http.request(method, path, **kw)
    except httpx.HTTPError:
        return None


def submit(stack: Stack, body: dict[str, Any], statuses: list[int]) -> str | None:
    """Submit, recording the status code; the id when accepted."""
    r = request(stack, "POST", "/v1/tasks", json=body)
    statuses.append(r.status_code if r is not None else 0)
    return r.json()["id"] if r is not None and r.status_code == 202 else None


def wait_until(stack: Stack, task_ids: list[str], statuses: set[str], timeout: float, count: int | None = None) -> None:
    """Until ``count`` (default all) of the tasks are in one of ``statuses``."""
    need = len(task_ids) if count is None else count
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = 0
        for tid in task_ids:
            r = request(stack, "GET", f"/v1/tasks/{tid}")
            seen += r is not None and r.status_code == 200 and r.json()["status"] in statuses
        if seen >= need:
            return
        time.sleep(0.3)
    tails = "\n".join(w.tail(30) for w in stack.workers)
    raise AssertionError(f"fewer than {need} of {len(task_ids)} tasks reached {statuses} in {timeout}s\n{tails}")


def assert_settled(stack: Stack, task_ids: list[str], timeout: float = 120,
                   containers_wait_s: float = 60) -> dict[str, dict[str, Any]]:
    """Wait for every task to end, then check rows and the engine; returns the rows by id.

    Containers get ``containers_wait_s`` to go: the workers' sweeper reaps what a
    fault left behind (exited ones after a short grace, others at their deadline).
    """
    wait_until(stack, task_ids, set(TERMINAL_STATUSES), timeout)
    engine = create_engine(stack.env["BESTOFN_DATABASE_URL"])
    with engine.connect() as c:
        rows = {r.id: dict(r._mapping) for r in c.execute(
            text("select id, status, reason, attempts from task where id = any(:ids)"), {"ids": task_ids})}
        running = c.execute(text("select count(*) from task where status in ('generating','executing','ranking')")).scalar()
    engine.dispose()
    assert set(rows) == set(task_ids)
    for tid, row in rows.items():
        assert row["status"] in TERMINAL_STATUSES, row
        if row["status"] != "done":
            assert row["reason"], row
    assert running == 0
    left = _containers(task_ids, stack.env.get("BESTOFN_DOCKER_HOST", ""), wait_s=containers_wait_s)
    assert not left, f"containers left behind: {left}"
    return rows


def _containers(task_ids: list[str], docker_host: str, wait_s: float) -> dict[str, list[str]]:
    """Containers still labelled with these tasks after up to ``wait_s`` seconds, on the stack's engine."""
    client = docker.DockerClient(base_url=docker_host) if docker_host else docker.from_env()
    deadline = time.monotonic() + wait_s
    try:
        while True:
            left = {tid: [c.short_id for c in client.containers.list(all=True, sparse=True, filters={"label": f"bestofn.task={tid}"})]
                    for tid in task_ids}
            left = {tid: ids for tid, ids in left.items() if ids}
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(1)
    finally:
        client.close()
