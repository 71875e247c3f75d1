"""The main path as plain functions on real Postgres, Docker and the scripted HTTP LLM."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlmodel import select

from bestofn.budget.spend import spend_by_model_day, utc_day_start
from bestofn.llm import make_client
from bestofn.models import CandidateRow, ExecutionRow
from bestofn.pipeline import run_task
from bestofn.service import ProblemRejected, create_task, task_view
from bestofn.settings import get_settings
from bestofn.store import TaskStore
from bestofn.testing.fake_llm import FakeLLM, Reply
from tests.pipeline import problems as P


def _run(store: TaskStore, fake: FakeLLM, **overrides: object):
    return P.run_problem(store, fake, **overrides)


def test_ranks_fast_correct_over_slow_correct_over_partial_over_wrong(store: TaskStore, fake_llm: FakeLLM) -> None:
    fake_llm.add("running_max", P.WRONG, P.SLOW_OK, P.SYNTAX_ERROR, P.FAST_OK, P.PARTLY_WRONG, P.NO_CODE)
    outcome, view = _run(store, fake_llm)
    assert outcome.status == "done" and view.status == "done"
    order = [r["index"] for r in view.ranking]
    # seeds 0..5 map to replies in order: 3 fast ok, 1 slow ok, 4 partly wrong (3/4), 0 wrong, 2 syntax error
    assert order[:4] == [3, 1, 4, 0], view.ranking
    assert view.winner is not None and view.winner.index == 3
    assert "def running_max" in view.winner.code
    assert view.decision["method"] == "tests"
    assert view.decision["runner_up"] == 1
    assert not view.no_passing_candidate
    by = {c.index: c for c in view.candidates}
    assert by[5].error and by[5].error.startswith("no_code")
    assert by[2].execution.status == "syntax_error"
    assert by[4].execution.tests_passed == 3 and by[4].execution.tests_total == 4
    failed = [t for t in by[4].execution.tests if t.outcome != "passed"]
    assert len(failed) == 1
    # one stored row per candidate and per usable candidate's execution
    with store.session() as s:
        assert len(s.exec(select(CandidateRow)).all()) == 6
        assert len(s.exec(select(ExecutionRow)).all()) == 5
    assert view.tokens_out == sum(c.tokens_out for c in view.candidates) > 0
    assert fake_llm.usage_served["completion_tokens"] == view.tokens_out


def test_every_candidate_failing_still_completes_ranked(store: TaskStore, fake_llm: FakeLLM) -> None:
    fake_llm.add("running_max", P.WRONG, P.PARTLY_WRONG, P.WRONG)
    outcome, view = _run(store, fake_llm, n=3)
    assert outcome.status == "done"
    assert view.no_passing_candidate is True
    assert view.decision["no_passing_candidate"] is True
    assert view.winner is not None and view.winner.index == 1  # 3 of 4 beats 1 of 4
    assert len(view.ranking) == 3


def test_some_llm_calls_fail_task_goes_on_and_records_why(store: TaskStore, fake_llm: FakeLLM) -> None:
    fake_llm.add("running_max", Reply(status=500), P.FAST_OK, Reply(content=""), Reply(status=400))
    outcome, view = _run(store, fake_llm, n=4)
    assert outcome.status == "done"
    assert view.winner.index == 1
    errors = {c.index: c.error for c in view.candidates}
    assert errors[0].startswith("llm_error: HTTP 500")
    assert errors[2].startswith("no_code")
    assert errors[3].startswith("llm_error: HTTP 400")
    assert errors[1] is None


def test_llm_timeout_is_recorded_per_candidate(store: TaskStore, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BESTOFN_LLM_TIMEOUT_S", "1")
    monkeypatch.setenv("BESTOFN_LLM_MAX_RETRIES", "0")
    get_settings.cache_clear()
    try:
        fake_llm.add("running_max", P.FAST_OK, Reply(content=P.FAST_OK, delay_s=3))
        outcome, view = _run(store, fake_llm, n=2)
    finally:
        get_settings.cache_clear()
    assert outcome.status == "done"
    errors = {c.index: c.error for c in view.candidates}
    assert errors[0] is None
    assert errors[1].startswith("llm_timeout")


def test_all_llm_calls_fail_task_fails_with_reason(store: TaskStore, fake_llm: FakeLLM) -> None:
    fake_llm.add("running_max", Reply(status=503), Reply(content="no idea"))
    outcome, view = _run(store, fake_llm, n=2)
    assert outcome.status == "failed" and view.status == "failed"
    assert "no candidate produced code" in view.reason
    assert "llm_error" in view.reason and "no_code" in view.reason
    assert view.winner is None


def test_early_stop_ends_at_one_candidate_when_greedy_passes(store: TaskStore, fake_llm: FakeLLM) -> None:
    fake_llm.add("running_max", P.FAST_OK, P.WRONG)
    outcome, view = _run(store, fake_llm, n=None, strategy="auto")
    assert outcome.status == "done"
    assert view.progress.generated == 1 and view.early_stopped
    assert view.decision["details"]["early_stop"]["candidates_skipped"] == get_settings().default_n - 1


def test_early_stop_escalates_when_first_wave_fails(store: TaskStore, fake_llm: FakeLLM) -> None:
    # seed 0 wrong, seeds 1-3 (second wave) one correct -> stops after wave 2 of (1, 3, rest)
    fake_llm.add("running_max", P.WRONG, P.WRONG, P.FAST_OK, P.WRONG, P.WRONG, P.WRONG, P.WRONG, P.WRONG)
    outcome, view = _run(store, fake_llm, n=None, strategy="auto")
    assert outcome.status == "done"
    assert view.progress.generated == 4
    assert view.winner.index == 2


def test_explicit_n_gets_exactly_n(store: TaskStore, fake_llm: FakeLLM) -> None:
    fake_llm.add("running_max", P.FAST_OK)
    _, view = _run(store, fake_llm, n=3, strategy="auto")
    assert view.progress.generated == 3 and not view.early_stopped


def test_rerun_after_done_changes_nothing(store: TaskStore, fake_llm: FakeLLM) -> None:
    fake_llm.add("running_max", P.FAST_OK, P.WRONG)
    task = create_task(P.problem(n=2), store=store)
    client = make_client(base_url=fake_llm.base_url)
    run_task(task.id, client=client, store=store)
    served = fake_llm.usage_served["requests"]
    run_task(task.id, client=client, store=store)
    assert fake_llm.usage_served["requests"] == served
    with store.session() as s:
        assert len(s.exec(select(CandidateRow)).all()) == 2


def test_resume_reuses_stored_candidates(store: TaskStore, fake_llm: FakeLLM) -> None:
    """A redelivered task (worker died after generating some) only generates what is missing."""
    from bestofn.schemas import Candidate

    fake_llm.add("running_max", P.FAST_OK, P.WRONG, P.SLOW_OK)
    task = create_task(P.problem(n=3), store=store)
    assert store.claim(task.id, "a-worker-that-died", lease_s=0)  # its lease runs out at once
    store.save_candidate(task.id, Candidate(index=1, code="def running_max(xs):\n    return xs\n", tokens_out=7))
    run_task(task.id, client=make_client(base_url=fake_llm.base_url), store=store)
    assert fake_llm.usage_served["requests"] == 2
    seeds = sorted(r["seed"] for r in fake_llm.requests)
    assert seeds == [0, 2]
    view = task_view(store.get(task.id), store)
    assert view.status == "done" and view.winner.index == 0


def test_cancel_before_start(store: TaskStore, fake_llm: FakeLLM) -> None:
    task = create_task(P.problem(n=2), store=store)
    store.request_cancel(task.id)
    outcome = run_task(task.id, client=make_client(base_url=fake_llm.base_url), store=store)
    assert outcome.status == "cancelled"
    assert fake_llm.usage_served["requests"] == 0


@pytest.mark.parametrize(
    "overrides,field",
    [({"n": 10_000}, "n"), ({"entry_point": None}, "entry_point")],
)
def test_service_limits_name_the_field(store: TaskStore, overrides: dict, field: str) -> None:
    """Service limits (n) and the problem's own rules (entry_point) both name the field."""
    with pytest.raises((ProblemRejected, ValidationError)) as info:
        create_task(P.problem(**overrides), store=store)
    err = info.value if isinstance(info.value, ProblemRejected) else ProblemRejected.from_validation(info.value)
    assert err.field == field


