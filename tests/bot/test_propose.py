"""The bot end to end: a real repository, the real FakeLLM through the real openai client, real Docker."""

from __future__ import annotations

import subprocess
from pathlib import Path

from typer.testing import CliRunner

from bestofn.cli_bot import app
from bestofn.testing.fake_llm import FakeLLM
from tests.bot.conftest import CALC, bot_containers, snapshot


def fenced(lang: str, *lines: str) -> str:
    return f"```{lang}\n" + "\n".join(lines) + "\n```\n"


NO_OP = "Maybe a comment helps.\n\n" + fenced(
    "diff", "--- a/calc/__init__.py", "+++ b/calc/__init__.py", "@@ -1,3 +1,4 @@",
    ' """A tiny calculator."""', "+# TODO: check mul", " ", " ",
)
DOES_NOT_APPLY = fenced(
    "diff", "--- a/calc/__init__.py", "+++ b/calc/__init__.py", "@@ -20,2 +20,2 @@",
    " def multiply(x, y):", "-    return x + y", "+    return x * y",
)
FIXES_BUT_BREAKS = "Here is the whole file, fixed.\n\ncalc/__init__.py\n" + fenced(
    "python", CALC.replace("a + b", "a * b").rstrip("\n"),  # fixes mul, and breaks add
)
CORRECT = "The bug is in `mul`.\n\n" + fenced(
    "diff", "--- a/calc/__init__.py", "+++ b/calc/__init__.py", "@@ -8,2 +8,2 @@",
    " def mul(a, b):", "-    return a + b", "+    return a * b",
)
PROSE = "You should multiply instead of adding in mul."


def invoke(*args: str):
    return CliRunner().invoke(app, ["propose", *args], catch_exceptions=False)


def test_proposes_the_correct_patch_and_explains_why(buggy_repo: Path, tmp_path: Path, fake_llm: FakeLLM, bot_env) -> None:
    fake_llm.add("fails in this repository", NO_OP, DOES_NOT_APPLY, FIXES_BUT_BREAKS, CORRECT, PROSE)
    before = snapshot(buggy_repo)
    out, report = tmp_path / "patch.diff", tmp_path / "report.md"

    result = invoke("--repo", str(buggy_repo), "--test-cmd", "pytest -q", "--n", "5",
                    "--out", str(out), "--report", str(report), "--seed", "0")

    assert result.exit_code == 0, result.output
    # The winner is the correct patch (candidate 3): mul multiplies, add untouched.
    diff = out.read_text()
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == ["-    return a + b", "+    return a * b"]
    checked = subprocess.run(["git", "apply", "--check", str(out)], cwd=buggy_repo, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr

    text = report.read_text()
    assert "Winner: candidate 3" in text
    assert "fixes 1/1 failing test(s), breaks 0" in text
    assert "ahead because it fixes every failing test and breaks none, candidate 2 does not" in text
    rows = {line.split("|")[2].strip(): [c.strip() for c in line.split("|")[1:-1]]
            for line in text.splitlines() if line.startswith("| ") and line.split("|")[2].strip()[:1].isdigit()}
    assert rows["3 **winner**"][:7] == ["1", "3 **winner**", "ran", "yes", "1", "0", "2"]
    assert rows["2"][2:6] == ["ran", "yes", "1", "1"]  # fixes test_mul, breaks test_add
    assert rows["0"][2:6] == ["ran", "yes", "0", "0"]  # the no-op
    assert rows["1"][2:4] == ["not_applied", "no"]
    assert rows["4"][2:4] == ["no_patch", "no"]
    assert "tests.test_calc::test_mul" in text and "Failing:" in text

    # One request per candidate, seeds base+i, and the prompt carried the failure and the code under test.
    assert sorted(r["seed"] for r in fake_llm.requests) == [0, 1, 2, 3, 4]
    prompt = fake_llm.requests[0]["messages"][1]["content"]
    assert "assert 5 == 6" in prompt and "def mul(a, b):" in prompt

    assert snapshot(buggy_repo) == before, "the original checkout was modified"
    assert bot_containers() == []


def test_no_fix_exits_non_zero_and_still_writes_the_report(buggy_repo: Path, tmp_path: Path, fake_llm: FakeLLM,
                                                            bot_env) -> None:
    fake_llm.add("fails in this repository", NO_OP, DOES_NOT_APPLY, PROSE)
    out, report = tmp_path / "patch.diff", tmp_path / "report.md"

    result = invoke("--repo", buggy_repo.as_uri(), "--n", "3", "--out", str(out), "--report", str(report))  # cloned

    assert result.exit_code == 1
    lines = [ln for ln in result.output.strip().splitlines() if not ln.startswith("[progress] ")]  # stderr is mixed in
    assert lines == [f"error: no candidate fixed any of the 1 failing test(s) (3 tried); see {report}"]
    assert not out.exists()
    text = report.read_text()
    assert "No candidate fixed any of the failing tests" in text and f"Repository `{buggy_repo.as_uri()}`" in text
    assert bot_containers() == []


def test_passing_repository_has_nothing_to_fix(tmp_path: Path, fake_llm: FakeLLM, bot_env) -> None:
    from tests.bot.conftest import make_repo

    repo = make_repo(tmp_path / "ok", {"ok/__init__.py": "X = 1\n", "tests/test_ok.py": "from ok import X\n\n\ndef test_x():\n    assert X == 1\n"})
    result = invoke("--repo", str(repo), "--out", str(tmp_path / "p.diff"))
    assert result.exit_code == 0
    assert "nothing to fix" in result.output
    assert fake_llm.requests == []
