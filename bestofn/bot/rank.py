"""Rank candidate patches and say why the winner won (pure, deterministic).

Order, best first:
1. fixes every originally-failing test and breaks none;
2. fixes at least one failing test;
3. larger net gain (fixed minus broken), then fewer broken: of two patches with
   the same net gain the one that breaks nothing is the safer review;
4. fewer changed lines (a smaller diff is easier to trust);
5. more candidates agreeing on the same diff (self-consistency among equals);
6. lower runtime of the test run, then lower index.
A patch that did not run (no patch, did not apply, no change, run error, or only
test infrastructure) ranks after every patch that ran. Only a patch that fixes at
least one test can win. A patch's changes to test infrastructure (test files,
conftest.py, pytest's configuration, interpreter start-up files) are dropped before
it runs: the verdict comes from the repository's own tests.
"""

from __future__ import annotations

from bestofn.bot.models import PatchOutcome
from bestofn.schemas import Decision, RankedCandidate


def _key(o: PatchOutcome) -> tuple:
    ran = o.status == "ran"
    net = len(o.fixed) - len(o.broken)
    runtime = o.runtime_ms if o.runtime_ms is not None else float("inf")
    return (not ran, not o.fixes_all, not o.fixed, -net, len(o.broken), o.changed_lines, -o.agreement, runtime, o.index)


def score(o: PatchOutcome) -> dict[str, float | int | str | None]:
    """The components a reader of the report sees for one candidate."""
    return {
        "status": o.status,
        "fixes_all": int(o.fixes_all),
        "fixed": len(o.fixed),
        "broken": len(o.broken),
        "changed_lines": o.changed_lines,
        "agreement": o.agreement,
        "runtime_ms": None if o.runtime_ms is None else round(o.runtime_ms, 1),
    }


def _why(win: PatchOutcome, other: PatchOutcome | None, failing_total: int) -> str:
    """One sentence: what the winner did and the first criterion that put it ahead of the runner-up."""
    did = (f"candidate {win.index} fixes {len(win.fixed)}/{failing_total} failing test(s), "
           f"breaks {len(win.broken)}, changes {win.changed_lines} line(s)")
    if other is None:
        return did + "; it was the only candidate that ran"
    a, b = _key(win), _key(other)
    reasons = [
        "the runner-up did not run",
        f"it fixes every failing test and breaks none, candidate {other.index} does not",
        f"it fixes a failing test, candidate {other.index} fixes none",
        f"its net gain (fixed minus broken) {-a[3]} beats {-b[3]} of candidate {other.index}",
        f"it breaks {a[4]} test(s) against {b[4]} for candidate {other.index} at equal net gain",
        f"its diff is smaller ({a[5]} against {b[5]} changed lines of candidate {other.index})",
        f"{-a[6]} candidates produced the same diff against {-b[6]} for candidate {other.index}",
        f"its test run was faster ({a[7]:.0f} ms against {b[7]:.0f} ms of candidate {other.index})",
        f"it ties candidate {other.index} on everything and has the lower index",
    ]
    first = next((i for i in range(len(reasons)) if a[i] != b[i]), len(reasons) - 1)
    return f"{did}; ahead because {reasons[first]}"


def rank_patches(outcomes: list[PatchOutcome], failing_total: int) -> Decision:
    """A ``Decision`` over the patches: the ranking with score components, the winner (if any fixes a test) and why."""
    ordered = sorted(outcomes, key=_key)
    ranking = [RankedCandidate(index=o.index, rank=r + 1, score=score(o)) for r, o in enumerate(ordered)]
    top = ordered[0] if ordered else None
    if top is None or top.status != "ran" or not top.fixed:
        return Decision(winner=None, ranking=ranking, method="none", no_passing_candidate=True,
                        reason="no candidate fixed any of the failing tests")
    runner = ordered[1] if len(ordered) > 1 and ordered[1].status == "ran" else None
    return Decision(
        winner=top.index,
        ranking=ranking,
        method="tests",
        reason=_why(top, runner, failing_total),
        runner_up=runner.index if runner else None,
        confidence=len(top.fixed) / failing_total if failing_total else None,
        no_passing_candidate=not top.fixes_all,
    )
