"""Task service: create a task from a problem and build the view users see.

Shared by the REST routes, ``bestofn solve``/``submit`` and the tests, so the
API, the CLI's ``--json`` and the stored rows always agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from bestofn.budget.admission import budget_admission
from bestofn.budget.routing import plan_task
from bestofn.errors import ProblemRejected  # re-exported: the API and CLI catch it from here
from bestofn.models import Task
from bestofn.schemas import Candidate, Decision, ExecutionResult, Problem
from bestofn.settings import Settings, get_settings
from worker.store import TaskStore


def check_limits(problem: Problem, s: Settings) -> None:
    """Service limits beyond the schema's (they are settings, so not in the schema)."""
    if problem.n is not None and problem.n > s.max_n:
        raise ProblemRejected("n", f"at most {s.max_n} candidates per task (got {problem.n})")
    if len(problem.prompt) > s.max_prompt_chars:
        raise ProblemRejected("prompt", f"at most {s.max_prompt_chars} characters (got {len(problem.prompt)})")
    if problem.tests is not None:
        if len(problem.tests.code) > s.max_tests_chars:
            raise ProblemRejected("tests.code", f"at most {s.max_tests_chars} characters")
        if problem.tests.format == "humaneval" and not problem.entry_point:
            raise ProblemRejected("entry_point", "required with tests.format 'humaneval' (the function check() calls)")
        if problem.tests.format == "io":
            _check_io_pairs(problem.tests.code)


def _check_io_pairs(code: str) -> None:
    import json

    try:
        pairs = json.loads(code)
    except json.JSONDecodeError as exc:
        raise ProblemRejected("tests.code", f"io tests must be a JSON list of {{input, output}}: {exc.msg}") from exc
    if not isinstance(pairs, list) or not pairs or not all(
        isinstance(p, dict) and isinstance(p.get("input"), str) and isinstance(p.get("output"), str) for p in pairs
    ):
        raise ProblemRejected("tests.code", "io tests must be a non-empty JSON list of {\"input\": str, \"output\": str}")


def create_task(problem: Problem, *, store: TaskStore | None = None, settings: Settings | None = None,
                api_key_id: str | None = None) -> Task:
    """Validate service limits, apply the budget policy and store a queued task (the caller enqueues it).

    The tier fills what the task left open; the guard refuses (ProblemRejected) or
    downgrades it before any token is bought (bestofn.budget).
    """
    s = settings or get_settings()
    check_limits(problem, s)
    with budget_admission(store or TaskStore(), s) as admission:
        plan = admission.fit(plan_task(problem, s, admission.policy))
        return admission.store(Task(
            status="queued",
            strategy=plan.problem.strategy,
            model=plan.model,
            n=plan.n,
            temperature=plan.problem.temperature,
            problem=plan.problem.model_dump(mode="json"),
            api_key_id=api_key_id,
        ))


class CandidateView(BaseModel):
    index: int
    code: str
    error: str | None
    tokens_in: int
    tokens_out: int
    latency_ms: float
    cost_usd: float
    execution: ExecutionResult | None = None


class WinnerView(BaseModel):
    index: int
    code: str
    scores: dict[str, Any] = Field(default_factory=dict)


class Progress(BaseModel):
    n: int
    generated: int
    executed: int


class TaskView(BaseModel):
    """The task as the API and ``--json`` show it."""

    id: str
    status: str
    strategy: str
    model: str
    reason: str | None
    created_at: datetime
    finished_at: datetime | None
    progress: Progress
    no_passing_candidate: bool
    early_stopped: bool
    tokens_in: int
    tokens_out: int
    cost_usd: float
    latency_ms: float | None
    winner: WinnerView | None
    ranking: list[dict[str, Any]]
    decision: dict[str, Any] | None
    candidates: list[CandidateView] | None = None
    links: dict[str, str] = Field(default_factory=dict)


def task_view(task: Task, store: TaskStore, *, with_candidates: bool = True) -> TaskView:
    """Recompute the user's view from the rows."""
    cands: list[Candidate] = store.candidates(task.id)
    execs = store.executions(task.id)
    decision: Decision | None = store.decision(task.id)
    winner = None
    ranking: list[dict[str, Any]] = []
    if decision is not None:
        ranking = [r.model_dump() for r in decision.ranking]
        by_index = {c.index: c for c in cands}
        if decision.winner is not None and decision.winner in by_index:
            top = next((r for r in decision.ranking if r.index == decision.winner), None)
            winner = WinnerView(index=decision.winner, code=by_index[decision.winner].code,
                                scores=dict(top.score) if top else {})
    return TaskView(
        id=task.id, status=task.status, strategy=task.strategy, model=task.model, reason=task.reason,
        created_at=task.created_at, finished_at=task.finished_at,
        progress=Progress(n=task.n, generated=len(cands), executed=len(execs)),
        no_passing_candidate=task.no_passing_candidate, early_stopped=task.early_stopped,
        tokens_in=task.tokens_in, tokens_out=task.tokens_out, cost_usd=round(task.cost_usd, 8),
        latency_ms=task.latency_ms, winner=winner, ranking=ranking,
        decision=decision.model_dump(exclude={"ranking"}) if decision else None,
        candidates=[
            CandidateView(index=c.index, code=c.code, error=c.error, tokens_in=c.tokens_in, tokens_out=c.tokens_out,
                          latency_ms=c.latency_ms, cost_usd=c.cost_usd, execution=execs.get(c.index))
            for c in cands
        ] if with_candidates else None,
        links={"self": f"/v1/tasks/{task.id}", "cancel": f"/v1/tasks/{task.id}/cancel"},
    )
