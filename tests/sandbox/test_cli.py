"""``bestofn sandbox run`` through a real subprocess: one JSON object out, clear one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ENTRY = "from bestofn.cli import app; app()"
pytestmark = pytest.mark.usefixtures("sandbox_image")


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", ENTRY, "sandbox", *args], capture_output=True, text=True,
                          timeout=120, env=env)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


CASES = {
    "humaneval": ("def add(a, b):\n    return a + b\n", "def check(candidate):\n    assert candidate(1, 2) == 3\n", ["--entry-point", "add"]),
    "pytest": ("def add(a, b):\n    return a + b\n", "from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n", []),
    "io": ("print(sum(map(int, input().split())))\n", json.dumps([{"input": "1 2", "output": "3"}]), []),
}
FIELDS = {"status", "all_passed", "tests_passed", "tests_total", "runtime_ms", "exit_code", "timed_out",
          "oom_killed", "tests", "stdout", "stderr", "truncated"}


@pytest.mark.parametrize("fmt", sorted(CASES))
def test_run_each_format(fmt: str, tmp_path: Path) -> None:
    solution, tests, extra = CASES[fmt]
    done = cli("run", "--solution", write(tmp_path, "s.py", solution), "--tests", write(tmp_path, "t", tests),
               "--format", fmt, *extra)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert FIELDS <= set(out)
    assert (out["status"], out["tests_passed"], out["tests_total"]) == ("passed", 1, 1)


def test_failing_candidate_still_exits_zero_and_options_apply(tmp_path: Path) -> None:
    solution = write(tmp_path, "s.py", "def add(a, b):\n    while True:\n        pass\n")
    tests = write(tmp_path, "t.py", CASES["humaneval"][1])
    done = cli("run", "--solution", solution, "--tests", tests, "--format", "humaneval", "--entry-point", "add",
               "--timeout", "1", "--memory", "64", "--isolation", "per_task")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["status"], out["timed_out"], out["isolation"]) == ("timeout", True, "per_task")


@pytest.mark.parametrize("args,needle", [
    (["--solution", "MISSING", "--format", "pytest"], "solution file not found"),
    (["--format", "xml"], "--format must be one of"),
    (["--format", "humaneval"], "entry_point: required with tests.format 'humaneval'"),
    (["--format", "io"], "io tests"),
    (["--format", "pytest", "--timeout", "-3"], "timeout_s"),
    (["--format", "pytest", "--isolation", "shared"], "--isolation must be one of"),
])
def test_bad_input_is_one_clear_line(args: list[str], needle: str, tmp_path: Path) -> None:
    solution = write(tmp_path, "s.py", "x = 1\n")
    fmt = args[args.index("--format") + 1]
    valid = {"humaneval": "def check(candidate):\n    assert candidate(1) == 1\n", "pytest": "def test_x():\n    pass\n"}
    tests = write(tmp_path, "t.txt", valid.get(fmt, "not json"))  # so the error asked about is the first one
    full = ["--solution", solution, "--tests", tests] + args if "--solution" not in args else ["--tests", tests] + args
    done = cli("run", *full)
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_unreachable_docker_exits_2(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock", "BESTOFN_DOCKER_HOST": ""}
    done = cli("run", "--solution", write(tmp_path, "s.py", CASES["humaneval"][0]), "--tests",
               write(tmp_path, "t.py", CASES["humaneval"][1]), "--format", "humaneval", "--entry-point", "add", env=env)
    assert done.returncode == 2
    assert done.stderr.startswith("error: sandbox unavailable") and "Traceback" not in done.stderr


def test_reap_and_build_image_commands() -> None:
    reaped = cli("reap")
    assert reaped.returncode == 0 and reaped.stdout.strip().isdigit()
    built = cli("build-image")
    assert built.returncode == 0 and built.stdout.startswith("bestofn-sandbox:")
