"""SQLModel tables for the main pipeline: task, candidate, execution, decision.

Alembic owns the schema (migrations/); nothing calls ``create_all`` outside tests
of the migrations themselves. Everything the API shows is recomputed from rows.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, Literal

from sqlalchemy import JSON, Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

TaskStatus = Literal["queued", "generating", "executing", "ranking", "done", "failed", "cancelled"]
"""The one list of a task's status words: the column holds one, the API filters and shows one."""
TERMINAL_STATUSES: frozenset[TaskStatus] = frozenset({"done", "failed", "cancelled"})
RUNNING_STATUSES: tuple[TaskStatus, ...] = ("generating", "executing", "ranking")  # a worker holds the lease


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return uuid.uuid4().hex


def is_row_id(value: str) -> bool:
    """Whether ``value`` could be an id from ``new_id`` (32 hex digits); anything else cannot exist.

    Routes check this before the database sees the value: a NUL byte is an error to PostgreSQL.
    """
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def _ts(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, **kw))


class Task(SQLModel, table=True):
    """One submitted problem and where its work stands."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    status: str = Field(default="queued", index=True, max_length=16)
    strategy: str = Field(default="auto", max_length=32)
    model: str = Field(default="", max_length=200)
    n: int = 8
    temperature: float = 0.8
    problem: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(Text))
    winner_index: int | None = None
    no_passing_candidate: bool = False
    cancel_requested: bool = False
    attempts: int = 0
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_expires_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), index=True))
    early_stopped: bool = False
    candidates_skipped: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    latency_ms: float | None = None
    api_key_id: str | None = Field(default=None, max_length=32, index=True)
    created_at: datetime = _ts(index=True)
    updated_at: datetime = _ts()
    started_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class CandidateRow(SQLModel, table=True):
    """One generated candidate; (task_id, index) is unique so redelivery never duplicates."""

    __tablename__ = "candidate"
    __table_args__ = (UniqueConstraint("task_id", "index", name="uq_candidate_task_index"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(foreign_key="task.id", index=True, max_length=32, ondelete="CASCADE")
    index: int
    code: str = Field(default="", sa_column=Column(Text, nullable=False))
    raw: str = Field(default="", sa_column=Column(Text, nullable=False))
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: float = 0.0
    cost_usd: float = 0.0
    seed: int | None = None
    error: str | None = Field(default=None, sa_column=Column(Text))
    parent: int | None = None  # the index of the candidate this one revises; None for a fresh sample
    round: int = 0  # revision round; 0 for a fresh sample
    reasoning_effort: str | None = Field(default=None, max_length=16)
    max_completion_tokens: int | None = None
    reasoning_tokens: int = 0
    created_at: datetime = _ts()


class ExecutionRow(SQLModel, table=True):
    """One candidate's sandbox run against the task's tests, with per-test results."""

    __tablename__ = "execution"
    __table_args__ = (UniqueConstraint("task_id", "candidate_index", name="uq_execution_task_candidate"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(foreign_key="task.id", index=True, max_length=32, ondelete="CASCADE")
    candidate_index: int
    status: str = Field(max_length=16)
    all_passed: bool = False
    tests_passed: int = 0
    tests_total: int = 0
    runtime_ms: float = 0.0
    cpu_ms: float | None = None
    compile_ms: float | None = None
    exit_code: int | None = None
    timed_out: bool = False
    oom_killed: bool = False
    tests: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    stdout: str = Field(default="", sa_column=Column(Text, nullable=False))
    stderr: str = Field(default="", sa_column=Column(Text, nullable=False))
    truncated: bool = False
    isolation: str = Field(default="per_candidate", max_length=16)
    created_at: datetime = _ts()


class DecisionRow(SQLModel, table=True):
    """How the winner was picked and why; one per task."""

    __tablename__ = "decision"

    task_id: str = Field(foreign_key="task.id", primary_key=True, max_length=32, ondelete="CASCADE")
    winner_index: int | None = None
    method: str = Field(max_length=32)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    runner_up: int | None = None
    agreement_rate: float | None = None
    confidence: float | None = None
    no_passing_candidate: bool = False
    ranking: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts()


class DecisionLlmCallRow(SQLModel, table=True):
    """One LLM call the ranking made for a decision (``DecisionTrace.llm_calls``, in order).

    A table rather than JSON in ``decision.details`` so spend and stats sum plain columns
    (bestofn/budget/spend.py) the same way on SQLite and PostgreSQL. Rewritten with its decision.
    """

    __tablename__ = "decision_llm_call"

    task_id: str = Field(foreign_key="decision.task_id", primary_key=True, max_length=32, ondelete="CASCADE")
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    purpose: str = Field(max_length=32)
    model: str = Field(default="", max_length=200)
    tokens_in: int = 0
    tokens_out: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    requested: int | None = None
    accepted: int | None = None
    reply_head: str | None = Field(default=None, sa_column=Column(Text))
