"""Rank by execution on the tests: pass rate first, then trusted verdicts, then revision round, runtime, index.

Deterministic: a stable sort on (-pass_rate, -trusted pass rate, round, runtime among equals, index).
A revision (``round`` >= 1) outranks the candidate it revised only by passing more tests: at an
equal score the earlier round wins, since the revision showed no gain and a faster run of the
same failures is no evidence it is better.
A test graded in the candidate's own process (``trust: in_process``, for tests that need
its live objects) counts as passed, but among equal pass rates the candidate whose
passes the trusted grader decided itself ranks first.
Candidates with no code or no result rank last with pass rate 0.
"""

from __future__ import annotations

from bestofn.schemas import Candidate, ExecutionResult, RankedCandidate


def score_of(cand: Candidate, result: ExecutionResult | None) -> dict[str, float | int | str | None]:
    """The score components a user sees for one candidate."""
    if result is None:
        return {"pass_rate": 0.0, "trusted_pass_rate": 0.0, "tests_passed": 0, "tests_total": 0, "runtime_ms": None,
                "status": "missing" if cand.usable else "no_code"}
    counts = result.status != "error" or result.tests_passed
    return {
        "pass_rate": round(result.pass_rate if counts else 0.0, 6),
        "trusted_pass_rate": round(result.trusted_pass_rate if counts else 0.0, 6),
        "tests_passed": result.tests_passed,
        "tests_total": result.tests_total,
        "runtime_ms": round(result.runtime_ms, 3),
        "status": result.status,
    }


def _runtime_key(score: dict) -> float:
    rt = score.get("runtime_ms")
    return float(rt) if rt is not None else float("inf")


def rank_by_tests(candidates: list[Candidate], results: dict[int, ExecutionResult]) -> list[RankedCandidate]:
    """Best first: most tests passed (as a share), then more of them decided by the trusted grader,
    then the earlier revision round, then lower runtime, then lower index."""
    rounds = {c.index: c.round for c in candidates}
    scored = [(c.index, score_of(c, results.get(c.index))) for c in candidates]
    scored.sort(key=lambda t: (-float(t[1]["pass_rate"] or 0.0), -float(t[1]["trusted_pass_rate"] or 0.0),
                               rounds[t[0]], _runtime_key(t[1]), t[0]))
    return [RankedCandidate(index=i, rank=r + 1, score=s) for r, (i, s) in enumerate(scored)]
