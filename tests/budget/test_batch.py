"""The budget on the main path: real Postgres, the Docker sandbox and the scripted HTTP LLM.

A batch of four tasks without a tier: where the greedy first attempt passes the
task stops at one candidate; the others escalate through the waves. Stored
spend, /v1/stats and /metrics must agree with the tokens the LLM server served.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session

from api.deps import get_store
from api.main import create_app
from bestofn.budget.models import TaskBudget
from bestofn.budget.spend import spend_by_model_day, utc_day_start
from bestofn.db import make_engine
from bestofn.llm import make_client
from bestofn.pipeline import run_task
from bestofn.schemas import Problem
from bestofn.service import create_task, task_view
from bestofn.stats import percentile_cont
from bestofn.store import TaskStore
from bestofn.testing.fake_llm import FakeLLM
from tests.budget.helpers import PRICED, PRICES, problem, settings
from tests.pipeline import problems as P

W, PW, OK, SLOW = P.WRONG, P.PARTLY_WRONG, P.FAST_OK, P.SLOW_OK
SCRIPTS = {  # replies by seed: candidate i gets seed i
    "task-easy-1": [OK, W, W, W, W, W, W, W],
    "task-mid": [W, W, OK, W, W, W, W, W],  # probe fails, wave 2 (candidates 1-3) passes
    "task-hard": [W, PW, W, W, SLOW, OK, W, W],  # only the last wave passes; two pass: a tie to break
    "task-easy-2": [OK, OK, OK, OK, OK, OK, OK, OK],
}
EXPECTED = {"task-easy-1": (1, "easy", True), "task-mid": (4, "standard", True),
            "task-hard": (8, "standard", False), "task-easy-2": (1, "easy", True)}


def _problem(marker: str) -> Problem:
    """No tier, n, temperature or strategy: the policy decides all of them."""
    return problem(prompt=P.PROMPT + f"# {marker}\n")


@pytest.fixture
def batch(pg_url: str, fake_llm: FakeLLM, tmp_path: Path, caplog: pytest.LogCaptureFixture):  # type: ignore[no-untyped-def]
    s = settings(tmp_path)
    store = TaskStore(make_engine(pg_url))
    for marker, replies in SCRIPTS.items():
        fake_llm.add(marker, *replies)
    client = make_client(base_url=fake_llm.base_url)
    ids = {m: create_task(_problem(m), store=store, settings=s).id for m in SCRIPTS}
    with caplog.at_level(logging.INFO, logger="bestofn.pipeline"):
        for tid in ids.values():
            assert run_task(tid, client=client, store=store, settings=s).status == "done"
    yield s, store, ids, fake_llm, caplog
    store.engine.dispose()


def _requests(fake: FakeLLM, marker: str) -> list[dict]:
    """Generation requests of one task (ranking prompts carry the marker too, but no seed below 8)."""
    return [r for r in fake.requests if marker in r["messages"][-1]["content"] and r["messages"][0]["content"]
            .startswith("You are an expert Python programmer")]


def test_greedy_pass_stops_at_one_others_escalate(batch) -> None:  # type: ignore[no-untyped-def]
    s, store, ids, fake, _ = batch
    for marker, (generated, routed, early) in EXPECTED.items():
        view = task_view(store.get(ids[marker]), store)
        assert view.status == "done" and view.winner is not None and not view.no_passing_candidate, marker
        assert view.progress.generated == generated and view.early_stopped is early, marker
        assert view.progress.n == s.default_n
        with Session(store.engine) as sess:
            row = sess.get(TaskBudget, ids[marker])
        assert row is not None and row.route == "probe" and row.routed_tier == routed, marker
        reqs = _requests(fake, marker)
        assert len(reqs) == generated, marker
        first = next(r for r in reqs if r["seed"] == 0)
        assert first["temperature"] == 0.0 and first["max_tokens"] == 512  # the greedy probe
        assert all(r["temperature"] == 0.8 for r in reqs if r["seed"] != 0)  # the standard tier
        details = view.decision["details"]["budget"]
        assert details["routed_tier"] == routed and details["candidates_skipped"] == s.default_n - generated
        if generated < s.default_n:
            cost = [c.cost_usd for c in view.candidates]
            assert row.saved_usd == pytest.approx((s.default_n - generated) * sum(cost) / len(cost))
            assert row.saved_usd > 0
        else:
            assert row.saved_usd == 0


def test_stored_spend_matches_what_the_llm_served(batch) -> None:  # type: ignore[no-untyped-def]
    s, store, _, fake, _ = batch
    served = fake.usage_served
    with store.engine.connect() as conn:
        rows = spend_by_model_day(conn, s, utc_day_start())
    assert {r.model for r in rows} == {PRICED}
    assert sum(r.calls for r in rows) == served["requests"]
    assert sum(r.tokens_in for r in rows) == served["prompt_tokens"]
    assert sum(r.tokens_out for r in rows) == served["completion_tokens"]
    p_in, p_out = PRICES[PRICED]
    expected = (served["prompt_tokens"] * p_in + served["completion_tokens"] * p_out) / 1e6
    assert expected > 0
    assert sum(r.cost_usd for r in rows) == pytest.approx(expected)


def test_stats_and_metrics_match_what_the_llm_served(batch) -> None:  # type: ignore[no-untyped-def]
    s, store, ids, fake, _ = batch
    app = create_app(settings=s)
    app.dependency_overrides[get_store] = lambda: store
    http = TestClient(app)
    served = fake.usage_served
    p_in, p_out = PRICES[PRICED]
    expected_usd = (served["prompt_tokens"] * p_in + served["completion_tokens"] * p_out) / 1e6

    stats = http.get("/v1/stats", params={"days": 14})
    assert stats.status_code == 200, stats.text
    body = stats.json()
    assert body["percentiles"] == "sql" and len(body["rows"]) == 1
    row = body["rows"][0]
    assert (row["strategy"], row["tasks"], row["finished"], row["correct"], row["accuracy"]) == ("auto", 4, 4, 4, 1.0)
    assert row["avg_samples"] == pytest.approx((1 + 4 + 8 + 1) / 4)
    assert row["cost_usd"] == pytest.approx(expected_usd)
    assert row["cost_per_correct_usd"] == pytest.approx(expected_usd / 4)
    latencies = [store.get(t).latency_ms for t in ids.values()]
    assert row["latency_p50_ms"] == pytest.approx(percentile_cont(latencies, 0.5))
    assert row["latency_p95_ms"] == pytest.approx(percentile_cont(latencies, 0.95))

    text = http.get("/metrics").text
    samples = {(x.name, tuple(sorted(x.labels.items()))): x.value
               for fam in text_string_to_metric_families(text) for x in fam.samples}
    tokens = {k: v for k, v in samples.items() if k[0] == "bestofn_llm_tokens_total"}
    assert sum(v for k, v in tokens.items() if ("direction", "in") in k[1]) == served["prompt_tokens"]
    assert sum(v for k, v in tokens.items() if ("direction", "out") in k[1]) == served["completion_tokens"]
    cost = sum(v for k, v in samples.items() if k[0] == "bestofn_llm_cost_usd_total")
    assert cost == pytest.approx(expected_usd)
    assert samples[("bestofn_early_stop_tasks_total", ())] == 3
    assert samples[("bestofn_early_stop_candidates_skipped_total", ())] == 7 + 4 + 7
    assert samples[("bestofn_tasks", (("status", "done"), ("strategy", "auto")))] == 4
    assert samples[("bestofn_candidates_generated_total", (("model", PRICED), ("outcome", "code")))] == 14


def test_pipeline_logs_carry_task_and_candidate_ids(batch) -> None:  # type: ignore[no-untyped-def]
    _, _, ids, _, caplog = batch
    records = caplog.get_records("setup")  # the batch ran in the fixture
    by_task: dict[str, list[str]] = {}
    for rec in records:
        if getattr(rec, "task_id", None):
            by_task.setdefault(rec.task_id, []).append(rec.getMessage())  # type: ignore[attr-defined]
    for marker, tid in ids.items():
        msgs = by_task[tid]
        assert msgs[0] == "task started" and msgs[-1] == "task done", (marker, msgs)
        assert "wave generated" in msgs and "wave executed" in msgs and "candidate stored" in msgs
    stored = [r for r in records if r.getMessage() == "candidate stored"]
    assert len(stored) == 14 and {r.candidate for r in stored if r.task_id == ids["task-hard"]} == set(range(8))  # type: ignore[attr-defined]
