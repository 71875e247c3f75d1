"""GET /v1/tasks: a page costs the same number of queries whatever its size, and shows what the detail view shows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from api.deps import get_db_engine
from api.main import create_app
from bestofn.db import make_engine
from bestofn.models import Task
from bestofn.schemas import Candidate, Decision, ExecutionResult, RankedCandidate
from bestofn.settings import Settings
from bestofn.store import TaskStore


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    """The app with every route on this test's database (the one dependency routes reach it through)."""
    app = create_app(Settings(require_api_key=False))
    app.dependency_overrides[get_db_engine] = lambda: engine
    with TestClient(app) as c:
        yield c


def _seed(store: TaskStore, count: int) -> None:
    """Tasks in every state the list shows: none, some or all candidates, executions, a decision and winner."""
    for i in range(count):
        task = Task(status="done" if i % 3 else "generating", n=3, problem={"prompt": f"p{i}"})
        with store.session() as s:  # raw rows: tasks are created only by admission
            s.add(task)
            s.commit()
            s.refresh(task)
        for c in range(i % 4):
            store.save_candidate(task.id, Candidate(index=c, code=f"def f(): return {i * 10 + c}",
                                                    tokens_in=0 if c == 2 else 5, tokens_out=0 if c == 2 else 7))
        store.save_executions(task.id, {c: ExecutionResult(status="passed", all_passed=True, tests_passed=1,
                                                           tests_total=1) for c in range(i % 3)})
        if i % 3:
            winner = 1 if i % 4 >= 2 else None  # a winner with a stored candidate, or none
            store.save_decision(task.id, Decision(
                winner=winner, method="tests", reason="r", ranking=[RankedCandidate(index=1, rank=1, score={"tests": 1.0})],
                details={"llm_calls": [{"purpose": "judge", "model": "m", "tokens_in": 3, "tokens_out": 4}]} if i % 2 else {}))


def _statements(client: TestClient, engine: Engine, path: str) -> tuple[int, dict]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        r = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert r.status_code == 200, r.text
    return len(seen), r.json()


def test_a_page_costs_the_same_queries_for_5_or_50_tasks(client: TestClient, engine: Engine) -> None:
    _seed(TaskStore(engine), 60)
    few, small = _statements(client, engine, "/v1/tasks?limit=5")
    many, large = _statements(client, engine, "/v1/tasks?limit=50")
    assert len(small["items"]) == 5 and len(large["items"]) == 50 and large["total"] == 60
    assert few == many, (few, many)
    # and each item is the detail view without its candidates
    for item in large["items"]:
        detail = client.get(f"/v1/tasks/{item['id']}").json()
        assert detail.pop("candidates") is not None
        assert item.pop("candidates") is None
        assert item == detail
    assert any(i["winner"] for i in large["items"]) and any(i["decision"] and not i["winner"] for i in large["items"])
    assert {i["progress"]["generated"] for i in large["items"]} == {0, 1, 2, 3}
    assert any(i["usage"]["ranking"]["calls"] for i in large["items"])
