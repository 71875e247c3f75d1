"""Rank by execution on the tests: pass rate first, then runtime, then index.

Deterministic: a stable sort on (-pass_rate, runtime among equals, index).
Candidates with no code or no result rank last with pass rate 0.
"""

from __future__ import annotations

from bestofn.schemas import Candidate, ExecutionResult, RankedCandidate


def score_of(cand: Candidate, result: ExecutionResult | None) -> dict[str, float | int | str | None]:
    """The score components a user sees for one candidate."""
    if result is None:
        return {"pass_rate": 0.0, "tests_passed": 0, "tests_total": 0, "runtime_ms": None,
                "status": "missing" if cand.usable else "no_code"}
    return {
        "pass_rate": round(result.pass_rate if result.status != "error" or result.tests_passed else 0.0, 6),
        "tests_passed": result.tests_passed,
        "tests_total": result.tests_total,
        "runtime_ms": round(result.runtime_ms, 3),
        "status": result.status,
    }


def _runtime_key(score: dict) -> float:
    rt = score.get("runtime_ms")
    return float(rt) if rt is not None else float("inf")


def rank_by_tests(candidates: list[Candidate], results: dict[int, ExecutionResult]) -> list[RankedCandidate]:
    """Best first: most tests passed (as a share), then lower runtime, then lower index."""
    scored = [(c.index, score_of(c, results.get(c.index))) for c in candidates]
    scored.sort(key=lambda t: (-float(t[1]["pass_rate"] or 0.0), _runtime_key(t[1]), t[0]))
    return [RankedCandidate(index=i, rank=r + 1, score=s) for r, (i, s) in enumerate(scored)]
