"""Task service: create a task from a problem and build the view users see.

Shared by the REST routes, ``bestofn solve``/``submit`` and the tests, so the
API, the CLI's ``--json`` and the stored rows always agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from bestofn.budget.admission import budget_admission
from bestofn.budget.guard import client_named, require_price
from bestofn.budget.routing import plan_task
from bestofn.errors import ProblemRejected  # re-exported: the API and CLI catch it from here
from bestofn.llm import cost_usd
from bestofn.models import Task, TaskStatus
from bestofn.schemas import Candidate, Decision, ExecutionResult, Problem, check_runnable
from bestofn.settings import Settings, get_settings
from bestofn.store import TaskStore, TaskSummary
from bestofn.trace import LlmCall


def check_limits(problem: Problem, s: Settings) -> None:
    """Service limits beyond the schema's (they are settings, so not in the schema)."""
    if problem.n is not None and problem.n > s.max_n:
        raise ProblemRejected("n", f"at most {s.max_n} candidates per task (got {problem.n})")
    if len(problem.prompt) > s.max_prompt_chars:
        raise ProblemRejected("prompt", f"at most {s.max_prompt_chars} characters (got {len(problem.prompt)})")
    if problem.tests is not None and len(problem.tests.code) > s.max_tests_chars:
        raise ProblemRejected("tests.code", f"at most {s.max_tests_chars} characters")
    # Problem's own rules again: a problem built with model_copy/model_construct skipped them
    check_runnable(problem.tests, problem.entry_point, problem.limits, problem.language)


def create_task(problem: Problem, *, store: TaskStore | None = None, settings: Settings | None = None,
                api_key_id: str | None = None) -> Task:
    """Validate service limits, apply the budget policy and store a queued task (the caller enqueues it).

    The tier fills what the task left open; the guard refuses (ProblemRejected) or
    downgrades it before any token is bought (bestofn.budget), and a model it cannot
    price is refused where a budget depends on it (``require_price``).
    """
    s = settings or get_settings()
    check_limits(problem, s)
    require_price(problem.model or s.model, s, named=client_named(problem.model, api_key_id, s),
                  budget_given=problem.budget_usd is not None)
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
    parent: int | None = Field(default=None, description="The candidate this one revises; null for a fresh sample.")
    round: int = Field(default=0, description="Revision round; 0 for a fresh sample.")
    reasoning_effort: str | None = None
    max_completion_tokens: int | None = None
    reasoning_tokens: int = 0
    execution: ExecutionResult | None = None


class WinnerView(BaseModel):
    index: int
    code: str
    scores: dict[str, Any] = Field(default_factory=dict)


class Usage(BaseModel):
    """Tokens and estimated USD of one kind of LLM call (priced by ``settings.price_table``)."""

    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0


class Progress(BaseModel):
    """Fresh samples out of ``n``; revision rounds apart, out of the rounds the task may take."""

    n: int
    generated: int
    executed: int
    revisions: int = 0
    max_revisions: int = 0


class TaskView(BaseModel):
    """The task as the API and ``--json`` show it."""

    id: str
    status: TaskStatus
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
    usage: dict[str, Usage] = Field(default_factory=dict,
                                    description="generation (the candidates) and ranking (inputs, CodeT tests, judge); "
                                                "tokens_in/tokens_out/cost_usd above are their sums")
    latency_ms: float | None
    winner: WinnerView | None
    ranking: list[dict[str, Any]]
    decision: dict[str, Any] | None
    candidates: list[CandidateView] | None = None
    links: dict[str, str] = Field(default_factory=dict)


def ranking_calls_usage(calls: list[LlmCall], settings: Settings | None = None) -> Usage:
    """Sum the ranking's LLM calls recorded on the decision (the task row counts only the candidates)."""
    s = settings or get_settings()
    usage = Usage(calls=len(calls), tokens_in=sum(c.tokens_in for c in calls),
                  tokens_out=sum(c.tokens_out for c in calls))
    usage.cost_usd = round(sum(cost_usd(c.model, c.tokens_in, c.tokens_out, s) for c in calls), 8)
    return usage


def task_view(task: Task, store: TaskStore) -> TaskView:
    """Recompute the user's view from the rows, candidates and their executions included."""
    cands: list[Candidate] = store.candidates(task.id)
    execs = store.executions(task.id)
    decision: Decision | None = store.decision(task.id)
    by_index = {c.index: c for c in cands}
    winner = by_index.get(decision.winner) if decision is not None and decision.winner is not None else None
    revisions = {c.index for c in cands if c.round >= 1}
    summary = TaskSummary(generated=len(cands) - len(revisions),
                          paid_calls=sum(1 for c in cands if c.tokens_in or c.tokens_out),
                          executed=len(set(execs) - revisions), revisions=len(revisions), decision=decision,
                          winner_code=winner.code if winner else None)
    view = _view(task, summary)
    view.candidates = [
        CandidateView(**c.model_dump(include=set(CandidateView.model_fields)), execution=execs.get(c.index))
        for c in cands
    ]
    return view


def task_views(tasks: list[Task], store: TaskStore) -> list[TaskView]:
    """Views of a page of tasks without their candidates, in a constant number of queries (the task list)."""
    summaries = store.summaries([t.id for t in tasks])
    return [_view(t, summaries[t.id]) for t in tasks]


def _view(task: Task, summary: TaskSummary) -> TaskView:
    """The view of a task from its row and the summary of its stored work (no candidates)."""
    decision = summary.decision
    winner = None
    ranking: list[dict[str, Any]] = []
    generation = Usage(calls=summary.paid_calls, tokens_in=task.tokens_in, tokens_out=task.tokens_out,
                       cost_usd=task.cost_usd)
    ranking_usage = ranking_calls_usage(decision.details.llm_calls if decision else [])
    if decision is not None:
        ranking = [r.model_dump() for r in decision.ranking]
        if decision.winner is not None and summary.winner_code is not None:
            top = next((r for r in decision.ranking if r.index == decision.winner), None)
            winner = WinnerView(index=decision.winner, code=summary.winner_code,
                                scores=dict(top.score) if top else {})
    return TaskView(
        id=task.id, status=task.status, strategy=task.strategy, model=task.model, reason=task.reason,
        created_at=task.created_at, finished_at=task.finished_at,
        progress=Progress(n=task.n, generated=summary.generated, executed=summary.executed,
                          revisions=summary.revisions, max_revisions=task.problem.get("max_revisions") or 0),
        no_passing_candidate=task.no_passing_candidate, early_stopped=task.early_stopped,
        tokens_in=generation.tokens_in + ranking_usage.tokens_in,
        tokens_out=generation.tokens_out + ranking_usage.tokens_out,
        cost_usd=round(generation.cost_usd + ranking_usage.cost_usd, 8),
        usage={"generation": generation, "ranking": ranking_usage},
        latency_ms=task.latency_ms, winner=winner, ranking=ranking,
        decision=decision.model_dump(exclude={"ranking"}) if decision else None,
        links={"self": f"/v1/tasks/{task.id}", "cancel": f"/v1/tasks/{task.id}/cancel"},
    )
