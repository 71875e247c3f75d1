"""Secrets never reach a sandbox, a log line, an API response or a stored row.

The stack runs with a unique LLM key, GitHub token, database password and API
token; tasks exercise the normal path, an LLM error and a candidate that dumps
its environment. Then every log file, every response body and every row of every
table is searched for each secret.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bestofn.testing.fake_llm import Reply
from tests.e2e.conftest import Stack
from tests.pipeline import problems as P
from tests.reliability.settle import assert_settled

ENV_SPY = P.FAST_OK.replace("def running_max(xs):\n", '''import os

def running_max(xs):
    print("ENV", sorted(os.environ.items()))
    for path in ("/proc/self/environ", "/proc/1/environ", "/proc/1/cmdline"):
        try:
            print(path, open(path, "rb").read())
        except OSError as exc:
            print(path, "denied", type(exc).__name__)
''')


@pytest.fixture
def secret_db_url(pg_url: str) -> Iterator[str]:
    """The test database through a role of its own with a strong, unique password."""
    role, password = f"leak_{secrets.token_hex(4)}", f"pw-{secrets.token_hex(16)}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{password}'"))
    try:
        yield make_url(pg_url).set(username=role, password=password).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"), {"r": role})
            c.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


def dump_rows(db_url: str) -> str:
    """Every row of every table, as JSON text."""
    engine = create_engine(db_url)
    with engine.connect() as c:
        tables = [r[0] for r in c.execute(text("select tablename from pg_tables where schemaname = 'public'"))]
        rows = [r[0] for t in tables for r in c.execute(text(f'select row_to_json(t)::text from "{t}" t'))]
    engine.dispose()
    return "\n".join(rows)


def test_secrets_stay_out_of_sandbox_logs_responses_and_rows(secret_db_url: str,
                                                             make_stack: Callable[..., Stack]) -> None:
    llm_key, gh_token = f"sk-{secrets.token_hex(20)}", f"ghp_{secrets.token_hex(18)}"
    st = make_stack(database_url=secret_db_url, OPENAI_API_KEY=llm_key, BESTOFN_GITHUB_TOKEN=gh_token,
                    BESTOFN_LOG_LEVEL="DEBUG")
    st.fake.add("explode", Reply(status=500), Reply(status=401))
    st.fake.add("running_max", ENV_SPY, P.FAST_OK)
    responses: list[str] = []

    def call(method: str, path: str, **kw: Any) -> Any:
        r = st.http.request(method, path, **kw)
        responses.append(f"{r.status_code} {dict(r.headers)} {r.text}")
        return r

    ok = call("POST", "/v1/tasks", json=P.problem(n=2).model_dump(mode="json", exclude_none=True)).json()["id"]
    bad = call("POST", "/v1/tasks", json=P.problem(n=2, prompt="explode " + P.PROMPT)
               .model_dump(mode="json", exclude_none=True)).json()["id"]
    rows = assert_settled(st, [ok, bad], timeout=120)
    assert rows[ok]["status"] == "done" and rows[bad]["status"] == "failed"
    for tid in (ok, bad):
        call("GET", f"/v1/tasks/{tid}")
    call("GET", "/v1/tasks")
    call("GET", "/v1/tasks", headers={"Authorization": f"Bearer {st.token}x"})
    call("GET", "/openapi.json")

    stored = dump_rows(secret_db_url)
    logs = "\n".join(p.read_text(errors="replace") for p in st.logs.glob("*.log"))
    assert "ENV [('HOME'" in stored, "the environment probe did not run in the sandbox"
    assert "Authorization" not in logs
    found = {
        name: [where for where, blob in (("rows", stored), ("logs", logs), ("responses", "\n".join(responses)))
               if value in blob]
        for name, value in {
            "llm key": llm_key, "github token": gh_token, "db password": make_url(secret_db_url).password,
            "api token": st.token, "api token secret part": st.token.split("_", 2)[2],  # the secret may hold "_" itself
        }.items()
    }
    assert found == {name: [] for name in found}, found
