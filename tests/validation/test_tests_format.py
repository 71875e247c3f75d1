"""Tests in the wrong declared format: the API says 422 naming tests.code, the CLI one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

HUMANEVAL_CHECK = "def check(candidate):\n    assert candidate([1, 3, 2]) == [1, 3, 3]\n"
BODY = {"prompt": "def running_max(xs): ...", "entry_point": "running_max", "n": 2,
        "tests": {"format": "pytest", "code": HUMANEVAL_CHECK}}


def test_api_refuses_humaneval_code_declared_as_pytest(client: TestClient) -> None:
    r = client.post("/v1/tasks", json=BODY)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["message"] == "invalid field(s): tests.code"
    assert body["detail"][0]["loc"] == ["body", "tests", "code"]
    assert "use format humaneval" in body["detail"][0]["msg"]


def test_api_names_the_line_of_a_syntax_error(client: TestClient) -> None:
    r = client.post("/v1/tasks", json={**BODY, "tests": {"format": "pytest", "code": "def test_a(:\n    pass\n"}})
    assert r.status_code == 422 and r.json()["detail"][0]["msg"].startswith("line 1: "), r.text


def test_cli_refuses_it_in_one_line_with_exit_2(tmp_path: Path) -> None:
    problem = tmp_path / "problem.json"
    problem.write_text(json.dumps(BODY))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BESTOFN_", "OPENAI_"))}
    env.update(BESTOFN_DATA_DIR=str(tmp_path / "data"), OPENAI_BASE_URL="http://127.0.0.1:9/v1")
    out = subprocess.run([sys.executable, "-m", "bestofn.cli", "solve", str(problem)], capture_output=True, text=True,
                         timeout=120, env=env)
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and out.stdout == "", out.stderr
    assert out.stderr.startswith(f"error: {problem}: field 'tests.code': format pytest collects no tests")
    assert out.stderr.rstrip().endswith("use format humaneval")
