"""One set of rules for a problem: the API, the CLI and the sandbox agree on every row of one table.

Bad problems: the API answers 422 naming the field, ``bestofn solve`` one line naming it and exit 2,
and the sandbox's public functions (``run_candidate``, ``run_many``, ``run_inputs``) a ``ValueError``
naming it before any container starts (they run here against an engine that does not exist).
Good problems: 202, a solved task (exit 0) and a passing run in the real sandbox.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bestofn.schemas import Limits
from bestofn.schemas import TestSuite as Suite
from bestofn.settings import Settings, get_settings
from bestofn.testing.fake_llm import FakeLLM
from sandbox import SandboxConfig, run_candidate

ADD = "def add(a, b):\n    return a + b\n"
CHECK = "def check(candidate):\n    assert candidate(1, 2) == 3\n"
PYTEST = "from solution import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
IO_PROGRAM = "a, b = map(int, input().split())\nprint(a + b)\n"
IO = json.dumps([{"input": "1 2\n", "output": "3\n"}])
BASE: dict[str, Any] = {"prompt": "Add two numbers.", "entry_point": "add", "n": 1,
                        "tests": {"format": "humaneval", "code": CHECK}}
S = Settings()


@dataclass(frozen=True)
class Row:
    name: str
    body: dict[str, Any]  # what changes from BASE
    field: str | None  # the field a bad problem is refused for; None: a good problem
    solution: str = ADD
    sandbox: bool = True  # False: a service limit from settings, which the sandbox (run by evals too) leaves alone

    def problem(self) -> dict[str, Any]:
        return {**BASE, "prompt": f"{BASE['prompt']} [{self.name}]", **self.body}


def _tests(fmt: str, code: str) -> dict[str, Any]:
    return {"tests": {"format": fmt, "code": code}}


GOOD = [
    Row("humaneval", {}, None),
    Row("pytest", _tests("pytest", PYTEST), None),
    Row("io", {**_tests("io", IO), "entry_point": None}, None, solution=IO_PROGRAM),
    Row("nul in the prompt", {"prompt": "Add two \x00 numbers. [nul in the prompt]"}, None),
]
BAD = [
    Row("io empty list", _tests("io", "[]"), "tests.code"),
    Row("io pairs of the wrong types", _tests("io", json.dumps([{"input": 1, "output": []}])), "tests.code"),
    Row("io cases that are not pairs", _tests("io", json.dumps([["1 2\n", "3\n"]])), "tests.code"),
    Row("io not JSON", _tests("io", "1 2 -> 3"), "tests.code"),
    Row("io with a raw NUL", _tests("io", '[{"input": "\x00", "output": "3\\n"}]'), "tests.code"),
    Row("pytest collecting nothing", _tests("pytest", "from solution import add\n"), "tests.code"),
    Row("pytest given HumanEval's check", _tests("pytest", CHECK), "tests.code"),
    Row("pytest with a NUL byte", _tests("pytest", PYTEST + "\x00"), "tests.code"),
    Row("humaneval without check", _tests("humaneval", "assert add(1, 2) == 3\n"), "tests.code"),
    Row("empty tests", _tests("pytest", ""), "tests.code"),
    Row("unknown format", _tests("junit", "<testsuite/>"), "tests.format"),
    Row("humaneval without entry_point", {"entry_point": None}, "entry_point"),
    Row("entry_point not an identifier", {"entry_point": "1add"}, "entry_point"),
    Row("entry_point a keyword", {"entry_point": "class"}, "entry_point"),
    Row("entry_point with a NUL byte", {"entry_point": "add\x00"}, "entry_point"),
    Row("entry_point oversized", {"entry_point": "a" * 201}, "entry_point"),
    Row("unknown language", {"language": "cobol"}, "language"),
    Row("pytest tests for go", {"language": "golang", **_tests("pytest", PYTEST)}, "tests.format"),
    Row("humaneval tests for javascript", {"language": "js"}, "tests.format"),
    Row("timeout oversized", {"limits": {"timeout_s": 301}}, "limits.timeout_s"),
    Row("memory undersized", {"limits": {"memory_mb": 1}}, "limits.memory_mb"),
    Row("blank prompt", {"prompt": "   "}, "prompt", sandbox=False),
    Row("prompt oversized", {"prompt": "x" * (S.max_prompt_chars + 1)}, "prompt", sandbox=False),
    Row("model with a NUL byte", {"model": "gpt\x00"}, "model", sandbox=False),
    Row("tier with a NUL byte", {"tier": "cheap\x00"}, "tier", sandbox=False),
    Row("n oversized", {"n": S.max_n + 1}, "n", sandbox=False),
    Row("tests oversized", _tests("pytest", PYTEST + "#" * S.max_tests_chars), "tests.code", sandbox=False),
]


def test_the_api_refuses_each_bad_problem_naming_its_field_and_accepts_the_good(client: TestClient) -> None:
    for row in BAD + GOOD:
        r = client.post("/v1/tasks", json=row.problem())
        if row.field is None:
            assert r.status_code == 202, (row.name, r.text[:300])
            continue
        assert r.status_code == 422, (row.name, r.status_code, r.text[:300])
        assert r.json()["detail"][0]["loc"] == ["body", *row.field.split(".")], (row.name, r.text[:300])


def _solve(problem: dict[str, Any], tmp_path: Path, base_url: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(problem))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BESTOFN_", "OPENAI_"))}
    env.update(BESTOFN_DATA_DIR=str(tmp_path / "data"), OPENAI_BASE_URL=base_url, OPENAI_API_KEY="sk-x",
               BESTOFN_RUN_ID=get_settings().run_id or "")
    return subprocess.run([sys.executable, "-m", "bestofn.cli", "solve", str(path)], capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.mark.parametrize("row", BAD, ids=lambda r: r.name)
def test_the_cli_refuses_each_bad_problem_in_one_line_naming_its_field(row: Row, tmp_path: Path) -> None:
    out = _solve(row.problem(), tmp_path, "http://127.0.0.1:9/v1")
    assert out.returncode == 2, out.stderr[-500:]
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and f"field '{row.field}':" in last, out.stderr[-500:]
    assert "Traceback" not in out.stderr + out.stdout


@pytest.mark.parametrize("row", GOOD, ids=lambda r: r.name)
def test_the_cli_solves_each_good_problem(row: Row, tmp_path: Path, fake_llm: FakeLLM) -> None:
    fake_llm.add(f"[{row.name}]", f"```python\n{row.solution}```")
    out = _solve(row.problem(), tmp_path, fake_llm.base_url)
    assert out.returncode == 0, out.stderr[-800:]


SANDBOX_CALLS = """
import json, sys
import sandbox
from bestofn.schemas import Limits, TestSuite
from bestofn.settings import get_settings

