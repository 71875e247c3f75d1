"""Shared fixtures: real services only (Postgres, Redis, Docker, a real HTTP LLM server).

scripts/test.sh starts the services and sets BESTOFN_DATABASE_URL / BESTOFN_REDIS_URL;
a test that needs one and finds it unset fails loudly rather than skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# A run id of its own when pytest runs without scripts/test.sh: every sandbox container this
# process makes carries it, so the checks below count and remove only this run's, never another's.
os.environ.setdefault("BESTOFN_RUN_ID", "p" + uuid.uuid4().hex[:12])

from bestofn.settings import get_settings  # noqa: E402
from bestofn.testing.fake_llm import FakeLLM

if TYPE_CHECKING:
    from sandbox import SandboxConfig


@pytest.fixture(scope="session")
def sandbox_config() -> SandboxConfig:
    """The sandbox configuration of this run, built as the service builds it (``Settings.sandbox_config``):
    its ``run_id`` (scripts/test.sh's BESTOFN_RUN_ID) labels every container a test makes through the
    sandbox's functions directly, as it labels those the pipeline makes."""
    return get_settings().sandbox_config()


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


def db_prefix() -> str:
    """Per-test database names start with the run id, so scripts/test.sh can drop what a killed
    run left without touching another run's databases."""
    run_id = get_settings().run_id.lower().replace("-", "_").replace(".", "_")[:30]  # names: 63 bytes
    return f"bestofn_t_{run_id}_" if run_id else "bestofn_t_"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test, dropped afterwards."""
    from bestofn.migrate import migrate

    base = make_url(_server_url())
    name = f"{db_prefix()}{uuid.uuid4().hex[:10]}"
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


def run_labels(*labels: str) -> list[str]:
    """A Docker label filter narrowed to this run (``bestofn.run=<id>``, which scripts/test.sh sets
    on every sandbox container): fixtures that count or remove containers never see another run's."""
    run_id = get_settings().run_id
    return [*labels, *([f"bestofn.run={run_id}"] if run_id else [])]


def run_sandboxes(client) -> list:  # type: ignore[no-untyped-def]
    """This run's sandbox containers (every run has an id: scripts/test.sh's, or this file's)."""
    return client.containers.list(all=True, sparse=True, filters={"label": run_labels("bestofn.sandbox=1")})


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """No sandbox container of this run may outlive the suite."""
    try:
        import docker

        ours = run_sandboxes(docker.from_env())
    except Exception:  # docker unreachable: the sandbox tests already failed loudly
        return
    if ours:
        for c in ours:
            try:
                c.remove(force=True)
            except docker.errors.APIError:
                pass  # already gone, or being removed by its own cleanup
        session.exitstatus = 1
        print(f"\nERROR: {len(ours)} sandbox container(s) were left behind by the tests (removed now)")
