"""The decision trace: what the ranking tried, what it saw and what its LLM calls cost, typed.

``Decision.details`` is a ``DecisionTrace``: the rankers fill it (bestofn/rerank/steps.py and
policy.py), the pipeline adds timings, early stop and budget (bestofn/pipeline.py), readers use
attributes. On the decision row it is JSON (``decision.details``) except its LLM calls, which
live in ``decision_llm_call`` (bestofn/models.py) so spend is a plain query over columns.

Rows written before the trace was typed validate into it unchanged: every key they held is a
field here, a key this module does not know is kept as it was, and ``llm_usage`` is derived
from the calls rather than read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    computed_field,
    field_serializer,
    model_serializer,
    model_validator,
)

if TYPE_CHECKING:  # the schemas import this module: keep it free of the LLM client
    from bestofn.llm import ChatReply

LlmPurpose = Literal["generated_inputs", "codet_tests", "judge"]


class TraceModel(BaseModel):
    """Base of every trace record: unknown keys of older rows are kept, not refused."""

    model_config = ConfigDict(extra="allow")


class ChainStep(TraceModel):
    """One step of the ranking chain and why it decided or passed the baton."""

    method: str
    outcome: str
    why: str


class LlmCall(TraceModel):
    """One LLM call the ranking made (generated inputs, CodeT tests, a judge verdict)."""

    purpose: LlmPurpose
    model: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    error: str | None = None
    requested: int | None = Field(default=None, description="Inputs or tests asked for (not for the judge).")
    accepted: int | None = Field(default=None, description="Usable ones in the reply.")
    reply_head: str | None = Field(default=None, description="The reply's start, when nothing in it was usable.")

    def failed(self, exc: Exception) -> LlmCall:
        """Record the API error that ended the call."""
        self.error = f"{exc.__class__.__name__}: {str(exc)[:200]}"
        return self

    def answered(self, reply: ChatReply, accepted: int, none_usable: str) -> LlmCall:
        """Record the reply's tokens and how many usable items it held (``none_usable`` is the error if 0)."""
        self.accepted, self.tokens_in, self.tokens_out = accepted, reply.tokens_in, reply.tokens_out
        if not accepted:
            self.error, self.reply_head = none_usable, reply.text[:200]
        return self


class LlmUsage(BaseModel):
    """The ranking's LLM calls summed (derived from ``DecisionTrace.llm_calls``)."""

    calls: int
    tokens_in: int
    tokens_out: int


class ProbeInputsTrace(TraceModel):
    """How many probe inputs self-consistency ran, by where they came from."""

    count: int = 0
    by_source: dict[str, int] = Field(default_factory=dict)


class ClusterTrace(TraceModel):
    """One behaviour cluster: its members (best first) and its outputs' start."""

    members: list[int]
    size: int
    examples_matched: int = 0
    all_failed: bool = False
    outputs: list[str] = Field(default_factory=list)


class ProbeTrace(TraceModel):
    """One probe input as shown in the trace (arguments cut to 200 characters)."""

    args: str
    expected: str | None = None
    source: str = "prompt"


class SelfConsistencyTrace(TraceModel):
    """The first clusters (best first), how many there were and who voted."""

    clusters: list[ClusterTrace] = Field(default_factory=list)
    n_clusters: int = 0
    voters: int = 0
    abstained: list[int] = Field(default_factory=list,
                                 description="Candidates that timed out where others answered: they cast no vote.")
    inputs: list[ProbeTrace] = Field(default_factory=list)


class CodetGroupTrace(TraceModel):
    """Candidates passing the same generated tests, and the group's CodeT score."""

    members: list[int]
    tests_passed: list[int] = Field(default_factory=list)
    score: int = 0


class CodetTrace(TraceModel):
    groups: list[CodetGroupTrace] = Field(default_factory=list)
    generated_tests: list[str] = Field(default_factory=list)


class MajorityTrace(TraceModel):
    """Normalised answers and the candidates giving each, most common first."""

    answers: dict[str, list[int]] = Field(default_factory=dict)