def test_the_task_view_counts_the_rankings_llm_calls_too(store: TaskStore, fake_llm: FakeLLM) -> None:
    """Tokens the judge spent show up in the task's totals, split from the candidates' own."""
    fake_llm.add("strict code reviewer", '{"choice": "A", "reason": "it keeps the running maximum"}')
    fake_llm.add("running_max", P.FAST_OK, P.WRONG, P.SLOW_OK)
    outcome, view = _run(store, fake_llm, n=3, tests=None, strategy="judge")
    assert outcome.status == "done" and view.decision["method"] == "judge"
    gen, rank = view.usage["generation"], view.usage["ranking"]
    assert gen.calls == 3 and rank.calls >= 1 and rank.tokens_in > 0 and rank.tokens_out > 0
    assert gen.tokens_out == sum(c.tokens_out for c in view.candidates)
    served = fake_llm.usage_served
    assert served["requests"] == gen.calls + rank.calls
    assert (view.tokens_in, view.tokens_out) == (served["prompt_tokens"], served["completion_tokens"])
    assert view.cost_usd == pytest.approx(gen.cost_usd + rank.cost_usd)
    details = view.decision["details"]  # the calls are shown with the decision, as before they had a table
    assert details["llm_usage"] == {"calls": rank.calls, "tokens_in": rank.tokens_in, "tokens_out": rank.tokens_out}
    assert [c["purpose"] for c in details["llm_calls"]].count("judge") == len(details["judge"]["verdicts"])
    with store.engine.connect() as conn:  # and spend reads the same calls from their rows
        spent = [r for r in spend_by_model_day(conn, get_settings(), utc_day_start()) if r.purpose == "ranking"]
    assert (sum(r.calls for r in spent), sum(r.tokens_in for r in spent)) == (rank.calls, rank.tokens_in)
    assert sum(r.cost_usd for r in spent) == pytest.approx(rank.cost_usd)
