"""The ``task_budget`` table: what the budget decided for a task, and what early stop saved.

One row per task, written at admission (before any spend) and completed when
the task ends, so an operator can audit every downgrade and reservation.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel

from bestofn.models import CandidateRow, DecisionRow, utcnow

# Spend queries filter LLM calls by time (bestofn.budget.spend); migration 0003_budget creates these.
Index("ix_candidate_created_at", CandidateRow.__table__.c.created_at)  # type: ignore[attr-defined]
Index("ix_decision_created_at", DecisionRow.__table__.c.created_at)  # type: ignore[attr-defined]


class TaskBudget(SQLModel, table=True):
    """The admitted plan (tier, sampling, reservation) and the run's savings."""

    __tablename__ = "task_budget"

    task_id: str = Field(foreign_key="task.id", primary_key=True, max_length=32, ondelete="CASCADE")
    tier: str = Field(max_length=64, description="Tier whose samples the task may spend.")
    route: str = Field(max_length=16, description="explicit | probe | default: how the tier was chosen.")
    probe_tier: str | None = Field(default=None, max_length=64)
    probe_temperature: float | None = None
    probe_max_tokens: int | None = None
    max_tokens: int
    timeout_s: float
    budget_usd: float = Field(description="Per-task budget applied (the task's budget_usd or the policy's).")
    reserved_usd: float = Field(description="Worst-case cost at admission; held against the daily budget.")
    reserved_tokens: int
    downgrade: str | None = Field(default=None, sa_column=Column(Text), description="Why fewer samples or a cheaper tier.")
    routed_tier: str | None = Field(default=None, max_length=64, description="After the run: the tier that sufficed.")
    saved_usd: float = Field(default=0.0, description="Estimate: skipped candidates x mean cost of the generated ones.")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
