"""A real stack with API keys required: uvicorn API + Celery worker, Postgres, Redis, the scripted LLM.

Two keys: ``token`` (the user) and ``other`` (someone else, whose tasks the user must not see).
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine

from bestofn.security.auth import KEY_COOKIE
from bestofn.security.keys import create_key
from bestofn.testing.fake_llm import FakeLLM
from bestofn.testing.procs import child_env, start_api
from tests.e2e.conftest import Stack
from tests.pipeline import problems as P


def form_for(**overrides: str) -> dict[str, str]:
    """The submit form's fields for the shared running_max problem."""
    return {"prompt": P.PROMPT, "entry_point": "running_max", "tests.format": "humaneval", "tests.code": P.CHECK,
            "n": "4", "strategy": "tests", **overrides}


def browser_client(stack: Stack, token: str | None = None) -> httpx.Client:
    """A client as a logged-in browser is: the key in the cookie, no Authorization header."""
    return httpx.Client(base_url=stack.url, timeout=30, cookies={KEY_COOKIE: token} if token else None)


def page_text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture
def ui_stack(pg_url: str, redis_url: str, fake_llm: FakeLLM, tmp_path: Path) -> Iterator[Stack]:
    env = child_env(
        BESTOFN_CELERY_QUEUE=f"bestofn-test-{uuid.uuid4().hex[:8]}",
        BESTOFN_DATABASE_URL=pg_url,
        BESTOFN_REDIS_URL=redis_url,
        BESTOFN_REQUIRE_API_KEY="true",
        BESTOFN_DATA_DIR=str(tmp_path),
        OPENAI_BASE_URL=fake_llm.base_url,
        OPENAI_API_KEY="sk-test-never-leaks",
        BESTOFN_LLM_MAX_RETRIES="0",
    )
    engine = create_engine(pg_url)
    token, other = create_key(engine, "ui").token, create_key(engine, "someone else").token
    engine.dispose()
    api, url = start_api(env, tmp_path / "api.log")
    http = httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"})
    st = Stack(url=url, env=env, api=api, workers=[], logs=tmp_path, fake=fake_llm, http=http, token=token,
               extra={"other": other})
    st.add_worker("w1")
    try:
        yield st
    finally:
        for w in st.workers:
            w.stop()
        api.stop()
        http.close()
