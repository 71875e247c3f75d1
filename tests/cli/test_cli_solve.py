"""``bestofn solve`` as a user runs it: a subprocess, any OpenAI-compatible endpoint, embedded storage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bestofn.testing.fake_llm import FakeLLM
from tests.pipeline import problems as P


def _solve(args: list[str], env_extra: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BESTOFN_", "OPENAI_"))}
    env.update({"BESTOFN_DATA_DIR": str(tmp_path / "data"), **env_extra})
    return subprocess.run([sys.executable, "-m", "bestofn.cli", "solve", *args], capture_output=True, text=True,
                          timeout=300, env=env)


def test_solve_json_ranks_fast_over_slow_over_wrong_with_embedded_storage(fake_llm: FakeLLM, tmp_path: Path) -> None:
    fake_llm.add("running_max", P.WRONG, P.SLOW_OK, P.FAST_OK, P.PARTLY_WRONG)
    problem = tmp_path / "problem.json"
    problem.write_text(json.dumps(P.problem(n=4).model_dump(mode="json", exclude_none=True)))
    out = _solve([str(problem), "--json"], {"OPENAI_BASE_URL": fake_llm.base_url, "OPENAI_API_KEY": "sk-x"}, tmp_path)
    assert out.returncode == 0, out.stderr
    view = json.loads(out.stdout)
    assert view["status"] == "done"
    assert [r["index"] for r in view["ranking"]] == [2, 1, 3, 0]
    assert view["winner"]["index"] == 2
    assert view["decision"]["method"] == "tests"
    # it says what it fell back to
    assert "embedded SQLite" in out.stderr and "Celery eager" in out.stderr
    assert (tmp_path / "data" / "bestofn.sqlite3").exists()


def test_solve_table_output(fake_llm: FakeLLM, tmp_path: Path) -> None:
    fake_llm.add("running_max", P.FAST_OK, P.WRONG)
    problem = tmp_path / "problem.json"
    problem.write_text(json.dumps(P.problem(n=2).model_dump(mode="json", exclude_none=True)))
    out = _solve([str(problem)], {"OPENAI_BASE_URL": fake_llm.base_url}, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "winner: candidate 0" in out.stdout and "decision" in out.stdout


@pytest.mark.parametrize(
    "content,needle",
    [
        (None, "no such file"),
        ("{not json", "not valid JSON"),
        ('{"prompt": "x", "n": 0}', "field 'n'"),
        ('{"prompt": "x", "tests": {"format": "junit", "code": "x"}}', "field 'tests.format'"),
        ('{"prompt": "x", "n": 100000}', "field 'n'"),
        ('[1, 2]', "expected a JSON object"),
    ],
)
def test_solve_bad_input_is_one_clear_line(tmp_path: Path, content: str | None, needle: str) -> None:
    problem = tmp_path / "problem.json"
    if content is not None:
        problem.write_text(content)
    out = _solve([str(problem)], {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}, tmp_path)
    assert out.returncode != 0
    assert needle in out.stderr, out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_a_stale_embedded_database_is_one_clear_error_and_is_left_alone(fake_llm: FakeLLM, tmp_path: Path) -> None:
    """A database file from an older build (head revision, a table missing) must not end in a traceback."""
    import sqlite3

    from bestofn.migrate import migrate

    db = tmp_path / "data" / "bestofn.sqlite3"
    db.parent.mkdir()
    migrate(f"sqlite:///{db}")
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE task_budget")
        conn.execute("INSERT INTO eval_run (id, name, status, dataset, config, created_at, updated_at) "
                     "VALUES ('r1', 'kept', 'done', 'humaneval', '{}', '2026-01-01', '2026-01-01')")
    problem = tmp_path / "problem.json"
    problem.write_text(json.dumps(P.problem(n=2).model_dump(mode="json", exclude_none=True)))
    out = _solve([str(problem)], {"OPENAI_BASE_URL": fake_llm.base_url}, tmp_path)
    assert out.returncode == 2
    assert "lacks the table(s) task_budget" in out.stderr and "Traceback" not in out.stderr + out.stdout
    with sqlite3.connect(db) as conn:  # nothing stored was lost
        assert conn.execute("SELECT name FROM eval_run").fetchall() == [("kept",)]
