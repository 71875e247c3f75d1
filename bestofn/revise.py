"""Revision rounds: the sequential axis of test-time compute, as pure decisions over stored rows.

After the waves, while no candidate passes every test, one round asks the model to fix the
best candidate so far (the top of the tests ranking) given its run's feedback
(``bestofn/feedback.py``). The reply is a new candidate with the next index, executed and
ranked like any other. Rounds stop when a candidate passes every test, when the rounds or the
time run out, or when a round's revision ran but passed no more tests than the best before it.
A bad reply (an endpoint error, prose without code) costs its round and the next round tries
again. Everything here reads the candidates and results already stored, so a redelivered task
makes the same choices and reuses the rounds it already paid for (``bestofn/pipeline.py``).
"""

from __future__ import annotations

from bestofn.rerank.by_tests import rank_by_tests
from bestofn.schemas import Candidate, ExecutionResult, Problem
from bestofn.settings import Settings
from bestofn.trace import RevisionRoundTrace, RevisionTrace

REVISING_STRATEGIES = ("revise", "auto")


def planned_rounds(problem: Problem, settings: Settings) -> int:
    """Rounds this problem may take: 0 under a strategy that does not revise; the problem's
    ``max_revisions`` (admission fills it from the tier), else ``settings.default_revisions`` under
    'revise' and 0 under 'auto'. Without tests the rounds' feedback comes from the prompt's examples
    and from disagreement between candidates (bestofn/untested.py)."""
    if problem.strategy not in REVISING_STRATEGIES:
        return 0
    if problem.max_revisions is not None:
        return problem.max_revisions
    return settings.default_revisions if problem.strategy == "revise" else 0


def solved(results: dict[int, ExecutionResult]) -> bool:
    return any(r.all_passed for r in results.values())


def parent_to_revise(candidates: list[Candidate], results: dict[int, ExecutionResult]) -> Candidate | None:
    """The best candidate with code and a result (the tests ranking's order), or None when none ran."""
    ran = [c for c in candidates if c.usable and c.index in results]
    if not ran:
        return None
    top = rank_by_tests(ran, results)[0].index
    return next(c for c in ran if c.index == top)


def best_before(index: int, results: dict[int, ExecutionResult]) -> int:
    """Most tests any candidate before ``index`` passed."""
    return max((r.tests_passed for i, r in results.items() if i < index), default=0)


def improved(index: int, results: dict[int, ExecutionResult]) -> bool:
    """Whether candidate ``index``'s run passed more tests than every candidate before it."""
    result = results.get(index)
    return result is not None and result.tests_passed > best_before(index, results)


def round_outcome(cand: Candidate, results: dict[int, ExecutionResult]) -> str:
    """What one round's candidate came to, in words for the trace."""
    if not cand.usable:
        return f"bad reply ({(cand.error or 'no code').split(':')[0]}): the round is spent"
    result = results.get(cand.index)
    if result is None:
        return "not run"
    if result.all_passed:
        return "passed every test"
    return "improved" if improved(cand.index, results) else "no new test passed"


def revision_trace(candidates: list[Candidate], results: dict[int, ExecutionResult], planned: int, stopped: str,
                   winner: int | None, sources: dict[int, str] | None = None) -> RevisionTrace:
    """The rounds as stored rows show them, and the winner's round and parent; ``results`` are the
    runs on the tests (on the prompt's examples for a task without tests), ``sources`` where each
    round's feedback came from, when this run made it."""
    revised = [c for c in candidates if c.round >= 1]
    by_index = {c.index: c for c in candidates}
    won = by_index.get(winner) if winner is not None else None
    return RevisionTrace(
        rounds_planned=planned, stopped=stopped,
        rounds=[RevisionRoundTrace(round=c.round, candidate=c.index, parent=c.parent,
                                   outcome=round_outcome(c, results),
                                   tests_passed=results[c.index].tests_passed if c.index in results else None,
                                   feedback=(sources or {}).get(c.index))
                for c in sorted(revised, key=lambda c: c.round)],
        winner_round=won.round if won else None, winner_parent=won.parent if won else None,
    )