class JudgeVerdict(TraceModel):
    """One judge call: the order it saw, its pick and why, or why the reply was unusable."""

    order: list[int] = Field(default_factory=list)
    choice: int | None = None
    reason: str = ""
    error: str | None = None
    raw_head: str = ""
    tokens_in: int = 0
    tokens_out: int = 0

    @field_serializer("reason")
    def _reason_head(self, reason: str) -> str:
        """The decision's reason quotes the judge in full; the trace keeps its start."""
        return reason[:300]


class JudgeTrace(TraceModel):
    model: str = ""
    shown: list[int] = Field(default_factory=list)
    verdicts: list[JudgeVerdict] = Field(default_factory=list)
    fell_back: bool = False


class EarlyStopTrace(TraceModel):
    after_wave: int
    candidates_skipped: int
    waves: list[int] = Field(default_factory=list)


class BudgetTrace(TraceModel):
    """The admitted plan as the run used it, and what early stop saved (bestofn/budget/runtime.py)."""

    tier: str
    route: str
    routed_tier: str | None = None
    reserved_usd: float = 0.0
    budget_usd: float | None = None
    downgrade: str | None = None
    candidates_skipped: int = 0
    saved_usd_est: float = 0.0
    timed_out: bool = False


class RevisionRoundTrace(TraceModel):
    """One revision round: the candidate it made, the one it revised, and what came of it."""

    round: int
    candidate: int
    parent: int | None = None
    outcome: str
    tests_passed: int | None = None
    feedback: str | None = Field(default=None, description="What the round's feedback came from: tests, the "
                                                           "prompt's examples, or disagreement with the majority.")


class RevisionTrace(TraceModel):
    """The sequential rounds after the samples (bestofn/revise.py) and the round the winner came from."""

    rounds_planned: int
    rounds: list[RevisionRoundTrace] = Field(default_factory=list)
    stopped: str = ""
    winner_round: int | None = None
    winner_parent: int | None = None


class SplitTrace(TraceModel):
    """The width/depth policy's choice under strategy 'auto' (bestofn/split.py): what it read and why."""

    signal: str
    width: int = Field(description="Fresh samples in all.")
    rounds: int = Field(description="Revision rounds allowed.")
    order: str
    revision_share: float
    seen: str
    why: str


class DecisionTrace(TraceModel):
    """Everything behind one decision; a section is None (and absent from the JSON) when its step did not run."""

    strategy: str | None = None
    chain: list[ChainStep] = Field(default_factory=list)
    llm_calls: list[LlmCall] = Field(default_factory=list)
    probe_inputs: ProbeInputsTrace | None = None
    self_consistency: SelfConsistencyTrace | None = None
    codet: CodetTrace | None = None
    majority_vote: MajorityTrace | None = None
    judge: JudgeTrace | None = None
    timings: dict[str, float] | None = None
    early_stop: EarlyStopTrace | None = None
    budget: BudgetTrace | None = None
    revision: RevisionTrace | None = None
    split: SplitTrace | None = None

    @model_validator(mode="before")
    @classmethod
    def _derived_not_read(cls, data: Any) -> Any:
        """Older rows stored ``llm_usage``; it is recomputed from the calls, never trusted."""
        if isinstance(data, dict) and "llm_usage" in data:
            data = {k: v for k, v in data.items() if k != "llm_usage"}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def llm_usage(self) -> LlmUsage | None:
        """The calls summed; None when the ranking made none."""
        if not self.llm_calls:
            return None
        return LlmUsage(calls=len(self.llm_calls), tokens_in=sum(c.tokens_in for c in self.llm_calls),
                        tokens_out=sum(c.tokens_out for c in self.llm_calls))

    @model_serializer(mode="wrap")
    def _sections_that_ran(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Leave out the sections that did not run (and the calls when there were none), as rows always have."""
        return {k: v for k, v in handler(self).items() if v is not None and not (k == "llm_calls" and not v)}

    def note(self, method: str, outcome: str, why: str) -> None:
        """Add one step to the chain."""
        self.chain.append(ChainStep(method=method, outcome=outcome, why=why))

    def stored(self) -> dict[str, Any]:
        """The JSON for ``decision.details``: the calls go to their own table and the usage is derived."""
        return self.model_dump(mode="json", exclude={"llm_calls", "llm_usage"})
