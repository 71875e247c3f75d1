"""How ``solve``, ``demo`` and ``submit --wait`` end: one honest line and a documented exit code.

A task that finished but where no candidate passed its tests is not a success:
it exits ``EXIT_NO_PASSING`` and says which candidate came closest, and the
table never calls that candidate the winner. The codes are listed in the
README's "Exit codes" table.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.syntax import Syntax

from bestofn.cli_common import EXIT_FAILED, EXIT_NO_PASSING, EXIT_OK
from bestofn.schemas import Problem
from bestofn.service import TaskView

# How a problem without tests is ranked, per strategy (bestofn/rerank/policy.py).
_AUTO_CHAIN = ("self-consistency (each candidate runs on the same generated inputs; the largest group that "
               "behaves alike wins), then an LLM judge when no group reaches the agreement threshold")
_NO_TESTS_RANKING = {
    "auto": _AUTO_CHAIN,
    "tests": f"the auto chain (strategy 'tests' needs tests): {_AUTO_CHAIN}",
    "self_consistency": "self-consistency as asked (the auto chain when it cannot run)",
    "codet": "CodeT: model-written tests, then agreement between candidates (the auto chain when it cannot run)",
    "judge": "the LLM judge as asked (the auto chain when its replies are unusable)",
    "majority_vote": "majority vote on the final answers, then the LLM judge below the agreement threshold",
    "single": "nothing: strategy 'single' takes the first candidate with code",
    "revise": f"the auto chain, with no revision round (feedback needs tests): {_AUTO_CHAIN}",
}


def no_tests_notice(problem: Problem, strategy: str | None = None) -> str | None:
    """The one line a user needs before a run without tests: how the winner will be chosen instead."""
    if problem.tests is not None:
        return None
    strategy = strategy or problem.strategy
    how = _NO_TESTS_RANKING.get(strategy, f"strategy '{strategy}'")
    return f"note: this problem has no tests, so candidates are ranked by {how}"


def _best(view: TaskView) -> dict[str, Any] | None:
    """The top of the ranking (rank 1), whatever it passed."""
    return min(view.ranking, key=lambda r: r["rank"]) if view.ranking else None


def outcome_line(view: TaskView) -> str | None:
    """One line for an outcome that is not a plain success; None when a candidate passed (or nothing to test)."""
    if view.status != "done":
        return f"task {view.status}: {view.reason or 'no reason recorded'}; exit {EXIT_FAILED}"
    if not view.no_passing_candidate:
        return None
    best = _best(view)
    if best is None:
        return f"no candidate passed the tests: none could be ranked; exit {EXIT_NO_PASSING}"
    sc = best.get("score", {})
    got = (f"with {sc.get('tests_passed', 0)}/{sc['tests_total']} tests" if sc.get("tests_total")
           else f"({sc.get('status', 'not run')}, no test ran)")
    return f"no candidate passed the tests: best was #{best['index']} {got}; exit {EXIT_NO_PASSING}"


def exit_code(view: TaskView) -> int:
    """0 a candidate passed (or the task had nothing to pass), 3 finished with none passing, 1 failed/cancelled."""
    if view.status != "done":
        return EXIT_FAILED
    return EXIT_NO_PASSING if view.no_passing_candidate else EXIT_OK


def render_outcome(view: TaskView, console: Console, *, note: str | None = None) -> None:
    """The ranking table; when nothing passed, the top candidate is shown as "best (not passing)", not "winner"."""
    from bestofn.render import render_task

    if not view.no_passing_candidate or view.winner is None:
        render_task(view, console, note=note)
        return
    best = view.winner
    render_task(view.model_copy(update={"winner": None}), console,
                note="; ".join(filter(None, [note, f"no winner: best (not passing) is candidate {best.index}"])))
    console.print(Panel(Syntax(best.code, "python", line_numbers=False),
                        title=f"best (not passing): candidate {best.index}"))


def finish(view: TaskView) -> None:
    """Print the outcome line (stderr) when there is one and exit with the documented code."""
    line = outcome_line(view)
    if line:
        typer.echo(line, err=True)
    code = exit_code(view)
    if code != EXIT_OK:
        raise typer.Exit(code)
