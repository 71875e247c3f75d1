"""The Markdown report for the cases the end-to-end tests do not reach (pure)."""

from __future__ import annotations

from bestofn.bot.models import BotResult, PatchOutcome, TestRun
from bestofn.bot.rank import rank_patches
from bestofn.bot.report import render_report


def _result(baseline: TestRun, outcomes: list[PatchOutcome] | None = None) -> BotResult:
    outcomes = outcomes or []
    return BotResult(repo="r", test_command="pytest -q", model="m", baseline=baseline, outcomes=outcomes,
                     decision=rank_patches(outcomes, len(baseline.failing)) if outcomes else None)


def test_nothing_to_fix() -> None:
    text = render_report(_result(TestRun(tests={"t::a": "passed"}, exit_code=0)))
    assert "no patch proposed" in text and "Nothing to fix" in text and "## Candidates" not in text


def test_the_tests_could_not_run() -> None:
    text = render_report(_result(TestRun(error="sandbox: could not unpack the repository")))
    assert "The test command could not run: sandbox: could not unpack the repository" in text


def test_candidate_rows_escape_table_breakers_and_list_many_tests_briefly() -> None:
    failing = {f"t::f{i}": "failed" for i in range(30)}
    outcomes = [PatchOutcome(index=0, status="not_applied", detail="a | b\nc"),
                PatchOutcome(index=1, status="llm_error", detail="llm_error: HTTP 500")]
    text = render_report(_result(TestRun(tests=failing, exit_code=1), outcomes))
    assert "| 1 | 0 | not_applied | no |  |  |  |  | a \\| b c |" in text
    assert "and 10 more" in text
    assert "No candidate fixed any of the failing tests" in text
