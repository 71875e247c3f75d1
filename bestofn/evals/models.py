"""Tables for batch evaluations: ``eval_run`` (one evaluation) and ``eval_sample``
(one completion of one task, with its outcome).

A run's progress and report are recomputed from its sample rows; (run_id, task_id,
sample_index) is unique so a resumed or redelivered run never duplicates a sample.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import JSON, Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bestofn.models import _ts, new_id

EvalStatus = Literal["queued", "generating", "executing", "ranking", "done", "failed"]
SampleStatus = Literal["pending", "done"]


class EvalRun(SQLModel, table=True):
    """One evaluation: its configuration, where it stands, and its report once done."""

    __tablename__ = "eval_run"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    name: str = Field(max_length=200, unique=True, index=True)
    status: str = Field(default="queued", index=True, max_length=16)
    dataset: str = Field(max_length=500)
    samples_path: str | None = Field(default=None, sa_column=Column(Text))
    samples_sha256: str | None = Field(default=None, max_length=64)
    config: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    metrics: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class EvalSample(SQLModel, table=True):
    """One sample: the completion, its hidden-test outcome, and what rankers may see.

    ``probe`` holds the sample's behaviour on the prompt's own examples
    (``{"inputs": [[args, expected], ...], "fps": [...]}``): rankers use only
    that, never ``passed``, so reranked figures are honest.
    """

    __tablename__ = "eval_sample"
    __table_args__ = (UniqueConstraint("run_id", "task_id", "sample_index", name="uq_eval_sample_key"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="eval_run.id", index=True, max_length=32, ondelete="CASCADE")
    task_id: str = Field(max_length=200)
    sample_index: int
    status: str = Field(default="pending", max_length=16)
    completion: str = Field(default="", sa_column=Column(Text, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(Text))
    passed: bool | None = None
    result: str | None = Field(default=None, sa_column=Column(Text))
    exec_status: str | None = Field(default=None, max_length=16)
    tests_passed: int = 0
    tests_total: int = 0
    runtime_ms: float | None = None
    probe: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    gen_latency_ms: float = 0.0
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
