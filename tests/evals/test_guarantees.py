"""Evaluations carry the guarantees tasks do: an owner, per-key names, quota, budget, safe ids.

The real app runs in-process with keys required on a fresh PostgreSQL database;
accepted runs are sent to the real Redis with no worker, so they stay queued
(active) and nothing is generated. Each attack from the issue is one test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from api.main import create_app
from bestofn.budget.guard import eval_worst_case
from bestofn.budget.policy import load_policy
from bestofn.db import get_engine
from bestofn.evals.datasets import load_dataset
from bestofn.security.keys import create_key
from bestofn.settings import Settings, get_settings
from tests.budget.helpers import PRICED, PRICES, policy_text
from tests.pipeline import problems as P

FAKE_ID = "0" * 32
SAMPLES = [{"task_id": "HumanEval/0", "completion": "    return False\n"}]
HE = load_dataset("humaneval")
TASK = P.problem(n=2).model_dump(mode="json", exclude_none=True)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def app(pg_url: str, redis_url: str) -> Iterator[Callable[..., TestClient]]:
    """``app(**settings)``: the real app, keys required, no rate limit, runs queued at Redis with no worker."""
    clients: list[TestClient] = []

    def build(**overrides: Any) -> TestClient:
        values: dict[str, Any] = {"require_api_key": True, "api_rate_per_s": 0, "api_max_active_tasks": 0}
        client = TestClient(create_app(Settings(**{**values, **overrides})), raise_server_exceptions=False)
        clients.append(client)
        return client

    try:
        yield build
    finally:
        for client in clients:
            client.close()
        redis.Redis.from_url(redis_url).delete(get_settings().celery_queue)  # only this run's messages


def key(name: str, **limits: Any) -> str:
    return create_key(get_engine(), name, **limits).token


def test_another_keys_run_is_404_and_names_are_per_key(app: Callable[..., TestClient]) -> None:
    client = app()
    a, b = key("a"), key("b")
    mine = client.post("/v1/evals", json={"samples": SAMPLES, "name": "shared"}, headers=bearer(a))
    assert mine.status_code == 202, mine.text
    run_a = mine.json()["id"]
    assert client.get(f"/v1/evals/{run_a}", headers=bearer(a)).json()["name"] == "shared"
    foreign = client.get(f"/v1/evals/{run_a}", headers=bearer(b))
    assert foreign.status_code == 404 and foreign.json() == {"detail": f"eval run {run_a} not found"}

    theirs = client.post("/v1/evals", json={"samples": SAMPLES, "name": "shared"}, headers=bearer(b))
    assert theirs.status_code == 202, theirs.text  # b learns nothing of a's names
    assert theirs.json()["id"] != run_a
    again = client.post("/v1/evals", json={"samples": SAMPLES, "name": "shared"}, headers=bearer(a))
    assert again.status_code == 409
    assert again.json()["detail"][0]["loc"] == ["body", "name"]


def test_racing_posts_of_one_name_are_one_202_and_409s(app: Callable[..., TestClient]) -> None:
    client = app()
    token = key("racer")
    answers: list[tuple[int, Any]] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def post() -> None:
        start.wait()
        r = client.post("/v1/evals", json={"samples": SAMPLES, "name": "race"}, headers=bearer(token))
        with lock:
            answers.append((r.status_code, r.json()))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(code for code, _ in answers) == [202] + [409] * 7, answers
    assert all(body["detail"][0]["loc"] == ["body", "name"] for code, body in answers if code == 409)


@pytest.mark.parametrize("path", ["/v1/evals/%00", "/v1/evals/" + "f" * 5000, "/v1/evals/../../etc/passwd",
                                  f"/v1/evals/{FAKE_ID}", "/v1/evals/%00" + "0" * 31, "/v1/evals/" + "A" * 32,
                                  "/v1/evals/%E2%80%AE" + "0" * 31])
def test_bad_ids_are_404(app: Callable[..., TestClient], path: str) -> None:
    client = app()
    r = client.get(path, headers=bearer(key("k")))
    assert r.status_code == 404, (path, r.status_code, r.text[:200])


def test_generate_mode_shares_the_keys_quota_with_tasks(app: Callable[..., TestClient]) -> None:
    client = app()
    token = key("q", max_active_tasks=2)
    body = {"n": 1000, "task_ids": ["HumanEval/0"], "max_tokens": 64}
    assert client.post("/v1/evals", json=body, headers=bearer(token)).status_code == 202
    assert client.post("/v1/tasks", json=TASK, headers=bearer(token)).status_code == 202
    over = client.post("/v1/evals", json=body, headers=bearer(token))
    assert over.status_code == 429 and "quota" in over.json()["detail"], over.text
    assert client.post("/v1/tasks", json=TASK, headers=bearer(token)).status_code == 429
    assert client.post("/v1/evals", json=body, headers=bearer(key("other", max_active_tasks=2))).status_code == 202


def test_generate_mode_is_held_to_the_daily_budget(app: Callable[..., TestClient], tmp_path: Path) -> None:
    body = {"n": 10, "task_ids": ["HumanEval/0"], "max_tokens": 100}
    s = Settings(price_table=PRICES, model=PRICED)
    one = eval_worst_case([HE["HumanEval/0"].problem], 10, 100, PRICED, s, load_policy(s)).usd
    policy = tmp_path / "policy.toml"
    policy.write_text(policy_text(daily_budget_usd=f"daily_budget_usd = {one * 1.5:.8f}"))  # room for one run
    client = app(price_table=PRICES, model=PRICED, policy_file=policy)
    token = key("spender")
    first = client.post("/v1/evals", json=body, headers=bearer(token))
    assert first.status_code == 202, first.text
    second = client.post("/v1/evals", json=body, headers=bearer(key("another")))  # the first run's hold counts
    assert second.status_code == 422, second.text
    assert second.json()["detail"][0]["loc"] == ["body", "n"] and "daily_budget_usd" in second.text
    whole = client.post("/v1/evals", json={"n": 1000}, headers=bearer(token))  # 164 problems x 1000 samples
    assert whole.status_code == 422 and whole.json()["detail"][0]["loc"] == ["body", "n"]


def test_unpriced_model_is_refused_under_a_budget(app: Callable[..., TestClient]) -> None:
    client = app(price_table=PRICES, model="local-free-model")
    token = key("cheapskate")

    def loc(r: Any) -> list[str]:
        assert r.status_code == 422, r.text
        assert "price_table" in r.json()["detail"][0]["msg"]
        return r.json()["detail"][0]["loc"]

    evals = {"n": 1, "task_ids": ["HumanEval/0"], "model": "gpt-unpriced"}
    assert loc(client.post("/v1/evals", json=evals, headers=bearer(token))) == ["body", "model"]
    assert loc(client.post("/v1/tasks", json={**TASK, "model": "gpt-unpriced"}, headers=bearer(token))) == [
        "body", "model"]
    assert loc(client.post("/v1/tasks", json={**TASK, "budget_usd": 0.5}, headers=bearer(token))) == [
        "body", "model"]
    # the operator's own default model may be free (a local model), and a priced model is fine
    assert client.post("/v1/tasks", json=TASK, headers=bearer(token)).status_code == 202
    assert client.post("/v1/evals", json={**evals, "model": PRICED}, headers=bearer(token)).status_code == 202
    assert client.post("/v1/tasks", json={**TASK, "model": PRICED, "budget_usd": 0.5},
                       headers=bearer(token)).status_code == 202
