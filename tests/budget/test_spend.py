"""Spend from the ranking's LLM call rows: one plain query, the same figures on SQLite and PostgreSQL,
for decisions stored now and for rows written before the calls had their own table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bestofn.budget.spend import spend_by_model_day, spent_since, utc_day_start
from bestofn.db import make_engine
from bestofn.migrate import alembic_config, migrate
from bestofn.models import DecisionLlmCallRow, DecisionRow, Task
from bestofn.schemas import Candidate, Decision
from bestofn.service import ranking_calls_usage
from bestofn.settings import Settings
from bestofn.store import TaskStore
from bestofn.trace import DecisionTrace, JudgeTrace, JudgeVerdict, LlmCall
from tests.budget.helpers import PRICED, PRICES, settings

JUDGE_MODEL = "judge-model"
CALLS = [
    LlmCall(purpose="generated_inputs", model=PRICED, tokens_in=300, tokens_out=40, requested=6, accepted=5),
    LlmCall(purpose="judge", model=JUDGE_MODEL, tokens_in=1200, tokens_out=80),
    LlmCall(purpose="judge", model=JUDGE_MODEL, error="APITimeoutError: Request timed out."),
    LlmCall(purpose="judge", model=JUDGE_MODEL, tokens_in=1100, tokens_out=70),
]
# by hand from the price table below: USD per 1M tokens
PRICED_USD = (300 * 10.0 + 40 * 30.0) / 1e6
JUDGE_USD = ((1200 + 1100) * 1.0 + (80 + 70) * 2.0) / 1e6


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'spend.sqlite3'}"
        migrate(url)
    else:
        url = request.getfixturevalue("pg_url")
    eng = make_engine(url)
    yield eng
    eng.dispose()


def _settings(tmp_path: Path) -> Settings:
    return settings(tmp_path, price_table={**PRICES, JUDGE_MODEL: (1.0, 2.0)})


def _task(store: TaskStore, tid: str) -> None:
    with store.session() as s:  # a raw row: tasks are created only by admission
        s.add(Task(id=tid, status="done", model=PRICED, n=2))
        s.commit()
    for i in range(2):
        store.save_candidate(tid, Candidate(index=i, code="x = 1", tokens_in=100, tokens_out=10, cost_usd=0.002))


def _ranking(rows: list) -> dict[str, Any]:  # type: ignore[type-arg]
    return {r.model: r for r in rows if r.purpose == "ranking"}


def test_spend_from_the_rankings_calls_is_the_same_on_both_databases(engine: Engine, tmp_path: Path) -> None:
    s, store = _settings(tmp_path), TaskStore(engine)
    _task(store, "t1")
    trace = DecisionTrace(strategy="judge", llm_calls=CALLS)
    store.save_decision("t1", Decision(winner=0, method="judge", reason="r", details=trace))
    with engine.connect() as conn:
        rows = spend_by_model_day(conn, s, utc_day_start())
    day = utc_day_start().date().isoformat()
    assert [(r.day, r.model, r.purpose) for r in rows] == [(day, JUDGE_MODEL, "ranking"), (day, PRICED, "generation"),
                                                           (day, PRICED, "ranking")]
    rank = _ranking(rows)
    assert (rank[JUDGE_MODEL].calls, rank[JUDGE_MODEL].tokens_in, rank[JUDGE_MODEL].tokens_out) == (3, 2300, 150)
    assert rank[JUDGE_MODEL].cost_usd == pytest.approx(JUDGE_USD)
    assert (rank[PRICED].calls, rank[PRICED].tokens_in, rank[PRICED].tokens_out) == (1, 300, 40)
    assert rank[PRICED].cost_usd == pytest.approx(PRICED_USD)
    gen = next(r for r in rows if r.purpose == "generation")
    assert (gen.calls, gen.tokens_in, gen.tokens_out, gen.cost_usd) == (2, 200, 20, pytest.approx(0.004))
    # the task view prices the same calls, read back by attribute, to the same figure
    stored = store.decision("t1")
    assert stored is not None and stored.details.llm_calls == CALLS
    assert ranking_calls_usage(stored.details.llm_calls, s).cost_usd == pytest.approx(JUDGE_USD + PRICED_USD)


def test_a_recomputed_decision_replaces_its_calls_and_never_counts_twice(engine: Engine, tmp_path: Path) -> None:
    s, store = _settings(tmp_path), TaskStore(engine)
    _task(store, "t1")
    store.save_decision("t1", Decision(winner=0, method="judge", reason="r", details=DecisionTrace(llm_calls=CALLS)))
    store.save_decision("t1", Decision(winner=0, method="judge", reason="r",
                                       details=DecisionTrace(llm_calls=CALLS[1:2])))  # a redelivery: one call
    with engine.connect() as conn:
        assert spent_since(conn, s, utc_day_start()) == pytest.approx(0.004 + 1200 * 1e-6 + 80 * 2e-6)
    stored = store.decision("t1")
    assert stored is not None and stored.details.llm_calls == CALLS[1:2]


def test_a_nul_in_a_reply_is_stored(engine: Engine) -> None:
    """PostgreSQL text cannot hold NUL; a model's reply head may."""
    store = TaskStore(engine)
    _task(store, "t1")
    bad = LlmCall(purpose="codet_tests", model=PRICED, tokens_in=5, tokens_out=5, accepted=0,
                  error="no valid assert in the reply", reply_head="assert\x00")
    store.save_decision("t1", Decision(winner=0, method="codet", reason="r", details=DecisionTrace(llm_calls=[bad])))
    stored = store.decision("t1")
    assert stored is not None and stored.details.llm_calls[0].reply_head == "assert\ufffd"


