"""API keys, per-key rate limits and quotas, body limits, CORS and hostile request bodies.

The real app runs in-process on a fresh PostgreSQL database with Redis as the
broker and rate-limit store; keys are created with the real CLI or functions.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from bestofn.db import get_engine
from bestofn.security.keys import create_key
from bestofn.settings import Settings
from tests.pipeline import problems as P

BODY = P.problem(n=2).model_dump(mode="json", exclude_none=True)
FAKE_ID = "0" * 32


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def cli(*args: str, db: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BESTOFN_DATABASE_URL": db}
    return subprocess.run([sys.executable, "-m", "bestofn.cli", "keys", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_keys_cli_hashes_at_rest_and_revokes(api_client: Callable[..., TestClient], pg_url: str) -> None:
    client = api_client(require_api_key=True)
    made = cli("create", "--name", "ci", "--max-tasks", "5", "--json", db=pg_url)
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)
    token = key["token"]
    assert token.startswith(f"bon_{key['id']}_")
    listed = cli("list", "--json", db=pg_url)
    assert listed.returncode == 0 and token not in listed.stdout
    assert [k["id"] for k in json.loads(listed.stdout)] == [key["id"]]
    engine = create_engine(pg_url)
    with engine.connect() as c:
        rows = [dict(r._mapping) for r in c.execute(text("select * from api_key"))]
    engine.dispose()
    assert rows[0]["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(rows, default=str) and token.split("_", 2)[2] not in json.dumps(rows, default=str)

    assert client.get("/v1/tasks", headers=bearer(token)).status_code == 200
    assert client.get("/v1/tasks", headers={"X-API-Key": token}).status_code == 200
    revoked = cli("revoke", key["id"], db=pg_url)
    assert revoked.returncode == 0, revoked.stderr
    r = client.get("/v1/tasks", headers=bearer(token))
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert cli("revoke", "nosuchkey", db=pg_url).returncode == 2


def test_every_route_but_health_needs_a_valid_key(api_client: Callable[..., TestClient]) -> None:
    client = api_client(require_api_key=True)
    token = create_key(get_engine(), "t").token
    wrong = [None, "", "Bearer", "Basic dXNlcjpwdw==", "Bearer nope", f"Bearer {token[:-1]}x",
             f"Bearer bon_{'f' * 12}_{token.split('_')[2]}", f"Bearer {token} extra"]
    spec = client.get("/openapi.json").json()["paths"]  # every route the app serves, routers included
    assert set(spec) >= {"/healthz", "/v1/tasks", "/v1/tasks/{task_id}"}
    for template, operations in spec.items():
        path = re.sub(r"\{[^}]+\}", FAKE_ID, template)
        for method in (m.upper() for m in operations):
            if template == "/healthz":
                assert client.request(method, path).status_code == 200
                continue
            for header in wrong:
                r = client.request(method, path, headers={"Authorization": header} if header is not None else {})
                assert r.status_code == 401, (method, path, header, r.status_code)
                assert r.headers["www-authenticate"] == "Bearer" and r.json()["detail"]
            assert client.request(method, path, headers=bearer(token), json=BODY).status_code != 401


def test_keys_see_only_their_own_tasks(api_client: Callable[..., TestClient]) -> None:
    client = api_client(require_api_key=True)
    a, b = (create_key(get_engine(), n).token for n in "ab")
    task_a = client.post("/v1/tasks", json=BODY, headers=bearer(a)).json()["id"]
    assert client.get(f"/v1/tasks/{task_a}", headers=bearer(a)).status_code == 200
    assert client.get(f"/v1/tasks/{task_a}", headers=bearer(b)).status_code == 404
    assert client.post(f"/v1/tasks/{task_a}/cancel", headers=bearer(b)).status_code == 404
    assert client.get("/v1/tasks", headers=bearer(b)).json()["total"] == 0
    assert [t["id"] for t in client.get("/v1/tasks", headers=bearer(a)).json()["items"]] == [task_a]


def test_rate_limit_is_per_key_with_retry_after(api_client: Callable[..., TestClient]) -> None:
    client = api_client(require_api_key=True)
    slow = create_key(get_engine(), "slow", rate_per_s=0.5, burst=3).token
    other = create_key(get_engine(), "other").token
    codes = [client.get("/v1/tasks", headers=bearer(slow)).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    r = client.get("/v1/tasks", headers=bearer(slow))
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert "rate limit" in r.json()["detail"]
    assert client.get("/v1/tasks", headers=bearer(other)).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_rate_limit_falls_back_in_process_without_redis(api_client: Callable[..., TestClient]) -> None:
    client = api_client(require_api_key=True, redis_url="")
    token = create_key(get_engine(), "local", rate_per_s=0.5, burst=2).token
    assert [client.get("/v1/tasks", headers=bearer(token)).status_code for _ in range(3)] == [200, 200, 429]


def test_concurrent_task_quota_holds_under_racing_submissions(api_client: Callable[..., TestClient]) -> None:
    client = api_client(require_api_key=True)
    token = create_key(get_engine(), "q", max_active_tasks=3).token
    codes: list[int] = []
    lock = threading.Lock()

    def submit() -> None:
        r = client.post("/v1/tasks", json=BODY, headers=bearer(token))
        with lock:
            codes.append(r.status_code)

    threads = [threading.Thread(target=submit) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [202] * 3 + [429] * 9, codes
    r = client.post("/v1/tasks", json=BODY, headers=bearer(token))
    assert r.status_code == 429 and "quota" in r.json()["detail"]
    first = client.get("/v1/tasks", headers=bearer(token)).json()["items"][0]["id"]
    assert client.post(f"/v1/tasks/{first}/cancel", headers=bearer(token)).json()["status"] == "cancelled"
    assert client.post("/v1/tasks", json=BODY, headers=bearer(token)).status_code == 202


def test_body_size_limit_answers_413_declared_or_chunked(api_client: Callable[..., TestClient]) -> None:
    client = api_client(require_api_key=False, max_body_bytes=4096)
    big = {**BODY, "prompt": "x" * 10_000}
    r = client.post("/v1/tasks", json=big)
    assert r.status_code == 413 and "max_body_bytes" in r.json()["detail"]

    def chunks() -> Iterator[bytes]:
        data = json.dumps(big).encode()
        for i in range(0, len(data), 1000):
            yield data[i:i + 1000]

    r = client.post("/v1/tasks", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert client.post("/v1/tasks", json=BODY).status_code == 202


def test_cors_is_off_by_default(api_client: Callable[..., TestClient]) -> None:
    client = api_client(require_api_key=False)
    origin = {"Origin": "https://evil.example"}
    pre = client.options("/v1/tasks", headers={**origin, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in pre.headers
    assert "access-control-allow-origin" not in client.get("/v1/tasks", headers=origin).headers
    allowed = api_client(require_api_key=False, cors_origins=["https://app.example"])
    r = allowed.get("/v1/tasks", headers={"Origin": "https://app.example"})
    assert r.headers["access-control-allow-origin"] == "https://app.example"


def test_hostile_bodies_are_4xx_never_5xx(api_client: Callable[..., TestClient]) -> None:
    client = api_client(require_api_key=False)
    raw_cases = [
        json.dumps({**BODY, "budget_usd": float("inf")}),
        json.dumps({**BODY, "temperature": float("nan")}),
        json.dumps({**BODY, "limits": {"timeout_s": float("-inf")}}),
        "[" * 5000 + "]" * 5000,
        '{"prompt": "' + "\\ud800" + '"}',
        "\x00",
        "",
        "null",
        json.dumps({**BODY, "n": 10**40}),
    ]
    obj_cases = [
        {**BODY, "model": "m" * 5000},
        {**BODY, "entry_point": "a" * 5000},
        {**BODY, "tier": "t" * 5000},
        {**BODY, "tests": {"format": "io", "code": json.dumps([{"input": 1, "output": []}])}},
        {**BODY, "tests": {"format": "humaneval", "code": "x"}, "entry_point": None},
        {**BODY, "unknown": 1},
    ]
    for raw in raw_cases:
        r = client.post("/v1/tasks", content=raw, headers={"content-type": "application/json"})
        assert 400 <= r.status_code < 500, (raw[:80], r.status_code, r.text[:200])
    for obj in obj_cases:
        r = client.post("/v1/tasks", json=obj)
        assert 400 <= r.status_code < 500, (str(obj)[:80], r.status_code, r.text[:200])
    ok = client.post("/v1/tasks", json={**BODY, "prompt": "nul \x00 and emoji \U0001f600 and rtl \u202e"})
    assert ok.status_code == 202
    assert client.get(f"/v1/tasks/{ok.json()['id']}").status_code == 200
    for path in ("/v1/tasks/%00", "/v1/tasks/" + "f" * 5000, "/v1/tasks/../../etc/passwd", f"/v1/tasks/{FAKE_ID}"):
        assert client.get(path).status_code == 404, path


def test_keys_required_by_default_only_with_a_real_database() -> None:
    assert Settings(database_url="", require_api_key=None).api_keys_required is False
    assert Settings(database_url="postgresql+psycopg://u:p@h/db", require_api_key=None).api_keys_required is True
    assert Settings(database_url="postgresql+psycopg://u:p@h/db", require_api_key=False).api_keys_required is False
    assert Settings(database_url="", require_api_key=True).api_keys_required is True


def test_stats_show_a_key_its_own_totals_and_only_an_admin_every_keys(api_client: Callable[..., TestClient],
                                                                       pg_url: str) -> None:
    client = api_client(require_api_key=True)
    a, b = (create_key(get_engine(), n).token for n in "ab")
    made = cli("create", "--name", "ops", "--admin", "--json", db=pg_url)
    assert made.returncode == 0, made.stderr
    admin = json.loads(made.stdout)
    assert admin["admin"] is True
    assert [k["admin"] for k in json.loads(cli("list", "--json", db=pg_url).stdout)] == [False, False, True]
    for token, count in ((a, 2), (b, 1)):
        for _ in range(count):
            assert client.post("/v1/tasks", json=BODY, headers=bearer(token)).status_code == 202

    def tasks_seen(token: str) -> int:
        r = client.get("/v1/stats", headers=bearer(token))
        assert r.status_code == 200, r.text
        return sum(row["tasks"] for row in r.json()["rows"])

    assert (tasks_seen(a), tasks_seen(b), tasks_seen(admin["token"])) == (2, 1, 3)
    denied = client.get("/metrics", headers=bearer(a))
    assert denied.status_code == 403 and "admin" in denied.json()["detail"]
    scrape = client.get("/metrics", headers=bearer(admin["token"]))
    assert scrape.status_code == 200 and "bestofn_tasks" in scrape.text
