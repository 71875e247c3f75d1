"""Core value types passed between the pipeline steps (pydantic, not ORM).

These are the contracts between api/, worker/, sandbox/ and the rankers:
plain data in, plain data out, so every step is testable without services.
"""

from __future__ import annotations

import keyword
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from bestofn.errors import ProblemRejected
from bestofn.languages import LANGUAGES, Language, canonical, format_error
from bestofn.trace import DecisionTrace
from bestofn.validation import native_tests_error, suite_error

TestFormat = Literal["pytest", "humaneval", "io", "native"]
ExecStatus = Literal["passed", "failed", "error", "timeout", "oom", "syntax_error", "compile_error"]
Strategy = Literal["auto", "tests", "self_consistency", "codet", "majority_vote", "judge", "single", "revise"]
ReasoningEffort = Literal["low", "medium", "high"]
MAX_REVISIONS = 16  # rounds per task: each is a full request with the code and feedback in it
DecisionMethod = Literal[
    "tests", "self_consistency", "codet", "majority_vote", "judge", "single", "none"
]


class TestSuite(BaseModel):
    """Tests in one of the sandbox's formats.

    - ``pytest``: a pytest file importing the candidate from ``solution``.
    - ``humaneval``: HumanEval's ``test`` field verbatim (``def check(candidate): ...``);
      the problem's ``entry_point`` names the function under test.
    - ``io``: a JSON list of ``{"input": str, "output": str}``; the solution is a program
      reading stdin.
    - ``native``: a test program in the problem's language that calls the candidate, as
      MultiPL-E ships it (its ``tests`` field verbatim); each assertion is one test, graded
      in the candidate's own process (``trust: "in_process"``), see ``sandbox/native/``.
    """

    model_config = ConfigDict(extra="forbid")

    format: TestFormat
    code: str = Field(min_length=1, description="pytest source, check() source, JSON list of io pairs, or a native test program")

    @field_validator("code")
    @classmethod
    def _collects_tests(cls, v: str, info: ValidationInfo) -> str:
        """Refuse a suite that would collect no tests in its format (statically): it would score every
        candidate ``error 0/0`` and hide the mistake behind a fallback ranking."""
        fmt = info.data.get("format")  # absent when the format itself is invalid: that error is enough
        if fmt is not None and (why := suite_error(fmt, v)):
            raise PydanticCustomError("tests_format", why)
        return v


def _not_a_keyword(name: str) -> str:
    if keyword.iskeyword(name):
        raise ValueError(f"{name!r} is a Python keyword, not a function name")
    return name


def _printable(text: str) -> str:
    if not text.isprintable():
        raise ValueError("must be printable text (no NUL, newline or other control character)")
    return text


Printable = Annotated[str, AfterValidator(_printable)]
"""A name stored in a text column and shown in logs: PostgreSQL refuses NUL in text, logs a newline."""


UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""NUL (PostgreSQL text refuses it) and a lone surrogate (UTF-8 cannot encode it): a str holds
astral characters as one code point, so any code point in D800-DFFF stands alone."""


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored as it is, or None: input a user sent is refused with this."""
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "holds a NUL character (\\u0000), which PostgreSQL text cannot hold"
    return "holds a lone surrogate (\\ud800-\\udfff), which is not text"


def storable(text: str) -> str:
    """``text`` with each unstorable character as U+FFFD, for text the service did not choose
    (a model's reply, a candidate's output): it is kept, never refused, and never fails a write."""
    return UNSTORABLE.sub("\ufffd", text)


def _refuse_unstorable(text: str) -> str:
    if why := unstorable(text):
        raise ValueError(f"must be storable text: it {why}")
    return text


StorableText = Annotated[str, AfterValidator(_refuse_unstorable)]
"""Free text (code, a completion) a user sends, stored in a text column: refused if ``unstorable``."""


