"""Rich rendering of a task's ranking for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from bestofn.service import CandidateView, TaskView


def lineage(c: CandidateView | None) -> str:
    """``0`` for a fresh sample, ``2 ← #4`` for round 2 revising candidate 4: the revision tree, one edge a row."""
    if c is None or not c.round:
        return "0"
    return f"{c.round} ← #{c.parent}"


def render_task(view: TaskView, console: Console, *, note: str | None = None) -> None:
    """The ranking table, the decision and the winner's code."""
    by_index = {c.index: c for c in (view.candidates or [])}
    table = Table(title=f"task {view.id} · {view.status} · model {view.model}" + (f" · {note}" if note else ""))
    for col in ("rank", "cand", "round", "status", "tests", "runtime ms", "tokens out", "note"):
        table.add_column(col, justify="right" if col in {"rank", "cand", "runtime ms", "tokens out"} else "left")
    ranked = {r["index"] for r in view.ranking}
    for r in view.ranking:
        sc = r.get("score", {})
        c = by_index.get(r["index"])
        tests = f"{sc.get('tests_passed', 0)}/{sc.get('tests_total', 0)}" if sc.get("tests_total") is not None else "-"
        status = str(sc.get("status", "-"))
        style = "green" if status == "passed" else ("red" if status in {"failed", "error", "syntax_error", "compile_error"} else "yellow")
        table.add_row(str(r["rank"]), str(r["index"]), lineage(c), f"[{style}]{status}[/]", tests,
                      "-" if sc.get("runtime_ms") is None else f"{float(sc['runtime_ms']):.1f}",
                      str(c.tokens_out if c else "-"), "winner" if r["index"] == (view.winner.index if view.winner else None) else "")
    for c in view.candidates or []:
        if c.index not in ranked:
            table.add_row("-", str(c.index), lineage(c), "[red]no code[/]", "-", "-", str(c.tokens_out),
                          (c.error or "")[:60])
    console.print(table)
    if view.decision:
        d = view.decision
        extra = []
        for key in ("runner_up", "agreement_rate", "confidence"):
            if d.get(key) is not None:
                extra.append(f"{key}={d[key]:.2f}" if isinstance(d[key], float) else f"{key}={d[key]}")
        console.print(f"[bold]decision[/]: {d['method']} — {d['reason']}" + (f"  ({', '.join(extra)})" if extra else ""))
    elif view.reason:
        console.print(f"[bold]reason[/]: {view.reason}")
    if view.winner:
        console.print(Panel(Syntax(view.winner.code, "python", line_numbers=False), title=f"winner: candidate {view.winner.index}"))
    console.print(f"tokens in/out {view.tokens_in}/{view.tokens_out} · cost ${view.cost_usd:.6f} · "
                  f"latency {((view.latency_ms or 0) / 1000):.1f}s" + (" · stopped early" if view.early_stopped else ""))
