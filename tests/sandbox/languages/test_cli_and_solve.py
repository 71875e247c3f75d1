"""Every language through the command line: ``bestofn sandbox run --language L`` and a full ``bestofn solve`` task."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bestofn.languages import LANGUAGES
from bestofn.testing.fake_llm import FakeLLM
from tests.sandbox.languages.programs import IO_TESTS, PROGRAMS

pytestmark = [pytest.mark.languages, pytest.mark.usefixtures("image")]
FENCE = {"python": "python", "javascript": "js", "typescript": "ts", "go": "go", "rust": "rust", "cpp": "cpp",
         "java": "java"}


def bestofn(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bestofn.cli", *args], capture_output=True, text=True, timeout=300,
                          env=env)


@pytest.mark.parametrize("language", LANGUAGES)
def test_sandbox_run_with_language(language: str, tmp_path: Path) -> None:
    p = PROGRAMS[language]
    tests = tmp_path / "tests.json"
    tests.write_text(IO_TESTS.code)
    outs = {}
    for name, code, isolation in (("add", p.add, "per_task"), ("broken", p.broken, "per_candidate")):
        solution = tmp_path / name
        solution.write_text(code)
        done = bestofn("sandbox", "run", "--solution", str(solution), "--tests", str(tests), "--format", "io",
                       "--language", language, "--isolation", isolation, "--timeout", "5")
        assert done.returncode == 0, done.stderr
        outs[name] = json.loads(done.stdout)
    assert (outs["add"]["status"], outs["add"]["tests_passed"], outs["add"]["isolation"]) == ("passed", 3, "per_task")
    assert outs["broken"]["status"] == ("syntax_error" if language == "python" else "compile_error")
    assert p.compile_message in outs["broken"]["stderr"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_solve_a_task_in_each_language(language: str, fake_llm: FakeLLM, tmp_path: Path) -> None:
    """The pipeline end to end (generation, execution on the task's warm runners, ranking) with "language": L."""
    p = PROGRAMS[language]
    token = f"sum-of-two-{language}"
    fake_llm.add(token, f"```{FENCE[language]}\n{p.wrong}```\n", f"Here it is:\n```{FENCE[language]}\n{p.add}```\n")
    problem = tmp_path / "problem.json"
    problem.write_text(json.dumps({"prompt": f"Read two integers from stdin and print their sum ({token}).",
                                   "language": FENCE[language], "n": 2, "strategy": "tests",
                                   "tests": {"format": "io", "code": IO_TESTS.code}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BESTOFN_", "OPENAI_"))}
    env.update({"BESTOFN_DATA_DIR": str(tmp_path / "data"), "OPENAI_BASE_URL": fake_llm.base_url,
                "OPENAI_API_KEY": "sk-test", "BESTOFN_RUN_ID": os.environ.get("BESTOFN_RUN_ID", "")})
    out = bestofn("solve", str(problem), "--json", env=env)
    assert out.returncode == 0, out.stderr
    view = json.loads(out.stdout)
    assert view["status"] == "done", view
    assert view["winner"]["index"] == 1 and view["decision"]["method"] == "tests", view["decision"]
    statuses = {c["index"]: c["execution"]["status"] for c in view["candidates"]}
    assert statuses == {0: "failed", 1: "passed"}


def test_unknown_language_and_python_only_formats_are_one_clear_line(tmp_path: Path) -> None:
    solution = tmp_path / "s.go"
    solution.write_text(PROGRAMS["go"].add)
    (tmp_path / "io.json").write_text(IO_TESTS.code)
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    for tests, args, needle in (
        ("io.json", ["--format", "io", "--language", "cobol"], "unknown language 'cobol'; known: python, "),
        ("test_x.py", ["--format", "pytest", "--language", "golang"], "tests.format: 'pytest' tests run only in python"),
    ):
        done = bestofn("sandbox", "run", "--solution", str(solution), "--tests", str(tmp_path / tests), *args)
        assert done.returncode == 1 and done.stdout == ""
        assert needle in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_build_some_languages_ahead(tmp_path: Path) -> None:
    done = bestofn("sandbox", "build", "--language", "golang", "--language", "c++")
    assert done.returncode == 0, done.stderr
    assert [line.split("\t")[0] for line in done.stdout.splitlines()] == ["go", "cpp"]
    assert done.stdout.splitlines()[0].split("\t")[1].startswith("bestofn-sandbox-go:")
    bad = bestofn("sandbox", "build", "--language", "cobol")
    assert bad.returncode == 1 and "--language: unknown 'cobol'" in bad.stderr
