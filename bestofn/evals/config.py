"""What an evaluation run was asked to do, stored as the run's ``config`` JSON."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bestofn.evals.jsonl import InputError
from bestofn.schemas import MAX_REVISIONS, Printable


def parse_ks(text: str) -> list[int]:
    """``"1,10,100"`` -> [1, 10, 100]; InputError on anything but positive integers."""
    try:
        ks = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise InputError(f"--k must be positive integers separated by commas (e.g. 1,10,100), got {text!r}") from None
    if not ks or ks[0] < 1:
        raise InputError(f"--k must be positive integers separated by commas (e.g. 1,10,100), got {text!r}")
    return ks


class EvalConfig(BaseModel):
    """The knobs of one run; resuming a run reuses them."""

    model_config = ConfigDict(extra="forbid")

    dataset: str = "humaneval"
    mode: Literal["samples", "generate"] = "samples"
    ks: list[int] = Field(default_factory=lambda: [1, 10, 100])
    task_ids: list[str] | None = Field(default=None, description="Generate mode: a subset of the dataset.")
    language: str | None = Field(default=None, max_length=32,
                                 description="The language samples are in, for sets that take one (lcb); None: "
                                             "the set's own.")
    model: Printable | None = Field(default=None, max_length=200)
    n: int | None = Field(default=None, ge=1, le=1000)
    temperature: float = Field(default=0.8, ge=0.0, le=2.0)
    max_tokens: int | None = Field(default=None, ge=1, le=32_768)
    seed: int = 0
    timeout_s: float | None = Field(default=None, gt=0, le=300)
    memory_mb: int | None = Field(default=None, ge=32, le=8192)
    workers: int | None = Field(default=None, ge=1, le=64)
    strategy: Literal["samples", "parallel", "revise", "auto"] = Field(
        default="samples", description="Generate mode: 'samples' asks for n independent samples per problem; "
                                       "the others solve each problem as a task through the pipeline "
                                       "(bestofn/evals/solving.py) and score its winner.")
    max_revisions: int | None = Field(default=None, ge=0, le=MAX_REVISIONS,
                                      description="Revision rounds per task under strategy 'revise' or 'auto'.")
    rerank: bool = Field(default=True, description="Probe behaviour and report reranked pass@1 per ranker.")
    run_duplicates: bool = Field(default=False, description="Run every copy of a program on the hidden tests; "
                                                            "False: identical program texts run once and share "
                                                            "the result.")
    curve_draws: int = Field(default=20, ge=1, le=1000, description="Random subsets per N for reranked pass@1.")

    @field_validator("ks")
    @classmethod
    def _positive(cls, v: list[int]) -> list[int]:
        if not v or min(v) < 1:
            raise ValueError("ks must be positive integers")
        return sorted(set(v))
