"""Known rows for the stats and metrics tests: eight tasks over three days and two strategies."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bestofn.budget.spend import utc_day_start
from bestofn.models import CandidateRow, DecisionLlmCallRow, DecisionRow, ExecutionRow, Task
from tests.budget.helpers import PRICED

NOW = datetime.now(timezone.utc)
TODAY = utc_day_start(NOW)


def _task(s: Session, tid: str, at: datetime, status: str, strategy: str, latency: float | None, cost: float,
          samples: int, winner: int | None = None, passed: bool = False, agreement: float | None = None,
          llm_calls: list[dict] | None = None, rounds: int = 0) -> None:
    """A task with ``samples`` candidates, the last ``rounds`` of them revision rounds 1, 2, ..."""
    s.add(Task(id=tid, status=status, strategy=strategy, model=PRICED, n=8, created_at=at, latency_ms=latency,
               cost_usd=cost, tokens_in=100 * samples, tokens_out=10 * samples))
    s.flush()
    for i in range(samples):
        round_ = max(0, i - (samples - rounds) + 1)
        s.add(CandidateRow(task_id=tid, index=i, code="x", tokens_in=100, tokens_out=10, cost_usd=cost / samples,
                           created_at=at, round=round_, parent=i - 1 if round_ else None))
    if winner is not None:
        s.add(ExecutionRow(task_id=tid, candidate_index=winner, status="passed" if passed else "failed",
                           all_passed=passed, tests_passed=4 if passed else 1, tests_total=4))
        s.add(DecisionRow(task_id=tid, winner_index=winner, method="tests", agreement_rate=agreement,
                          details={}, created_at=at))
        s.flush()
        s.add_all(DecisionLlmCallRow(task_id=tid, seq=i, **call) for i, call in enumerate(llm_calls or []))


def seed(engine: Engine) -> None:
    """Today/auto: 5 tasks (3 done, 1 failed, 1 queued; a3's last 2 candidates are revision rounds);
    today/tests: 1; yesterday/auto: 1; 20 days ago: 1."""
    t = TODAY + timedelta(minutes=1)
    with Session(engine) as s:
        _task(s, "a1", t, "done", "auto", 100.0, 0.01, 1, winner=0, passed=True)
        _task(s, "a2", t, "done", "auto", 300.0, 0.04, 4, winner=2, passed=True, agreement=0.75,
              llm_calls=[{"purpose": "judge", "model": PRICED, "tokens_in": 1000, "tokens_out": 100},
                         {"purpose": "judge", "model": PRICED, "error": "timeout"}])
        _task(s, "a3", t, "done", "auto", 1000.0, 0.08, 8, winner=1, passed=False, agreement=0.25, rounds=2)
        _task(s, "a4", t, "failed", "auto", 50.0, 0.02, 2)
        _task(s, "a5", t, "queued", "auto", None, 0.0, 0)
        _task(s, "b1", t, "done", "tests", 200.0, 0.05, 3, winner=0, passed=True)
        _task(s, "y1", TODAY - timedelta(hours=1), "done", "auto", 400.0, 0.02, 1, winner=0, passed=True)
        _task(s, "o1", TODAY - timedelta(days=20), "done", "auto", 5.0, 9.0, 1, winner=0, passed=True)
        s.commit()


RANKING_USD = (1000 * 10.0 + 100 * 30.0) / 1e6