config = get_settings().sandbox_config()  # the engine named by BESTOFN_DOCKER_HOST
out = {}
for name, body in json.load(sys.stdin).items():
    # model_construct: the pieces reach the sandbox unchecked, so its own check is what is tested
    tests = TestSuite.model_construct(**body["tests"])
    limits = Limits.model_construct(**body["limits"]) if "limits" in body else None
    ep = body.get("entry_point")
    lang = body.get("language", "python")
    calls = [lambda: sandbox.run_candidate("pass", tests, ep, limits, config=config, language=lang),
             lambda: sandbox.run_many(["pass"], tests, ep, limits, config=config, language=lang)]
    if not body.get("tests_only"):
        calls.append(lambda: sandbox.run_inputs(["pass"], ["(1, 2)"], ep, limits=limits, config=config, language=lang))
    got = out[name] = []
    for call in calls:
        try:
            call()
            got.append("accepted")
        except ValueError as exc:
            got.append(str(exc))
        except Exception as exc:  # SandboxUnavailable: the call got as far as the engine
            got.append(f"reached the engine: {type(exc).__name__}")
print(json.dumps(out))
"""


def test_the_sandbox_refuses_each_bad_problem_naming_its_field_before_any_container() -> None:
    rows = [r for r in BAD if r.sandbox]
    calls = {r.name: {**r.problem(), "tests_only": r.field.startswith("tests")} for r in rows}  # type: ignore[union-attr]
    env = {**os.environ, "BESTOFN_DOCKER_HOST": f"unix:///nonexistent/{uuid.uuid4().hex}.sock"}
    done = subprocess.run([sys.executable, "-c", SANDBOX_CALLS], input=json.dumps(calls), capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout)
    for row in rows:
        assert got[row.name], row.name
        for answer in got[row.name]:
            assert answer.startswith(f"{row.field}: "), (row.name, answer)


def test_the_probe_needs_an_engine_for_a_good_entry_point() -> None:
    """The check above is not vacuous: a good problem does get as far as the (missing) engine."""
    env = {**os.environ, "BESTOFN_DOCKER_HOST": f"unix:///nonexistent/{uuid.uuid4().hex}.sock"}
    done = subprocess.run([sys.executable, "-c", SANDBOX_CALLS], input=json.dumps({"good": BASE}),
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["good"] == ["reached the engine: SandboxUnavailable"] * 3


@pytest.mark.parametrize("row", GOOD, ids=lambda r: r.name)
def test_the_sandbox_runs_each_good_problem(row: Row, sandbox_config: SandboxConfig) -> None:
    p = row.problem()
    result = run_candidate(row.solution, Suite(**p["tests"]), p.get("entry_point"), Limits(**p.get("limits", {})),
                           labels={"bestofn.task": f"pytest-validation-{uuid.uuid4().hex[:10]}"}, config=sandbox_config)
    assert (result.status, result.tests_passed) == ("passed", 1), result
