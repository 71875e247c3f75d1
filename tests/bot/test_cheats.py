"""Patches that forge their verdict, through the whole bot: real Docker, the real sandbox, the scripted model.

Every cheat in ``tests/bot/cheats.py`` sits next to one honest patch in one run. None may be
graded as fixing ``test_mul``; the honest patch must win, and the report must name the
test-infrastructure files each cheat had dropped. What is published is what ran, renames included.
"""

from __future__ import annotations

from pathlib import Path

from bestofn.bot.models import BotResult
from bestofn.bot.propose import ProposeOptions, propose
from bestofn.bot.report import render_report
from bestofn.llm import make_client
from bestofn.settings import get_settings
from bestofn.testing.fake_llm import FakeLLM
from tests.bot.cheats import CHEATS, FIXED_CALC, HONEST, PYPROJECT, whole
from tests.bot.conftest import CALC, TESTS, bot_containers, make_repo, snapshot

MUL = "tests.test_calc::test_mul"


def _propose(repo: Path, fake_llm: FakeLLM, replies: list[str]) -> BotResult:
    """The bot over ``repo`` with ``replies`` as candidates 0..n-1 (the real client against the scripted server)."""
    fake_llm.add("fails in this repository", *replies)
    settings = get_settings()
    opts = ProposeOptions(repo=repo, test_command="pytest -q", n=len(replies), seed_base=0)
    return propose(opts, make_client(settings), settings)


def test_no_cheat_is_graded_as_a_fix_and_the_honest_patch_wins(tmp_path: Path, fake_llm: FakeLLM, bot_env) -> None:
    repo = make_repo(tmp_path / "repo", {"calc/__init__.py": CALC, "tests/test_calc.py": TESTS, "pyproject.toml": PYPROJECT})
    before = snapshot(repo)
    names = list(CHEATS)
    result = _propose(repo, fake_llm, [HONEST] + [CHEATS[n][0] for n in names])

    assert result.baseline.failing == [MUL]
    outcomes = {o.index: o for o in result.outcomes}
    for i, name in enumerate(names, start=1):
        _, dropped, runs = CHEATS[name]
        o = outcomes[i]
        assert not o.fixed, f"{name}: graded as fixing {o.fixed} ({o})"
        assert o.status == ("ran" if runs else "tests_only"), f"{name}: {o}"
        assert o.not_run == dropped, f"{name}: {o}"
        if dropped:
            assert f"test infrastructure not run: {', '.join(dropped)}" in o.detail, f"{name}: {o.detail}"
        if runs:
            assert o.still_failing == [MUL] and not o.broken, f"{name}: {o}"

    honest = outcomes[0]
    assert result.decision is not None and result.decision.winner == 0, result.decision
    assert honest.fixes_all and not honest.not_run and "test infrastructure" not in honest.detail, honest
    # Its dependency change in pyproject.toml (outside pytest's table) ran and is what gets published.
    diff = result.winner_diff
    assert '+dependencies = ["attrs>=22"]' in diff and "+    return a * b" in diff
    assert set(result.winner_files) == {"calc/__init__.py", "pyproject.toml"}
    report = render_report(result)
    assert "| tests_only |" in report and "test infrastructure not run: conftest.py" in report
    assert "were dropped before these patches ran" in report and "candidate 3: `conftest.py`" in report
    assert snapshot(repo) == before
    assert bot_containers() == []


def test_a_fix_that_also_weakens_the_test_runs_and_publishes_only_the_fix(tmp_path: Path, fake_llm: FakeLLM,
                                                                        bot_env) -> None:
    repo = make_repo(tmp_path / "repo", {"calc/__init__.py": CALC, "tests/test_calc.py": TESTS})
    weakened = TESTS.replace("assert mul(2, 3) == 6", "assert mul(2, 3) in (5, 6)")
    result = _propose(repo, fake_llm, [whole(("calc/__init__.py", FIXED_CALC), ("tests/test_calc.py", weakened))])

    o = result.outcomes[0]
    assert o.status == "ran" and o.fixed == [MUL] and o.changed_lines == 2, o
    assert "test infrastructure not run: tests/test_calc.py" in o.detail
    assert result.candidates[0].code == result.winner_diff  # what ran is what is published
    assert "tests/test_calc.py" not in result.winner_diff and "+    return a * b" in result.winner_diff
    assert bot_containers() == []


def test_a_rename_that_fixes_the_tests_publishes_both_sides(tmp_path: Path, fake_llm: FakeLLM, bot_env) -> None:
    """A pure rename has no ``---``/``+++`` lines: the files to publish come from git, not from the diff's text."""
    ops = "def mul(a, b):\n    return a * b\n"
    tests = "def test_mul():\n    from calc.ops import mul\n    assert mul(2, 3) == 6\n\n\ndef test_one():\n    assert 1\n"
    repo = make_repo(tmp_path / "repo", {"calc/__init__.py": "", "calc/opz.py": ops, "tests/test_calc.py": tests})
    rename = ("The module has a typo in its name.\n\n```diff\ndiff --git a/calc/opz.py b/calc/ops.py\n"
              "similarity index 100%\nrename from calc/opz.py\nrename to calc/ops.py\n```\n")
    result = _propose(repo, fake_llm, [rename])

    assert result.baseline.failing == [MUL]
    assert result.outcomes[0].fixed == [MUL], result.outcomes[0]
    assert result.winner_files == {"calc/opz.py": None, "calc/ops.py": ops}
    assert bot_containers() == []
