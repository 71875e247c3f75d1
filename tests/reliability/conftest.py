"""Fixtures for the reliability suite: hostile inputs, faults, load.

Everything runs against the real services (scripts/test.sh starts them). The
test that restarts dockerd is moved to the end of the session so nothing else
runs against a restarting engine.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from api.main import create_app
from bestofn.db import get_engine
from bestofn.security.keys import create_key
from bestofn.settings import Settings, get_settings
from bestofn.testing.fake_llm import FakeLLM
from bestofn.testing.procs import child_env, start_api
from tests.e2e.conftest import Stack

SESSION = f"pytest-reliability-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def sandbox_labels() -> dict[str, str]:
    """Labels that mark a sandbox container as this session's."""
    return {"task": SESSION}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "restarts_dockerd: stops and restarts the shared Docker engine (runs last)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Engine-restarting tests last: other tests must not meet a restarting dockerd."""
    items.sort(key=lambda item: item.get_closest_marker("restarts_dockerd") is not None)


@pytest.fixture
def api_client(pg_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., TestClient]]:
    """Build the real app in-process on a fresh database with chosen settings: ``api_client(require_api_key=True)``.

    Tasks it accepts are enqueued at the real Redis with no worker; that queue is
    deleted afterwards so no later worker picks them up.
    """
    monkeypatch.setenv("BESTOFN_DATABASE_URL", pg_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    clients: list[TestClient] = []

    def build(**overrides: Any) -> TestClient:
        client = TestClient(create_app(Settings(**overrides)), raise_server_exceptions=False)
        clients.append(client)
        return client

    try:
        yield build
    finally:
        for client in clients:
            client.close()
        redis.Redis.from_url(redis_url).delete(get_settings().celery_queue)  # only this app's messages
        get_settings.cache_clear()
        get_engine.cache_clear()


@pytest.fixture
def make_stack(pg_url: str, redis_url: str, fake_llm: FakeLLM, tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    """Real API + worker processes with keys on and a fast sweeper; ``make_stack(workers=2, pool="prefork", **env)``.

    Leases of 4 s, a sweep every second and queued tasks re-enqueued after 3 s
    keep fault recovery within seconds; ``database_url`` may name another role.
    """
    stacks: list[Stack] = []

    def build(workers: int = 1, pool: str = "threads", concurrency: int = 2, database_url: str | None = None,
              **overrides: str) -> Stack:
        queue = f"bestofn-rel-{uuid.uuid4().hex[:8]}"
        env = child_env(**{
            "BESTOFN_CELERY_QUEUE": queue,
            "BESTOFN_DATABASE_URL": database_url or pg_url,
            "BESTOFN_REDIS_URL": redis_url,
            "OPENAI_BASE_URL": fake_llm.base_url,
            "OPENAI_API_KEY": "sk-reliability-never-leaks",
            "BESTOFN_REQUIRE_API_KEY": "true",
            "BESTOFN_API_RATE_PER_S": "0",
            "BESTOFN_API_MAX_ACTIVE_TASKS": "0",
            "BESTOFN_BROKER_VISIBILITY_TIMEOUT_S": "8",
            "BESTOFN_TASK_LEASE_S": "4",
            "BESTOFN_SWEEP_INTERVAL_S": "1",
            "BESTOFN_SWEEP_QUEUED_AFTER_S": "3",
            "BESTOFN_LLM_MAX_RETRIES": "0",
            **overrides,
        })
        engine = create_engine(env["BESTOFN_DATABASE_URL"])
        token = create_key(engine, "reliability").token
        engine.dispose()
        logs = tmp_path / f"stack{len(stacks)}"
        logs.mkdir()
        api, url = start_api(env, logs / "api.log")
        http = httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"})
        st = Stack(url=url, env=env, api=api, workers=[], logs=logs, fake=fake_llm, http=http, token=token)
        stacks.append(st)
        for i in range(workers):
            st.add_worker(f"w{i + 1}", pool=pool, concurrency=concurrency)
        return st

    try:
        yield build
    finally:
        for st in stacks:
            for w in st.workers:
                w.stop()
            st.api.stop()
            st.http.close()
