"""/metrics: Prometheus exposition aggregated from the database, parsed back with prometheus_client."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from kombu.transport.redis import Channel
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update
from sqlmodel import Session

from api.deps import get_store
from api.main import create_app
from bestofn.budget.models import TaskBudget
from bestofn.db import make_engine
from bestofn.models import Task
from bestofn.store import TaskStore
from tests.budget.helpers import PRICED, settings
from tests.budget.rows import RANKING_USD, seed

QUEUE = f"bestofn-metrics-{uuid.uuid4().hex[:8]}"  # no other test touches it


def _budget_row(task_id: str, reserved: float, saved: float) -> TaskBudget:
    return TaskBudget(task_id=task_id, tier="standard", route="probe", max_tokens=512, timeout_s=60, budget_usd=1.0,
                      reserved_usd=reserved, reserved_tokens=1000, saved_usd=saved,
                      downgrade="downgraded for the test" if task_id == "a3" else None)


@pytest.fixture
def scrape(pg_url: str, redis_url: str, tmp_path: Path) -> dict[tuple[str, tuple], float]:
    engine = make_engine(pg_url)
    seed(engine)
    with Session(engine) as s:
        s.exec(update(Task).where(Task.id == "a1").values(early_stopped=True, candidates_skipped=7))  # type: ignore[call-overload]
        for tid, reserved, saved in [("a1", 0.2, 0.07), ("a3", 0.2, 0.0), ("a5", 0.5, 0.0)]:
            s.add(_budget_row(tid, reserved, saved))
        s.commit()
    r = redis.Redis.from_url(redis_url)
    priority = f"{QUEUE}{Channel.sep}3"  # kombu keeps one list per priority step
    r.rpush(QUEUE, "m1", "m2")
    r.rpush(priority, "m3")
    app = create_app(settings=settings(tmp_path, redis_url=redis_url, celery_queue=QUEUE))
    app.dependency_overrides[get_store] = lambda: TaskStore(engine)
    try:
        resp = TestClient(app).get("/metrics")
    finally:
        r.delete(QUEUE, priority)
        engine.dispose()
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain; version=")
    samples = {}
    for fam in text_string_to_metric_families(resp.text):
        for smp in fam.samples:
            samples[(smp.name, tuple(sorted(smp.labels.items())))] = smp.value
    return samples


def _v(samples: dict, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def test_tasks_candidates_and_sandbox_outcomes(scrape: dict) -> None:
    assert _v(scrape, "bestofn_tasks", status="done", strategy="auto") == 5
    assert _v(scrape, "bestofn_tasks", status="failed", strategy="auto") == 1
    assert _v(scrape, "bestofn_tasks", status="queued", strategy="auto") == 1
    assert _v(scrape, "bestofn_tasks", status="done", strategy="tests") == 1
    assert _v(scrape, "bestofn_candidates_generated_total", model=PRICED, outcome="code") == 20
    assert _v(scrape, "bestofn_candidates_executed_total", status="passed") == 5
    assert _v(scrape, "bestofn_candidates_executed_total", status="failed") == 1


def test_latency_histograms(scrape: dict) -> None:
    assert _v(scrape, "bestofn_task_latency_seconds_count") == 7
    assert _v(scrape, "bestofn_task_latency_seconds_sum") == pytest.approx(2.055)
    assert _v(scrape, "bestofn_task_latency_seconds_bucket", le="0.5") == 6
    assert _v(scrape, "bestofn_task_latency_seconds_bucket", le="1.0") == 7
    assert _v(scrape, "bestofn_task_latency_seconds_bucket", le="+Inf") == 7
    assert _v(scrape, "bestofn_generation_latency_seconds_count") == 20
    assert _v(scrape, "bestofn_execution_runtime_seconds_count") == 6


def test_tokens_cost_and_early_stop(scrape: dict) -> None:
    assert _v(scrape, "bestofn_llm_tokens_total", model=PRICED, purpose="generation", direction="in") == 2000
    assert _v(scrape, "bestofn_llm_tokens_total", model=PRICED, purpose="generation", direction="out") == 200
    assert _v(scrape, "bestofn_llm_tokens_total", model=PRICED, purpose="ranking", direction="in") == 1000
    assert _v(scrape, "bestofn_llm_cost_usd_total", model=PRICED, purpose="generation") == pytest.approx(9.22)
    assert _v(scrape, "bestofn_llm_cost_usd_total", model=PRICED, purpose="ranking") == pytest.approx(RANKING_USD)
    assert _v(scrape, "bestofn_early_stop_tasks_total") == 1
    assert _v(scrape, "bestofn_early_stop_candidates_skipped_total") == 7
    assert _v(scrape, "bestofn_early_stop_saved_usd_total") == pytest.approx(0.07)


def test_budget_and_queue(scrape: dict) -> None:
    assert _v(scrape, "bestofn_queue_depth", queue=QUEUE) == 3
    assert _v(scrape, "bestofn_budget_daily_usd") == 25.0
    assert _v(scrape, "bestofn_budget_spent_today_usd") == pytest.approx(0.20 + RANKING_USD)
    assert _v(scrape, "bestofn_budget_reserved_usd") == pytest.approx(0.5)  # only the queued task still holds
    assert _v(scrape, "bestofn_budget_alert") == 0
    assert _v(scrape, "bestofn_budget_downgrades_total") == 1
