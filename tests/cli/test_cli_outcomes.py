"""The CLI never leaves the user guessing: version, live progress, honest outcomes and exit codes.

Each test runs the real ``bestofn`` command in a subprocess (stderr is a pipe, so progress comes as plain
lines) against the project's scripted OpenAI-compatible server; nothing is patched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import openai
import pytest

from bestofn.progress import PlainDisplay, Snapshot, Tracker, counting_client, progress_line
from bestofn.testing.fake_llm import FakeLLM
from tests.e2e.conftest import Stack, stack  # noqa: F401  (the real API + worker stack for submit --wait)
from tests.pipeline import problems as P


def _bestofn(args: list[str], tmp_path: Path, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BESTOFN_", "OPENAI_"))}
    env.update({"BESTOFN_DATA_DIR": str(tmp_path / "data"), "OPENAI_API_KEY": "sk-x", **env_extra})
    return subprocess.run([sys.executable, "-m", "bestofn.cli", *args], capture_output=True, text=True,
                          timeout=300, env=env)


def _problem_file(tmp_path: Path, **overrides: object) -> Path:
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(P.problem(**overrides).model_dump(mode="json", exclude_none=True)))
    return path


def test_version_prints_the_installed_distribution(tmp_path: Path) -> None:
    out = _bestofn(["--version"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"bestofn {version('bestofn')}"


def test_nothing_passing_exits_3_with_one_line_and_still_prints_json(fake_llm: FakeLLM, tmp_path: Path) -> None:
    fake_llm.add("running_max", P.WRONG, P.PARTLY_WRONG)
    out = _bestofn(["solve", str(_problem_file(tmp_path, n=2)), "--json"], tmp_path, OPENAI_BASE_URL=fake_llm.base_url)
    assert out.returncode == 3, out.stderr
    view = json.loads(out.stdout)  # the whole of stdout is the JSON: no progress, no notes
    assert view["status"] == "done" and view["no_passing_candidate"] is True
    lines = [ln for ln in out.stderr.splitlines() if ln.startswith("no candidate passed")]
    assert lines == ["no candidate passed the tests: best was #1 with 3/4 tests; exit 3"], out.stderr


def test_nothing_passing_table_says_best_not_passing_never_winner(fake_llm: FakeLLM, tmp_path: Path) -> None:
    fake_llm.add("running_max", P.WRONG, P.PARTLY_WRONG)
    out = _bestofn(["solve", str(_problem_file(tmp_path, n=2))], tmp_path, OPENAI_BASE_URL=fake_llm.base_url)
    assert out.returncode == 3, out.stderr
    assert "best (not passing): candidate 1" in out.stdout
    assert "winner" not in out.stdout.replace("no winner", ""), out.stdout


def test_solve_table_shows_the_revision_tree(fake_llm: FakeLLM, tmp_path: Path) -> None:
    fake_llm.add("did not pass all of them", P.FAST_OK)  # a revision request (bestofn/prompts.py:REVISE_ASK)
    fake_llm.add("running_max", P.PARTLY_WRONG)
    out = _bestofn(["solve", str(_problem_file(tmp_path, n=1, strategy="revise", max_revisions=2))], tmp_path,
                   COLUMNS="200", OPENAI_BASE_URL=fake_llm.base_url)
    assert out.returncode == 0, out.stderr
    assert "1 ← #0" in out.stdout and "winner: candidate 1" in out.stdout, out.stdout
    assert "revision round 1 of candidate 0" in out.stdout


def test_json_stdout_is_pure_and_progress_lines_go_to_stderr(fake_llm: FakeLLM, tmp_path: Path) -> None:
    fake_llm.add("running_max", P.FAST_OK, P.WRONG, P.SLOW_OK)
    out = _bestofn(["solve", str(_problem_file(tmp_path, n=3)), "--json"], tmp_path, OPENAI_BASE_URL=fake_llm.base_url)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["winner"]["index"] == 0
    assert "[progress]" not in out.stdout
    progress = [ln for ln in out.stderr.splitlines() if ln.startswith("[progress] ")]
    assert "[progress] generated 0/3, executed 0/3" in progress
    assert any(ln.startswith("[progress] generated 2/3, executed 0/3") for ln in progress), progress
    assert any(ln.startswith("[progress] generated 3/3, executed 3/3") for ln in progress), progress
    assert progress[-1] == "[progress] generated 3/3, executed 3/3; done"
    assert "no candidate passed" not in out.stderr and "has no tests" not in out.stderr


def test_a_problem_without_tests_gets_the_ranking_notice_first(fake_llm: FakeLLM, tmp_path: Path) -> None:
    fake_llm.add("running_max", P.FAST_OK, P.FAST_OK)
    path = _problem_file(tmp_path, n=2, tests=None, strategy="auto")
    out = _bestofn(["solve", str(path), "--json"], tmp_path, OPENAI_BASE_URL=fake_llm.base_url)
    assert out.returncode == 0, out.stderr
    notice = [ln for ln in out.stderr.splitlines() if ln.startswith("note: this problem has no tests")]
    assert notice == ["note: this problem has no tests, so candidates are ranked by self-consistency (each candidate "
                      "runs on the same generated inputs; the largest group that behaves alike wins), then an LLM "
                      "judge when no group reaches the agreement threshold"], out.stderr
    assert out.stderr.index(notice[0]) < out.stderr.index("[progress]")
    progress = [ln for ln in out.stderr.splitlines() if ln.startswith("[progress] ")]
    assert progress and all("executed" not in ln for ln in progress)  # nothing runs per candidate without tests
    assert json.loads(out.stdout)["status"] == "done"


def test_submit_wait_shows_progress_and_exits_3_when_nothing_passes(stack: Stack, tmp_path: Path) -> None:
    stack.fake.add("running_max", P.WRONG, P.PARTLY_WRONG)
    path = _problem_file(tmp_path, n=2)
    out = _bestofn(["submit", str(path), "--api", stack.url, "--api-key", stack.token, "--wait", "--json",
                    "--timeout", "120"], tmp_path)
    assert out.returncode == 3, out.stderr
    assert json.loads(out.stdout)["no_passing_candidate"] is True
    assert "no candidate passed the tests: best was #1 with 3/4 tests; exit 3" in out.stderr
    assert any(ln.startswith("[progress] generated 2/2, executed 2/2") for ln in out.stderr.splitlines()), out.stderr


def test_plain_display_prints_each_change_once() -> None:
    import io

    stream = io.StringIO()
    tracker = Tracker(PlainDisplay(stream), Snapshot(n=2))
    tracker.generated(0)
    tracker.generated(0)  # a redelivered row is not progress
    tracker.executed(0)
    tracker.stage("ranking")
    assert stream.getvalue().splitlines() == ["[progress] generated 1/2, executed 0/2",
                                              "[progress] generated 1/2, executed 1/2",
                                              "[progress] generated 1/2, executed 1/2; ranking"]
    assert progress_line(Snapshot(n=8, generated=3, executes=False)) == "[progress] generated 3/8"


def test_revisions_are_counted_apart_so_generated_never_passes_n() -> None:
    import io

    stream = io.StringIO()
    tracker = Tracker(PlainDisplay(stream), Snapshot(n=1, rounds=2))
    tracker.generated(0)
    tracker.executed(0)
    tracker.revised(1)
    tracker.executed(1)  # the revision's run: its round already counts
    assert stream.getvalue().splitlines()[-1] == "[progress] generated 1/1, executed 1/1, revisions 1/2"


def test_counting_client_counts_each_reply_of_a_real_client(fake_llm: FakeLLM) -> None:
    import io

    from bestofn.llm import chat

    fake_llm.add("", "ok")
    stream = io.StringIO()
    tracker = Tracker(PlainDisplay(stream), Snapshot(n=2, executes=False))
    client = counting_client(openai.OpenAI(base_url=fake_llm.base_url, api_key="sk-x"), tracker, after_all="testing")
    for _ in range(2):
        chat(client, "fake-model", [{"role": "user", "content": "hi"}])
    assert stream.getvalue().splitlines() == ["[progress] generated 0/2; generating",
                                              "[progress] generated 1/2; generating",
                                              "[progress] generated 2/2; generating",
                                              "[progress] generated 2/2; testing"]


@pytest.mark.parametrize("status,no_passing,code", [("done", False, 0), ("done", True, 3), ("failed", False, 1),
                                                     ("cancelled", False, 1)])
def test_exit_codes_follow_the_readme_table(status: str, no_passing: bool, code: int) -> None:
    from datetime import datetime, timezone

    from bestofn.cli_outcome import exit_code
    from bestofn.service import Progress, TaskView

    view = TaskView(id="t", status=status, strategy="tests", model="m", reason=None,
                    created_at=datetime.now(timezone.utc), finished_at=None, progress=Progress(n=1, generated=1, executed=1),
                    no_passing_candidate=no_passing, early_stopped=False, tokens_in=0, tokens_out=0, cost_usd=0.0,
                    latency_ms=None, winner=None, ranking=[], decision=None)
    assert exit_code(view) == code
    assert f"| `{code}` |" in (Path(__file__).resolve().parents[2] / "README.md").read_text()