# What the ranking stored before the calls had a table: every key, as the old writers wrote them.
OLD_DETAILS: dict[str, Any] = {
    "strategy": "auto",
    "chain": [{"method": "tests", "outcome": "skipped", "why": "the task has no tests"},
              {"method": "self_consistency", "outcome": "no clear majority", "why": "agreement 40% is below"},
              {"method": "judge", "outcome": "decided", "why": "B handles duplicates"}],
    "probe_inputs": {"count": 7, "by_source": {"prompt": 1, "tests": 0, "generated": 5, "mutated": 1}},
    "self_consistency": {"clusters": [{"members": [2, 0], "size": 2, "examples_matched": 1, "all_failed": False,
                                       "outputs": ["ok:[]", "ok:[1]"]}],
                         "n_clusters": 3, "voters": 5,
                         "inputs": [{"args": "([],)", "expected": "[]", "source": "prompt"}]},
    "judge": {"model": JUDGE_MODEL, "shown": [2, 1], "fell_back": False,
              "verdicts": [{"order": [2, 1], "choice": 1, "reason": "B handles duplicates", "error": None,
                            "raw_head": "{\"choice\": \"B\"}", "tokens_in": 1200, "tokens_out": 80}]},
    "llm_calls": [{"purpose": "generated_inputs", "model": PRICED, "requested": 6, "accepted": 5, "tokens_in": 300,
                   "tokens_out": 40},
                  {"purpose": "judge", "model": JUDGE_MODEL, "tokens_in": 1200, "tokens_out": 80, "error": None},
                  {"purpose": "judge", "model": JUDGE_MODEL, "error": "APITimeoutError: Request timed out."}],
    "llm_usage": {"calls": 3, "tokens_in": 1500, "tokens_out": 120},
    "timings": {"generate_ms": 812.5, "execute_ms": 301.2, "rank_ms": 95.0},
    "early_stop": {"after_wave": 1, "candidates_skipped": 4, "waves": [4, 4]},
    "budget": {"tier": "standard", "route": "probe", "routed_tier": "cheap", "reserved_usd": 0.0123,
               "budget_usd": 0.5, "downgrade": None, "candidates_skipped": 4, "saved_usd_est": 0.004,
               "timed_out": False},
    "a_key_this_version_never_wrote": {"kept": True},
}


def _superset(new: Any, old: Any) -> bool:
    """``new`` holds everything ``old`` did (dicts may have more keys)."""
    if isinstance(old, dict):
        return isinstance(new, dict) and all(k in new and _superset(new[k], v) for k, v in old.items())
    if isinstance(old, list):
        return isinstance(new, list) and len(new) == len(old) and all(map(_superset, new, old))
    return new == old


def test_old_rows_move_their_calls_to_the_table_read_the_same_and_still_count(engine: Engine, tmp_path: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)
    command.downgrade(alembic_config(url), "0007_admin_keys")
    with Session(engine) as s:  # the rows as the previous release wrote them
        s.add(Task(id="old", status="done", model=PRICED, n=2))
        s.flush()
        s.add(DecisionRow(task_id="old", winner_index=1, method="judge", reason="r", details=OLD_DETAILS))
        s.commit()
    migrate(url)

    with engine.connect() as conn:
        details = conn.execute(select(DecisionRow.details)).scalar_one()  # type: ignore[call-overload]
        assert "llm_calls" not in details and "llm_usage" not in details
        assert details == {k: v for k, v in OLD_DETAILS.items() if k not in ("llm_calls", "llm_usage")}
        assert conn.execute(select(DecisionLlmCallRow.seq)).scalars().all() == [0, 1, 2]  # type: ignore[call-overload]
        rank = _ranking(spend_by_model_day(conn, _settings(tmp_path), utc_day_start()))
    assert (rank[JUDGE_MODEL].calls, rank[JUDGE_MODEL].tokens_in, rank[JUDGE_MODEL].tokens_out) == (2, 1200, 80)
    assert (rank[PRICED].calls, rank[PRICED].cost_usd) == (1, pytest.approx(PRICED_USD))

    decision = TaskStore(engine).decision("old")
    assert decision is not None
    trace = decision.details
    assert trace.budget is not None and trace.budget.routed_tier == "cheap"
    assert trace.judge == JudgeTrace(model=JUDGE_MODEL, shown=[2, 1], verdicts=[JudgeVerdict(
        order=[2, 1], choice=1, reason="B handles duplicates", raw_head="{\"choice\": \"B\"}", tokens_in=1200,
        tokens_out=80)])
    assert [c.purpose for c in trace.llm_calls] == ["generated_inputs", "judge", "judge"]
    assert trace.llm_usage is not None and trace.llm_usage.model_dump() == OLD_DETAILS["llm_usage"]
    # what GET /v1/tasks/{id} shows for the old row holds everything it showed before
    assert _superset(decision.model_dump()["details"], OLD_DETAILS)

    command.downgrade(alembic_config(url), "0007_admin_keys")  # and back: the calls return to the JSON
    with engine.connect() as conn:
        details = conn.execute(select(DecisionRow.details)).scalar_one()  # type: ignore[call-overload]
    assert details["llm_usage"] == OLD_DETAILS["llm_usage"]
    assert _superset(details["llm_calls"], OLD_DETAILS["llm_calls"])
    migrate(url)
