"""Shared fixtures: real services only (Postgres, Redis, Docker, a real HTTP LLM server).

scripts/test.sh starts the services and sets BESTOFN_DATABASE_URL / BESTOFN_REDIS_URL;
a test that needs one and finds it unset fails loudly rather than skipping.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bestofn.settings import get_settings
from bestofn.testing.fake_llm import FakeLLM


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """The project's scripted OpenAI-compatible server on 127.0.0.1, fresh per test."""
    with FakeLLM() as server:
        yield server


def _server_url() -> str:
    url = get_settings().database_url
    if not url.startswith("postgresql"):
        pytest.fail("BESTOFN_DATABASE_URL must point at PostgreSQL: run the tests through scripts/test.sh")
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test, dropped afterwards."""
    from bestofn.db import migrate

    base = make_url(_server_url())
    name = f"bestofn_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        from bestofn.db import get_engine

        get_engine.cache_clear()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def redis_url() -> str:
    url = get_settings().redis_url
    if not url:
        pytest.fail("BESTOFN_REDIS_URL must be set: run the tests through scripts/test.sh")
    return url


_SESSION_START = time.time()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """No sandbox container created during the suite may outlive it."""
    try:
        import docker

        client = docker.from_env()
        left = client.containers.list(all=True, sparse=True, filters={"label": "bestofn.sandbox=1"})
    except Exception:  # docker unreachable: the sandbox tests already failed loudly
        return
    ours = [c for c in left if _created(c) >= _SESSION_START - 1]
    if ours:
        for c in ours:
            try:
                c.remove(force=True)
            except docker.errors.APIError:
                pass  # already gone, or being removed by its own cleanup
        session.exitstatus = 1
        print(f"\nERROR: {len(ours)} sandbox container(s) were left behind by the tests (removed now)")


def _created(container) -> float:  # type: ignore[no-untyped-def]
    from datetime import datetime

    raw = container.attrs.get("Created", "")
    if isinstance(raw, (int, float)):  # sparse listings give a unix time
        return float(raw)
    try:
        return datetime.fromisoformat(raw[:26].rstrip("Z") + "+00:00").timestamp()
    except ValueError:
        return time.time()
