"""The e2e stack (uvicorn API + Celery worker, Postgres, Redis, the scripted LLM) with API keys required.

Two keys: ``token`` (the user) and ``other`` (someone else, whose tasks the user must not see).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine

from bestofn.security.auth import KEY_COOKIE
from bestofn.security.keys import create_key
from bestofn.testing.fake_llm import FakeLLM
from tests.e2e.conftest import Stack, running_stack
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
    with running_stack(pg_url, redis_url, fake_llm, tmp_path, BESTOFN_REQUIRE_API_KEY="true",
                       BESTOFN_DATA_DIR=str(tmp_path)) as st:
        engine = create_engine(pg_url)
        st.extra["other"] = create_key(engine, "someone else").token
        engine.dispose()
        yield st
