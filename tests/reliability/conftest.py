"""Fixtures for the reliability suite: hostile inputs, faults, load.

Everything runs against the real services (scripts/test.sh starts them). A fault
test breaks only a private Redis, PostgreSQL or dockerd that its fixture starts
(``private_redis``, ``private_postgres``, ``private_dockerd``, see faults.py) and
removes afterwards, so another run of the suite sharing this machine's services
is never disturbed.
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
from tests.reliability import faults

SESSION = f"pytest-reliability-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def sandbox_labels() -> dict[str, str]:
    """Labels that mark a sandbox container as this session's."""
    return {"task": SESSION}


@pytest.fixture
def private_redis() -> Iterator[faults.PrivateRedis]:
    """A Redis of this test's own (127.0.0.1, free port, no persistence), stopped and removed afterwards."""
    server = faults.PrivateRedis(faults.private_dir("bon-redis-"))
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def private_postgres() -> Iterator[faults.PrivatePostgres]:
    """A PostgreSQL cluster of this test's own, migrated; stopped and its data dir removed afterwards."""
    from bestofn.migrate import migrate

    server = faults.PrivatePostgres(faults.private_dir("bon-pg-"))
    try:
        server.start()
        migrate(server.url)
        yield server
    finally:
        get_engine.cache_clear()
        server.close()


@pytest.fixture
def private_dockerd() -> Iterator[faults.PrivateDockerd]:
    """A dockerd of this test's own (own data/exec roots and socket) holding the sandbox image.

    Teardown removes its containers, stops it, kills its containerd and shims and
    removes its dirs, even when the test failed; nothing it ran is on the shared engine.
    """
    from sandbox.build import image_tag

    engine = faults.PrivateDockerd(faults.private_dir("bon-d-"))
    try:
        engine.start()
        engine.load_image(image_tag(get_settings().sandbox_config()))
        yield engine
    finally:
        engine.close()


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
    keep fault recovery within seconds. ``database_url`` (a migrated database: another
    role, or a private PostgreSQL's), ``redis_url`` and ``docker_host`` (a private Redis's URL,
    a private dockerd's socket) replace the defaults: a fresh database on the shared server,
    the shared Redis, the default engine.
    """
    stacks: list[Stack] = []
    shared_db, shared_redis = pg_url, redis_url

    def build(workers: int = 1, pool: str = "threads", concurrency: int = 2, database_url: str | None = None,
              redis_url: str | None = None, docker_host: str | None = None, **overrides: str) -> Stack:
        queue = f"bestofn-rel-{uuid.uuid4().hex[:8]}"
        env = child_env(**{
            "BESTOFN_CELERY_QUEUE": queue,
            "BESTOFN_DATABASE_URL": database_url or shared_db,
            "BESTOFN_REDIS_URL": redis_url or shared_redis,
            **({"BESTOFN_DOCKER_HOST": docker_host} if docker_host else {}),
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
