"""A real stack per test: uvicorn API + Celery worker processes, Postgres, Redis, the scripted LLM."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from bestofn.testing.fake_llm import FakeLLM
from bestofn.testing.procs import Proc, child_env, start_api, start_worker


@dataclass
class Stack:
    url: str
    env: dict[str, str]
    api: Proc
    workers: list[Proc]
    logs: Path
    fake: FakeLLM
    extra: dict[str, Any] = field(default_factory=dict)

    def submit(self, body: dict[str, Any]) -> str:
        r = httpx.post(f"{self.url}/v1/tasks", json=body, timeout=30)
        assert r.status_code == 202, r.text
        return r.json()["id"]

    def wait(self, task_id: str, timeout: float = 120, until: set[str] | None = None) -> dict[str, Any]:
        until = until or {"done", "failed", "cancelled"}
        deadline = time.monotonic() + timeout
        while True:
            view = httpx.get(f"{self.url}/v1/tasks/{task_id}", timeout=30).json()
            if view["status"] in until:
                return view
            if time.monotonic() > deadline:
                logs = "\n".join(w.tail() for w in self.workers)
                raise AssertionError(f"task {task_id} still {view['status']} after {timeout}s\n{logs}")
            time.sleep(0.3)

    def add_worker(self, name: str, **kw: Any) -> Proc:
        w = start_worker(self.env, self.logs / f"{name}.log", name=name, **kw)
        self.workers.append(w)
        return w


@pytest.fixture
def stack(pg_url: str, redis_url: str, fake_llm: FakeLLM, tmp_path: Path) -> Iterator[Stack]:
    redis.Redis.from_url(redis_url).flushdb()
    env = child_env(
        BESTOFN_DATABASE_URL=pg_url,
        BESTOFN_REDIS_URL=redis_url,
        OPENAI_BASE_URL=fake_llm.base_url,
        OPENAI_API_KEY="sk-test-never-leaks",
        BESTOFN_BROKER_VISIBILITY_TIMEOUT_S="6",
        BESTOFN_TASK_LEASE_S="4",
        BESTOFN_LLM_MAX_RETRIES="0",
    )
    api, url = start_api(env, tmp_path / "api.log")
    st = Stack(url=url, env=env, api=api, workers=[], logs=tmp_path, fake=fake_llm)
    st.add_worker("w1")
    try:
        yield st
    finally:
        for w in st.workers:
            w.stop()
        api.stop()
