"""``POST /v1/evals`` then ``GET /v1/evals/{id}`` until done, through the FastAPI app
(TestClient; embedded dispatch runs the evaluation in-process on the real sandbox
and a fresh PostgreSQL database)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from bestofn.evals.datasets import load_dataset
from bestofn.settings import Settings

pytestmark = pytest.mark.usefixtures("no_eval_containers_left")

HE = load_dataset("humaneval")


@pytest.fixture
def client(pg_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=pg_url, redis_url="", require_api_key=False)
    with TestClient(create_app(settings)) as c:
        yield c


def samples() -> list[dict[str, str]]:
    out = []
    for i, task in enumerate(["HumanEval/0", "HumanEval/2", "HumanEval/4"]):
        for j in range(3):
            good = j <= i - 1
            out.append({"task_id": task, "completion": HE[task].canonical_solution if good else "    return None\n"})
    return out


def test_post_then_get_until_done(client: TestClient) -> None:
    r = client.post("/v1/evals", json={"dataset": "humaneval", "samples": samples(), "ks": [1, 2, 5],
                                       "timeout_s": 5})
    assert r.status_code == 202, r.text
    run_id = r.json()["id"]
    assert r.json()["links"]["self"] == f"/v1/evals/{run_id}"

    deadline = time.monotonic() + 300
    while True:
        view = client.get(f"/v1/evals/{run_id}").json()
        assert view["status"] != "failed", view["reason"]
        if view["status"] == "done":
            break
        assert view["report"] is None
        assert time.monotonic() < deadline, view
        time.sleep(0.5)
    assert view["progress"] == {"total": 9, "done": 9, "pending": 0, "passed": 3}
    report = view["report"]
    assert report["pass_at_k"]["1"] == pytest.approx((0 + 1 / 3 + 2 / 3) / 3)
    assert report["pass_at_k"]["5"] is None and report["pass_at_k_problems"]["5"] == 0
    assert set(report["rerank_pass_at_1"]) >= {"first", "public_examples", "self_consistency"}
    assert report["oracle_pass_at_n"] == pytest.approx(2 / 3)


@pytest.mark.parametrize(("body", "field"), [
    ({"samples": [{"task_id": "HumanEval/0", "completion": ""}], "n": 2}, "body"),
    ({}, "body"),
    ({"samples": [{"task_id": "Nope/1", "completion": ""}]}, "samples"),
    ({"dataset": "jsonl:/etc/passwd", "samples": [{"task_id": "HumanEval/0", "completion": ""}]}, "dataset"),
    ({"samples": [{"task_id": "HumanEval/0", "completion": ""}], "ks": [0]}, "ks"),
    ({"samples": []}, "samples"),
])
def test_bad_requests_are_422_naming_the_field(client: TestClient, body: dict, field: str) -> None:
    r = client.post("/v1/evals", json=body)
    assert r.status_code == 422, r.text
    assert field in r.text


def test_unknown_run_is_404(client: TestClient) -> None:
    assert client.get("/v1/evals/nosuchrun").status_code == 404