EntryPoint = Annotated[str, StringConstraints(max_length=200, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$"),
                       AfterValidator(_not_a_keyword)]
"""The name of the function under test: a Python identifier (it is called by name in the sandbox)."""


class Limits(BaseModel):
    """Per-run sandbox limits; None means the settings' default."""

    model_config = ConfigDict(extra="forbid")

    timeout_s: float | None = Field(
        default=None, gt=0, le=300,
        description="A candidate's test run, in CPU seconds (a busy machine does not turn a slow run into a "
                    "timeout); one that sleeps or blocks ends after 4x this of wall time.")
    memory_mb: int | None = Field(default=None, ge=32, le=8192)


MAX_TESTS = 100_000  # per candidate: more is a broken or hostile record, not a test suite
MAX_DURATION_MS = 24 * 3600 * 1000.0


class TestOutcome(BaseModel):
    """One test's result, as the in-container runner reports it."""

    name: str = Field(max_length=1000)
    outcome: Literal["passed", "failed", "error", "skipped", "timeout"]
    duration_ms: float = Field(default=0.0, ge=0, le=MAX_DURATION_MS, allow_inf_nan=False)
    message: str = Field(default="", max_length=10_000)
    trust: Literal["trusted", "in_process"] = Field(
        default="trusted",
        description="trusted: decided by the sandbox's grader on plain data; in_process: the test needed the "
                    "candidate's live objects and ran in the candidate's own process, which could have forged it.",
    )


class ExecutionResult(BaseModel):
    """What running one candidate against its suite produced (a value, never an exception)."""

    status: ExecStatus
    all_passed: bool = False
    tests_passed: int = Field(default=0, ge=0, le=MAX_TESTS)
    tests_total: int = Field(default=0, ge=0, le=MAX_TESTS)
    runtime_ms: float = Field(default=0.0, ge=0, le=MAX_DURATION_MS, allow_inf_nan=False,
                              description="Measured by the sandbox's trusted side, never reported by the candidate.")
    cpu_ms: float | None = Field(default=None, ge=0, le=MAX_DURATION_MS, allow_inf_nan=False,
                                 description="CPU time of the candidate's process, from the kernel.")
    exit_code: int | None = None
    timed_out: bool = False
    oom_killed: bool = False
    tests: list[TestOutcome] = Field(default_factory=list)
    stdout: str = ""
    stderr: str = ""
    truncated: bool = False
    isolation: str = "per_candidate"
    compile_ms: float | None = Field(default=None, ge=0, le=MAX_DURATION_MS, allow_inf_nan=False,
                                     description="Compiling the candidate, once (compiled languages); not in runtime_ms.")

    @model_validator(mode="after")
    def _counts_agree(self) -> "ExecutionResult":
        """A record that passes more tests than it ran is broken or forged, never stored."""
        if self.tests_passed > self.tests_total:
            raise ValueError(f"tests_passed ({self.tests_passed}) exceeds tests_total ({self.tests_total})")
        return self

    @property
    def pass_rate(self) -> float:
        """Share of tests passed; 0 when nothing ran."""
        return self.tests_passed / self.tests_total if self.tests_total else 0.0

    @property
    def trusted_pass_rate(self) -> float:
        """Share of tests passed on the trusted side's own judgement (in-process verdicts left out)."""
        untrusted = sum(t.outcome == "passed" and t.trust == "in_process" for t in self.tests)
        return (self.tests_passed - untrusted) / self.tests_total if self.tests_total else 0.0


class Candidate(BaseModel):
    """One generated solution and what it cost to get."""

    index: int
    code: str = ""
    raw: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: float = 0.0
    cost_usd: float = 0.0
    seed: int | None = None
    error: str | None = Field(default=None, description="Why there is no usable code, if so.")
    parent: int | None = Field(default=None, description="The candidate this one revises; None for a fresh sample.")
    round: int = Field(default=0, ge=0, description="Revision round: 0 for a fresh sample.")
    reasoning_effort: ReasoningEffort | None = None
    max_completion_tokens: int | None = None
    reasoning_tokens: int = Field(default=0, ge=0, description="From usage.completion_tokens_details, when reported.")

    @property
    def usable(self) -> bool:
        return self.error is None and bool(self.code.strip())


class RankedCandidate(BaseModel):
    """A candidate's place in the ranking and the score components that put it there."""

    index: int
    rank: int
    score: dict[str, float | int | str | None] = Field(default_factory=dict)


class Decision(BaseModel):
    """Which candidate won, how, and why: stored so a user can audit the choice."""

    winner: int | None
    ranking: list[RankedCandidate] = Field(default_factory=list)
    method: DecisionMethod
    reason: str
    runner_up: int | None = None
    agreement_rate: float | None = None
    confidence: float | None = None
    no_passing_candidate: bool = False
    details: DecisionTrace = Field(default_factory=DecisionTrace)


def _entry_point_for_tests(model: Any) -> Any:
    """humaneval's ``check(candidate)`` is handed the function named ``entry_point``, so it needs one.

    A model validator shared by ``Runnable`` and ``Problem``; the error names ``entry_point``.
    """
    if model.tests is not None and model.tests.format == "humaneval" and not model.entry_point:
        raise ValidationError.from_exception_data(type(model).__name__, [InitErrorDetails(
            type=PydanticCustomError("entry_point_required", "required with tests.format 'humaneval' (the function check() calls)"),
            loc=("entry_point",), input=model.entry_point)])
    return model


def _native_tests_fit(model: Any) -> Any:
    """native tests are read in the problem's language: a program with no assertion its instrumentation
    can report on would score every candidate 0/0, so it is refused naming ``tests.code``.

    A model validator shared by ``Runnable`` and ``Problem`` (python when the model has no language).
    """
    tests = model.tests
    if tests is not None and tests.format == "native":
        language = str(getattr(model, "language", None) or "python")
        if why := native_tests_error(language, tests.code):
            raise ValidationError.from_exception_data(type(model).__name__, [InitErrorDetails(
                type=PydanticCustomError("tests_format", "{why}", {"why": why}),
                loc=("tests", "code"), input=tests.code)])
    return model


def _language(value: Any) -> Any:
    """Aliases ("js", "c++", "golang", any case) to the canonical name; an unknown name is refused listing the known."""
    value = canonical(value)
    if isinstance(value, str) and value not in LANGUAGES:
        # repr: a lone surrogate ("\\ud800") in the message would make the 422 itself unencodable
        raise PydanticCustomError("language", "unknown language {got}; known: {known}",
                                  {"got": repr(value[:50]), "known": ", ".join(LANGUAGES)})
    return value


LanguageName = Annotated[Language, BeforeValidator(_language)]
"""A problem's language: one of ``bestofn.languages.LANGUAGES`` (aliases accepted, stored canonical)."""


def _format_for_language(model: Any) -> Any:
    """pytest and humaneval tests run python functions; other languages take io (and what
    ``bestofn.languages.FORMATS`` adds). A model validator shared by ``Runnable`` and ``Problem``."""
    if model.tests is not None and (why := format_error(model.language, model.tests.format)):
        raise ValidationError.from_exception_data(type(model).__name__, [InitErrorDetails(
            type=PydanticCustomError("format_language", why), loc=("tests", "format"), input=model.tests.format)])
    return model


class Runnable(BaseModel):
    """What the sandbox needs to run a suite, under the same rules as ``Problem`` (see ``check_runnable``)."""

    model_config = ConfigDict(extra="forbid")

    tests: TestSuite | None = None
    entry_point: EntryPoint | None = None
    limits: Limits = Field(default_factory=Limits)
    language: LanguageName = "python"

    _entry_point = model_validator(mode="after")(_entry_point_for_tests)
    _format = model_validator(mode="after")(_format_for_language)
    _native = model_validator(mode="after")(_native_tests_fit)


def check_runnable(tests: TestSuite | None, entry_point: str | None, limits: Limits | None = None,
                   language: str = "python") -> str:
    """Raise ``ProblemRejected`` (a ``ValueError``) naming the field unless the pieces pass ``Problem``'s rules.

    For callers handed the pieces rather than a validated ``Problem`` (the sandbox's public
    functions): a suite built with ``model_construct`` or a raw entry point is checked again,
    so a bad request fails here, before any container starts, exactly as the API would refuse it.
    Returns the canonical language name (aliases accepted).
    """
    data: dict[str, Any] = {"entry_point": entry_point, "language": language}
    if tests is not None:
        data["tests"] = {"format": tests.format, "code": tests.code}
    if limits is not None:
        data["limits"] = {"timeout_s": limits.timeout_s, "memory_mb": limits.memory_mb}
    try:
        return Runnable.model_validate(data).language
    except ValidationError as exc:
        raise ProblemRejected.from_validation(exc) from None


class Problem(BaseModel):
    """A coding problem as users submit it (the ``POST /v1/tasks`` body)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)  # Infinity cannot be stored as JSON

    prompt: str = Field(min_length=1)
    language: LanguageName = "python"
    entry_point: EntryPoint | None = None
    tests: TestSuite | None = None
    n: int | None = Field(default=None, ge=1, description="Candidates; default from settings, bounded by max_n.")
    model: Printable | None = Field(default=None, max_length=200, description="Model name at the endpoint.")
    temperature: float = Field(default=0.8, ge=0.0, le=2.0)
    max_tokens: int | None = Field(default=None, ge=1, le=32_768)
    limits: Limits = Field(default_factory=Limits)
    strategy: Strategy = "auto"
    early_stop: bool | None = None
    tier: Printable | None = Field(default=None, max_length=100)
    budget_usd: float | None = Field(default=None, ge=0)
    max_revisions: int | None = Field(
        default=None, ge=0, le=MAX_REVISIONS,
        description="Revision rounds after the samples (strategy 'revise' or 'auto'); 0 = none. "
                    "Default: the tier's, else settings.default_revisions under 'revise', 0 under 'auto'.")
    revision_share: float | None = Field(
        default=None, ge=0.0, le=1.0,
        description="Under 'auto': how far the width/depth policy shifts (bestofn/split.py): a near miss gives "
                    "this share of its samples to revision rounds, a hard failure this share of its rounds to "
                    "samples. Default: the tier's, else 0.5.")
    reasoning_effort: ReasoningEffort | None = Field(
        default=None, description="Sent as reasoning_effort only when set (reasoning models).")
    max_completion_tokens: int | None = Field(
        default=None, ge=1, le=131_072,
        description="Sent as max_completion_tokens (in place of max_tokens) only when set: the cap on reply "
                    "plus reasoning tokens.")

    @field_validator("prompt")
    @classmethod
    def _prompt_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("prompt must not be blank")
        return v

    _entry_point = model_validator(mode="after")(_entry_point_for_tests)
    _format = model_validator(mode="after")(_format_for_language)
    _native = model_validator(mode="after")(_native_tests_fit)

    @model_validator(mode="after")
    def _revisions_need_a_reviser(self) -> "Problem":
        """Rounds asked for under a strategy that never revises would be silently ignored: refuse them."""
        if self.max_revisions and "strategy" in self.model_fields_set and self.strategy not in ("revise", "auto"):
            raise ValidationError.from_exception_data(type(self).__name__, [InitErrorDetails(
                type=PydanticCustomError("revisions_strategy",
                                         "revision rounds run only under strategy 'revise' or 'auto' (got {s!r})",
                                         {"s": self.strategy}),
                loc=("max_revisions",), input=self.max_revisions)])
        return self

    @model_validator(mode="after")
    def _share_needs_auto(self) -> "Problem":
        """A split share under a strategy without the split policy would be silently ignored: refuse it."""
        if self.revision_share is not None and "strategy" in self.model_fields_set and self.strategy != "auto":
            raise ValidationError.from_exception_data(type(self).__name__, [InitErrorDetails(
                type=PydanticCustomError("share_strategy", "revision_share applies only under strategy 'auto' "
                                                           "(got {s!r})", {"s": self.strategy}),
                loc=("revision_share",), input=self.revision_share)])
        return self

    @property
    def is_io(self) -> bool:
        """A stdin/stdout program: its tests are io pairs, so it is asked for, run and probed as a program."""
        return self.tests is not None and self.tests.format == "io"
