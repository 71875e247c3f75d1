"""The Markdown report: what failed, what each candidate did, and why the winner won (pure)."""

from __future__ import annotations

from bestofn.bot.models import BotResult, PatchOutcome
from bestofn.bot.rank import __doc__ as RANKING_RULE

_LIST_MAX = 20
_OUTPUT_LINES = 40


def _names(tests: list[str]) -> str:
    shown = ", ".join(f"`{t}`" for t in tests[:_LIST_MAX])
    return shown + (f" and {len(tests) - _LIST_MAX} more" if len(tests) > _LIST_MAX else "")


def _tail(text: str, lines: int = _OUTPUT_LINES) -> str:
    rows = text.rstrip("\n").splitlines()
    cut = rows[-lines:]
    return ("...\n" if len(rows) > lines else "") + "\n".join(cut)


def _row(o: PatchOutcome, rank: int | None, winner: int | None) -> str:
    applied = "yes" if o.status in {"ran", "run_error", "no_change", "tests_only"} else "no"
    runtime = "" if o.runtime_ms is None else f"{o.runtime_ms:.0f}"
    mark = " **winner**" if o.index == winner else ""
    detail = o.detail.replace("|", "\\|").replace("\n", " ")[:160]
    ran = o.status == "ran"
    fixed, broken = (str(len(o.fixed)), str(len(o.broken))) if ran else ("", "")
    return (f"| {rank if rank is not None else ''} | {o.index}{mark} | {o.status} | {applied} | {fixed} | {broken} "
            f"| {o.changed_lines if applied == 'yes' else ''} | {runtime} | {detail} |")


def _baseline_section(r: BotResult) -> list[str]:
    b = r.baseline
    lines = ["## What failed", ""]
    if b.could_not_start:
        error = b.error or ""
        return lines + [error[:1].upper() + error[1:], "",
                        "That is an environment error of the run (a missing or non-executable program, or a test "
                        "runner that is not installed), not a failing test, so no patch was proposed.", ""]
    if b.error:
        return lines + [f"The test command could not run: {b.error}", ""]
    how = "per-test results from JUnit XML" if b.per_test else "no per-test report: the command's exit code is the one test"
    lines += [f"`{r.test_command}` on the checkout: {len(b.failing)} failing of {len(b.tests)} test(s), "
              f"exit code {b.exit_code}, {b.runtime_ms:.0f} ms ({how}).", ""]
    if b.failing:
        lines += [f"Failing: {_names(b.failing)}", "", "```", _tail(b.output), "```", ""]
    if r.context_files:
        lines += [f"Files shown to the model: {', '.join(f'`{p}`' for p in r.context_files)}."]
    if r.context_cut or r.context_left_out:
        lines += [f"Cut for length: {', '.join(r.context_cut) or 'nothing'}; left out: {', '.join(r.context_left_out) or 'nothing'}."]
    return lines + [""]


def _candidates_section(r: BotResult) -> list[str]:
    ranks = {rc.index: rc.rank for rc in r.decision.ranking} if r.decision else {}
    winner = r.decision.winner if r.decision else None
    lines = ["## Candidates", "",
             "| rank | candidate | status | applied | fixed | broken | changed lines | runtime ms | notes |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for o in sorted(r.outcomes, key=lambda o: (ranks.get(o.index, 10**9), o.index)):
        lines.append(_row(o, ranks.get(o.index), winner))
    dropped = [f"candidate {o.index}: {', '.join(f'`{p}`' for p in o.not_run)}" for o in r.outcomes if o.not_run]
    if dropped:
        lines += ["", "Changes to test infrastructure (tests, conftest.py, pytest's configuration, start-up files) "
                      "were dropped before these patches ran, so the verdict is the repository's own tests': "
                  + "; ".join(dropped) + "."]
    return lines + [""]


def _decision_section(r: BotResult) -> list[str]:
    lines = ["## Decision", ""]
    d = r.decision
    if d is None or d.winner is None:
        lines += ["No candidate fixed any of the failing tests, so no patch is proposed.", ""]
    else:
        w = r.winner
        lines += [f"Winner: candidate {d.winner}. {d.reason[0].upper()}{d.reason[1:]}.", ""]
        if w is not None:
            lines += [f"Fixed: {_names(w.fixed)}." if w.fixed else "Fixed: none.",
                      f"Broken: {_names(w.broken)}." if w.broken else "Broken: none.",
                      f"Still failing: {_names(w.still_failing)}." if w.still_failing else "Still failing: none.", ""]
    rule = (RANKING_RULE or "").split("\n", 1)[1].strip()
    lines += ["How candidates are ranked:", "", rule, ""]
    return lines


def render_report(r: BotResult) -> str:
    """The whole report as Markdown."""
    head = [f"# bestofn bot: {'patch proposed' if r.winner_diff else 'no patch proposed'}", "",
            f"Repository `{r.repo}`, test command `{r.test_command}`, model `{r.model}`, "
            f"{len(r.candidates)} candidate(s).", ""]
    if r.nothing_to_fix:
        return "\n".join(head + _baseline_section(r) + ["Nothing to fix: the test command passes.", ""])
    if r.baseline.could_not_start:  # nothing was asked or run: no candidate table to show
        return "\n".join(head + _baseline_section(r))
    body = _baseline_section(r) + _candidates_section(r) + _decision_section(r)
    if r.winner_diff:
        body += ["## Patch", "", "```diff", r.winner_diff.rstrip("\n"), "```", ""]
    return "\n".join(head + body)
