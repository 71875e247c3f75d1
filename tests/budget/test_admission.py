"""Admission on real Postgres: today's spend and unfinished tasks' reservations limit new tasks."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bestofn.budget.counters import BUDGET_ALERTS, BUDGET_REFUSALS
from bestofn.budget.models import TaskBudget
from bestofn.db import make_engine
from bestofn.errors import ProblemRejected
from bestofn.migrate import migrate
from bestofn.schemas import Candidate, Problem
from bestofn.service import create_task
from bestofn.store import TaskStore
from tests.budget.helpers import policy_text, problem, settings


@pytest.fixture
def store(pg_url: str) -> TaskStore:
    return TaskStore(make_engine(pg_url))


def _problem(**kw: object) -> Problem:
    return problem(**{"strategy": "tests", **kw})


def _budget(store: TaskStore, task_id: str) -> TaskBudget:
    with Session(store.engine) as s:
        row = s.get(TaskBudget, task_id)
        assert row is not None
        return row


def test_task_stores_its_plan_and_reservation(store: TaskStore, tmp_path: Path) -> None:
    s = settings(tmp_path)
    task = create_task(_problem(strategy="auto"), store=store, settings=s)
    assert task.n == s.default_n and task.strategy == "auto" and task.problem["max_tokens"] == 512
    row = _budget(store, task.id)
    assert (row.tier, row.route, row.probe_tier, row.probe_temperature) == ("standard", "probe", "easy", 0.0)
    assert row.reserved_usd > 0 and row.downgrade is None and row.budget_usd == 1.0


def test_reservations_of_unfinished_tasks_count_against_the_day(store: TaskStore, tmp_path: Path) -> None:
    s = settings(tmp_path)
    first = create_task(_problem(), store=store, settings=s)
    held = _budget(store, first.id).reserved_usd
    # a day's budget just under two tasks' worst case: the second task must be cut to fit
    tight = settings(tmp_path, text=policy_text(daily_budget_usd=f"daily_budget_usd = {held * 1.6:.8f}"))
    second = create_task(_problem(), store=store, settings=tight)
    row = _budget(store, second.id)
    assert second.n < first.n and row.downgrade and "today's" in row.downgrade
    assert row.reserved_usd <= held * 0.6 + 1e-9
    # and with nothing left, a third is refused, naming the field
    before = BUDGET_REFUSALS.labels(field="budget_usd")._value.get()
    with pytest.raises(ProblemRejected) as info:
        create_task(_problem(), store=store, settings=tight)
    assert info.value.field == "budget_usd"
    assert BUDGET_REFUSALS.labels(field="budget_usd")._value.get() == before + 1


def test_stored_spend_today_counts(store: TaskStore, tmp_path: Path) -> None:
    s = settings(tmp_path)
    done = create_task(_problem(n=1), store=store, settings=s)
    store.save_candidate(done.id, Candidate(index=0, code="x", tokens_in=1000, tokens_out=1000, cost_usd=0.5))
    store.set_status(done.id, "done")
    tight = settings(tmp_path, text=policy_text(daily_budget_usd="daily_budget_usd = 0.51"))
    with pytest.raises(ProblemRejected) as info:
        create_task(_problem(), store=store, settings=tight)
    assert "only $0.0" in info.value.message and "is left" in info.value.message


def test_alert_past_threshold_logs_and_counts(store: TaskStore, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    s = settings(tmp_path, text=policy_text(alert_threshold="alert_threshold = 0.001"))
    before = BUDGET_ALERTS._value.get()
    with caplog.at_level(logging.WARNING, logger="bestofn.budget"):
        create_task(_problem(), store=store, settings=s)
    alerts = [r for r in caplog.records if r.getMessage() == "daily budget alert"]
    assert alerts and alerts[0].daily_budget_usd == 25.0  # type: ignore[attr-defined]
    assert BUDGET_ALERTS._value.get() == before + 1


def test_refuse_policy_stores_nothing(store: TaskStore, tmp_path: Path) -> None:
    s = settings(tmp_path, text=policy_text(on_over_budget='on_over_budget = "refuse"'))
    with pytest.raises(ProblemRejected) as info:
        create_task(_problem(budget_usd=0.0001), store=store, settings=s)
    assert info.value.field == "budget_usd"
    with store.session() as sess:
        assert sess.exec(select(TaskBudget)).all() == []


def test_unknown_tier_is_refused_before_storing(store: TaskStore, tmp_path: Path) -> None:
    with pytest.raises(ProblemRejected) as info:
        create_task(_problem(tier="gold"), store=store, settings=settings(tmp_path))
    assert info.value.field == "tier"


def test_api_answers_422_naming_budget_usd(store: TaskStore, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from api.deps import get_store
    from api.main import create_app

    s = settings(tmp_path, text=policy_text(on_over_budget='on_over_budget = "refuse"'))
    app = create_app(settings=s)
    app.dependency_overrides[get_store] = lambda: store
    body = json.loads(_problem(budget_usd=0.0001).model_dump_json(exclude_none=True))
    r = TestClient(app).post("/v1/tasks", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "budget_usd"]


def test_embedded_sqlite_admits_with_the_same_rules(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'embedded.sqlite3'}"
    migrate(url)
    sqlite = TaskStore(make_engine(url))
    task = create_task(_problem(strategy="auto"), store=sqlite, settings=settings(tmp_path))
    assert _budget(sqlite, task.id).route == "probe"
    tight = settings(tmp_path, text=policy_text(daily_budget_usd="daily_budget_usd = 0.0001"))
    with pytest.raises(ProblemRejected) as info:
        create_task(_problem(), store=sqlite, settings=tight)
    assert info.value.field == "budget_usd"
    sqlite.engine.dispose()
