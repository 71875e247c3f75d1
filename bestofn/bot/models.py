"""The bot's values: a test run compared with the baseline, and a candidate's outcome.

The generated reply itself is a ``bestofn.schemas.Candidate`` (``code`` holds the
canonical diff), so the bot's candidates look like every other candidate.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from bestofn.schemas import Candidate, Decision, TestOutcome

COULD_NOT_START = "the test command could not start"  # TestRun.error's prefix when the shell could not run it
OutcomeStatus = Literal["llm_error", "no_patch", "not_applied", "no_change", "tests_only", "run_error", "ran"]
# tests_only: the patch changed nothing but test infrastructure (bestofn/bot/test_infra.py), so nothing ran
PASSING = {"passed", "skipped"}


class TestRun(BaseModel):
    """One run of the test command: per-test outcomes (from JUnit XML) and what the command did."""

    __test__ = False  # not a pytest test class, despite the name

    tests: dict[str, str] = Field(default_factory=dict, description="test id -> passed|failed|error|skipped")
    exit_code: int | None = None
    runtime_ms: float = 0.0
    output: str = ""
    timed_out: bool = False
    per_test: bool = True  # False: no report, the whole command counts as one test
    error: str | None = None  # the run could not happen (engine, image), not a test failure

    @classmethod
    def from_outcomes(cls, outcomes: list[TestOutcome] | None, command: str, **fields: object) -> "TestRun":
        """Collapse outcomes by id (a test reported twice keeps its worst result); no report: the command is the test."""
        if outcomes is None:
            ok = fields.get("exit_code") == 0 and not fields.get("timed_out")
            return cls(tests={command: "passed" if ok else "failed"}, per_test=False, **fields)  # type: ignore[arg-type]
        tests: dict[str, str] = {}
        for o in outcomes:
            if tests.get(o.name, "passed") in PASSING:
                tests[o.name] = o.outcome
        return cls(tests=tests, **fields)  # type: ignore[arg-type]

    @property
    def could_not_start(self) -> bool:
        """The command itself failed to start (missing program or runner): an environment error, not a test."""
        return (self.error or "").startswith(COULD_NOT_START)

    @property
    def failing(self) -> list[str]:
        return sorted(t for t, o in self.tests.items() if o not in PASSING)

    @property
    def passing(self) -> list[str]:
        return sorted(t for t, o in self.tests.items() if o == "passed")


class PatchOutcome(BaseModel):
    """What one candidate patch did to the suite, against the baseline run."""

    index: int
    status: OutcomeStatus
    detail: str = ""
    changed_lines: int = 0
    fixed: list[str] = Field(default_factory=list)
    broken: list[str] = Field(default_factory=list)
    still_failing: list[str] = Field(default_factory=list)
    runtime_ms: float | None = None
    agreement: int = 1  # candidates that produced this same canonical diff
    not_run: list[str] = Field(default_factory=list, description="test-infrastructure paths whose changes were dropped")

    @property
    def fixes_all(self) -> bool:
        return self.status == "ran" and not self.still_failing and not self.broken and bool(self.fixed)


def compare_runs(baseline: TestRun, after: TestRun) -> tuple[list[str], list[str], list[str]]:
    """(fixed, broken, still failing): failing before and passing now; passing before and not now
    (missing counts: a test that no longer runs is not a pass); failing before and not passing now."""
    before_failing = set(baseline.failing)
    fixed = sorted(t for t in before_failing if after.tests.get(t) == "passed")
    broken = sorted(t for t in baseline.passing if after.tests.get(t) != "passed")
    still = sorted(before_failing - set(fixed))
    return fixed, broken, still


class BotResult(BaseModel):
    """Everything one ``propose`` run found: enough to write the report and publish the patch."""

    repo: str
    test_command: str
    model: str
    baseline: TestRun
    context_files: list[str] = Field(default_factory=list)
    context_cut: list[str] = Field(default_factory=list)
    context_left_out: list[str] = Field(default_factory=list)
    candidates: list[Candidate] = Field(default_factory=list)
    outcomes: list[PatchOutcome] = Field(default_factory=list)
    decision: Decision | None = None
    winner_diff: str = ""
    winner_files: dict[str, str | None] = Field(default_factory=dict, description="path -> new text; None: deleted")
    winner_executable: list[str] = Field(default_factory=list)
    head_sha: str | None = Field(default=None, description="The checkout's HEAD commit the patch was tested on.")

    @property
    def nothing_to_fix(self) -> bool:
        return self.baseline.error is None and not self.baseline.failing

    @property
    def winner(self) -> PatchOutcome | None:
        if self.decision is None or self.decision.winner is None:
            return None
        return next(o for o in self.outcomes if o.index == self.decision.winner)
