"""A real stack per test: uvicorn API + Celery worker processes, Postgres, Redis, the scripted LLM."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine

from bestofn.security.keys import create_key

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
    http: httpx.Client
    token: str
    extra: dict[str, Any] = field(default_factory=dict)

    def submit(self, body: dict[str, Any]) -> str:
        r = self.http.post("/v1/tasks", json=body)
        assert r.status_code == 202, r.text
        return r.json()["id"]

    def wait(self, task_id: str, timeout: float = 120, until: set[str] | None = None) -> dict[str, Any]:
        until = until or {"done", "failed", "cancelled"}
        deadline = time.monotonic() + timeout
        while True:
            view = self.http.get(f"/v1/tasks/{task_id}").json()
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


@contextmanager
def running_stack(pg_url: str, redis_url: str, fake_llm: FakeLLM, tmp_path: Path, **env: str) -> Iterator[Stack]:
    """The API and one worker on a fresh queue, with ``env`` overrides (tests/ui require API keys this way)."""
    queue = f"bestofn-test-{uuid.uuid4().hex[:8]}"  # isolates concurrent stacks on one Redis
    child = child_env(
        BESTOFN_CELERY_QUEUE=queue,
        BESTOFN_DATABASE_URL=pg_url,
        BESTOFN_REDIS_URL=redis_url,
        OPENAI_BASE_URL=fake_llm.base_url,
        OPENAI_API_KEY="sk-test-never-leaks",
        BESTOFN_BROKER_VISIBILITY_TIMEOUT_S="6",
        BESTOFN_TASK_LEASE_S="4",
        BESTOFN_LLM_MAX_RETRIES="0",
        **env,
    )
    engine = create_engine(pg_url)
    token = create_key(engine, "e2e").token
    engine.dispose()
    api, url = start_api(child, tmp_path / "api.log")
    http = httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"})
    st = Stack(url=url, env=child, api=api, workers=[], logs=tmp_path, fake=fake_llm, http=http, token=token)
    st.add_worker("w1")
    try:
        yield st
    finally:
        for w in st.workers:
            w.stop()
        api.stop()
        http.close()


@pytest.fixture
def stack(pg_url: str, redis_url: str, fake_llm: FakeLLM, tmp_path: Path) -> Iterator[Stack]:
    with running_stack(pg_url, redis_url, fake_llm, tmp_path) as st:
        yield st
