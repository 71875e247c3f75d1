"""Grader cheats as a model would send them, through the whole task: the honest candidate wins.

The scripted LLM server answers with every cheat of tests/sandbox/cheats.py and one
honest solution, last; the task runs on real Postgres and Docker (``run_task``) and
through ``bestofn solve --json`` as a user runs it. The task ends ``done``, the winner
is the honest candidate, and no cheat is graded passing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bestofn.db import make_engine
from bestofn.llm import make_client
from bestofn.pipeline import run_task
from bestofn.schemas import Problem
from bestofn.schemas import TestSuite as Suite
from bestofn.service import create_task, task_view
from bestofn.store import TaskStore
from bestofn.testing.fake_llm import FakeLLM
from tests.sandbox import cheats as C

PROMPT = 'def add(a, b):\n    """Return the sum of a and b."""\n'


def fenced(code: str) -> str:
    return f"```python\n{code}```"


def problem(n: int, tests: Suite) -> Problem:
    return Problem.model_validate({"prompt": PROMPT, "entry_point": "add", "tests": tests, "n": n,
                                   "temperature": 0.8, "strategy": "tests"})


@pytest.mark.parametrize("fmt", ["humaneval", "pytest"])
def test_every_cheat_loses_to_the_honest_candidate_in_a_task(fmt: str, pg_url: str, fake_llm: FakeLLM) -> None:
    names = list(C.FUNCTION_CHEATS)
    fake_llm.add("Return the sum", *[fenced(C.FUNCTION_CHEATS[n]) for n in names], fenced(C.HONEST))
    tests = Suite(format=fmt, code=C.HUMANEVAL_CHECK if fmt == "humaneval" else C.PYTEST_FILE)
    store = TaskStore(make_engine(pg_url))
    task = create_task(problem(len(names) + 1, tests), store=store)
    outcome = run_task(task.id, client=make_client(base_url=fake_llm.base_url), store=store)
    view = task_view(store.get(task.id), store)
    assert outcome.status == "done", view.reason
    assert view.winner is not None and view.winner.index == len(names), view.winner
    passing = [c.index for c in view.candidates if c.execution is not None and c.execution.status == "passed"]
    assert passing == [len(names)], [(names[i] if i < len(names) else "honest") for i in passing]
    assert "SELECT" not in (view.reason or "") and "Traceback" not in (view.reason or "")


def test_solve_json_picks_the_honest_candidate_over_cheats(fake_llm: FakeLLM, tmp_path: Path) -> None:
    picked = ["always_equal", "int_subclass_equals_anything", "forged_events_on_every_fd_then_exit_in_call",
              "walk_frames_for_the_expected_value", "proc_fds_of_other_processes_then_kill_them"]
    fake_llm.add("Return the sum", *[fenced(C.FUNCTION_CHEATS[n]) for n in picked], fenced(C.HONEST))
    path = tmp_path / "problem.json"
    spec = problem(len(picked) + 1, Suite(format="humaneval", code=C.HUMANEVAL_CHECK))
    path.write_text(json.dumps(spec.model_dump(mode="json", exclude_none=True)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BESTOFN_", "OPENAI_"))}
    env.update({"BESTOFN_DATA_DIR": str(tmp_path / "data"), "OPENAI_BASE_URL": fake_llm.base_url,
                "OPENAI_API_KEY": "sk-test"})
    if os.environ.get("BESTOFN_RUN_ID"):
        env["BESTOFN_RUN_ID"] = os.environ["BESTOFN_RUN_ID"]
    done = subprocess.run([sys.executable, "-m", "bestofn.cli", "solve", str(path), "--json"], capture_output=True,
                          text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    view = json.loads(done.stdout)
    assert view["status"] == "done"
    assert view["winner"]["index"] == len(picked)
    statuses = {c["index"]: (c.get("execution") or {}).get("status") for c in view["candidates"]}
    assert [i for i, s in statuses.items() if s == "passed"] == [len(picked)], statuses


def test_a_reply_holding_nul_or_a_lone_surrogate_is_stored_and_the_task_ends(pg_url: str, fake_llm: FakeLLM) -> None:
    """PostgreSQL text refuses NUL and UTF-8 a lone surrogate: a model's reply is stored with U+FFFD
    in their place (``schemas.storable``), never failing the task's writes."""
    wrong = "```python\ndef add(a, b):\n    return a - b  # \x00\ud800\n```\n"
    fake_llm.add("Return the sum", wrong, "no code here \x00 \udfff", fenced(C.HONEST))
    store = TaskStore(make_engine(pg_url))
    task = create_task(problem(3, Suite(format="humaneval", code=C.HUMANEVAL_CHECK)), store=store)
    outcome = run_task(task.id, client=make_client(base_url=fake_llm.base_url), store=store)
    view = task_view(store.get(task.id), store)
    assert outcome.status == "done", view.reason
    assert view.winner is not None and view.winner.index == 2
    rows = {c.index: c for c in store.candidates(task.id)}
    assert "\ufffd\ufffd" in rows[0].code and "\ufffd" in rows[1].raw
    assert not any(ch in (r.code or "") + (r.raw or "") for r in rows.values() for ch in ("\x00", "\ud800", "\udfff"))
