"""A test command that cannot start is an environment error of the run, not a failing test; and the bot
uses the bundled demo model when no OPENAI_BASE_URL is set, as ``bestofn solve`` does."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import pytest
from typer.testing import CliRunner

from bestofn.bot.execute import grade, runner_names, start_failure
from bestofn.bot.models import COULD_NOT_START
from bestofn.cli_bot import app
from bestofn.settings import get_settings
from bestofn.testing.fake_llm import FakeLLM
from sandbox.repo_run import RepoRunRecord
from tests.bot.conftest import bot_containers
from tests.bot.test_propose import CORRECT

JUNIT = '<testsuites><testsuite><testcase classname="t" name="test_a"/></testsuite></testsuites>'


def invoke(*args: str):
    return CliRunner().invoke(app, ["propose", *args], catch_exceptions=False)


@pytest.mark.parametrize("exit_code,output,command,why", [
    (127, "bestofn-test: 1: nonexistent-cmd: not found\n", "nonexistent-cmd", "bestofn-test: 1: nonexistent-cmd: not found"),
    (126, "sh: 1: ./run-tests.sh: Permission denied\n", "./run-tests.sh", "sh: 1: ./run-tests.sh: Permission denied"),
    (127, "", "x", "exit code 127 (not found)"),
    (1, "/usr/bin/python3: No module named pytest\n", "python3 -m pytest -q", "/usr/bin/python3: No module named pytest"),
    (1, "Traceback ...\nModuleNotFoundError: No module named 'tox'\n", "cd sub && tox -e py", "ModuleNotFoundError: No module named 'tox'"),
])
def test_could_not_start_is_an_error_naming_the_reason(exit_code: int, output: str, command: str, why: str) -> None:
    run = grade(RepoRunRecord(exit_code=exit_code, output=output), command)
    assert run.could_not_start and run.error == f"{COULD_NOT_START}: {why}"
    assert run.tests == {} and run.failing == []


@pytest.mark.parametrize("record,command", [
    (RepoRunRecord(exit_code=127, output="x: not found", junit_xml=JUNIT), "pytest -q; x"),  # the runner ran
    (RepoRunRecord(exit_code=1, output="E   ModuleNotFoundError: No module named 'calc'"), "pytest -q"),  # code under test
    (RepoRunRecord(exit_code=1, output="FAILED"), "make test"),
    (RepoRunRecord(exit_code=0, output=""), "true"),
])
def test_a_runner_that_ran_is_graded_as_tests(record: RepoRunRecord, command: str) -> None:
    assert start_failure(record, command) is None
    assert not grade(record, command).could_not_start


def test_runner_names() -> None:
    assert runner_names("python3 -m pytest -q tests/") == {"python3", "pytest"}
    assert runner_names("cd sub && ./bin/run_tests.py --fast; nox") == {"cd", "run_tests", "nox"}
    assert runner_names("FOO=1 pytest -q > out.txt 2>&1 | tee log") == {"pytest", "tee"}
    assert runner_names("echo 'unbalanced") == {"echo"}


@pytest.mark.parametrize("command", ["nonexistent-cmd", "python3 -m nosuchrunner -q"])
def test_bot_proposes_nothing_and_says_why(command: str, buggy_repo: Path, tmp_path: Path, fake_llm: FakeLLM,
                                           bot_env) -> None:
    fake_llm.add("", CORRECT)
    out, report = tmp_path / "patch.diff", tmp_path / "report.md"
    result = invoke("--repo", str(buggy_repo), "--test-cmd", command, "--n", "2", "--out", str(out),
                    "--report", str(report))
    assert result.exit_code == 1, result.output
    [line] = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert line.startswith(f"error: {COULD_NOT_START}: ")
    assert ("nonexistent-cmd: not found" if command == "nonexistent-cmd" else "No module named nosuchrunner") in line
    assert fake_llm.requests == [] and not out.exists()
    text = report.read_text()
    assert "The test command could not start: " in text and "not a failing test" in text
    assert "## Candidates" not in text  # nothing was asked or run
    assert bot_containers() == []


class _DemoModelOnFakeLLM:
    """Stands in for ``LocalModelServer``: same interface, answered by the scripted server."""

    started: list[dict[str, int | None]] = []

    def __init__(self, url: str, **kwargs: int | None) -> None:
        self.base_url, self.model_name = url, "smollm2-135m-instruct"
        self.started.append(kwargs)

    def __enter__(self) -> "_DemoModelOnFakeLLM":
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        return None


def test_without_openai_base_url_the_bot_uses_the_demo_model(buggy_repo: Path, tmp_path: Path, fake_llm: FakeLLM,
                                                             bot_env, monkeypatch: pytest.MonkeyPatch) -> None:
    import bestofn.localmodel

    monkeypatch.delenv("OPENAI_BASE_URL")
    get_settings.cache_clear()
    monkeypatch.setattr(bestofn.localmodel, "LocalModelServer",
                        lambda **kw: _DemoModelOnFakeLLM(fake_llm.base_url, **kw))
    fake_llm.add("fails in this repository", CORRECT)
    out = tmp_path / "patch.diff"
    result = invoke("--repo", str(buggy_repo), "--n", "1", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "no OPENAI_BASE_URL set -> starting the bundled tiny demo model" in result.output
    assert "no LLM endpoint" not in result.output
    assert [r["model"] for r in fake_llm.requests] == ["smollm2-135m-instruct"]
    assert "+    return a * b" in out.read_text()
    ctx, slots = _DemoModelOnFakeLLM.started[-1]["ctx"], _DemoModelOnFakeLLM.started[-1]["parallel"]
    assert ctx and slots and ctx // slots >= 4096  # each slot holds a patch prompt and its reply
    assert bot_containers() == []
