"""End to end: REST API -> Redis -> Celery worker process -> sandbox -> Postgres."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bestofn.testing.fake_llm import Reply
from bestofn.testing.procs import start_worker
from tests.e2e.conftest import Stack
from tests.pipeline import problems as P


def _body(**kw: object) -> dict:
    return P.problem(**kw).model_dump(mode="json", exclude_none=True)


def test_submit_rank_and_read_back(stack: Stack) -> None:
    stack.fake.add("running_max", P.WRONG, P.SLOW_OK, P.FAST_OK, P.NO_CODE)
    task_id = stack.submit(_body(n=4))
    view = stack.wait(task_id)
    assert view["status"] == "done", view
    assert [r["index"] for r in view["ranking"]][:3] == [2, 1, 0]
    assert view["winner"]["index"] == 2 and "running_max" in view["winner"]["code"]
    assert view["decision"]["method"] == "tests"
    assert view["progress"] == {"n": 4, "generated": 4, "executed": 3, "revisions": 0, "max_revisions": 0}
    engine = create_engine(stack.env["BESTOFN_DATABASE_URL"])
    with engine.connect() as c:
        assert c.execute(text("select count(*) from candidate where task_id=:t"), {"t": task_id}).scalar() == 4
        assert c.execute(text("select count(*) from execution where task_id=:t"), {"t": task_id}).scalar() == 3
        assert c.execute(text("select method from decision where task_id=:t"), {"t": task_id}).scalar() == "tests"
    engine.dispose()
    listed = stack.http.get("/v1/tasks", params={"status": "done", "limit": 5}).json()
    assert listed["total"] >= 1 and listed["items"][0]["id"] == task_id


def test_bad_input_names_the_field(stack: Stack) -> None:
    cases = [
        ({**_body(), "n": 0}, "n"),
        ({**_body(), "n": 100_000}, "n"),
        ({k: v for k, v in _body().items() if k != "prompt"}, "prompt"),
        ({**_body(), "tests": {"format": "junit", "code": "x"}}, "format"),
        ({**_body(), "temperature": 9}, "temperature"),
        ({**_body(), "entry_point": "not a name"}, "entry_point"),
        ({**_body(), "tests": {"format": "io", "code": "not json"}}, "tests"),
    ]
    for body, field in cases:
        r = stack.http.post("/v1/tasks", json=body)
        assert r.status_code == 422, (field, r.text)
        assert field in r.text, (field, r.text)
    r = stack.http.post("/v1/tasks", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert stack.http.get("/v1/tasks/nope").status_code == 404


def test_cancel_stops_work(stack: Stack) -> None:
    stack.fake.add("running_max", Reply(content=P.FAST_OK, delay_s=2.0))
    task_id = stack.submit(_body(n=8))
    stack.wait(task_id, until={"generating", "executing", "done"})
    r = stack.http.post(f"/v1/tasks/{task_id}/cancel")
    assert r.status_code == 200
    view = stack.wait(task_id)
    assert view["status"] == "cancelled"


def test_worker_sigkill_mid_task_is_redelivered_and_completes_once(stack: Stack) -> None:
    """SIGKILL the worker while it generates; a new worker finishes the task with no duplicate rows."""
    stack.fake.add("running_max", Reply(content=P.FAST_OK, delay_s=1.0), Reply(content=P.WRONG, delay_s=1.0))
    stack.workers[0].stop()
    stack.workers.clear()
    # one LLM call at a time, so the kill lands between stored candidates
    victim_env = {**stack.env, "BESTOFN_LLM_CONCURRENCY": "1"}
    w = start_worker(victim_env, stack.logs / "victim.log", concurrency=1, name="victim")
    stack.workers.append(w)
    env_conc = {**stack.env}
    task_id = stack.submit(_body(n=6))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        view = stack.http.get(f"/v1/tasks/{task_id}").json()
        if view["progress"]["generated"] >= 1:
            break
        time.sleep(0.1)
    assert view["status"] == "generating", view
    w.kill(signal.SIGKILL)
    w.popen.wait(timeout=10)
    stack.add_worker("rescuer")
    final = stack.wait(task_id, timeout=180)
    assert final["status"] == "done", final
    assert final["progress"]["generated"] == 6
    engine = create_engine(env_conc["BESTOFN_DATABASE_URL"])
    with engine.connect() as c:
        rows = c.execute(text('select "index" from candidate where task_id=:t order by 1'), {"t": task_id}).all()
        attempts = c.execute(text("select attempts from task where id=:t"), {"t": task_id}).scalar()
    engine.dispose()
    assert [r[0] for r in rows] == list(range(6))
    assert attempts >= 2
    # no candidate was asked for twice after it was stored: requests <= 6 + those in flight at the kill
    seeds = [r["seed"] for r in stack.fake.requests]
    assert len(seeds) <= 6 + 1


def test_cli_submit_wait_json(stack: Stack, tmp_path: Path) -> None:
    stack.fake.add("running_max", P.FAST_OK, P.WRONG)
    problem = tmp_path / "problem.json"
    problem.write_text(json.dumps(_body(n=2)))
    out = subprocess.run([sys.executable, "-m", "bestofn.cli", "submit", str(problem), "--api", stack.url, "--api-key", stack.token, "--wait", "--json"],
                         capture_output=True, text=True, timeout=120, env={**os.environ, **stack.env})
    assert out.returncode == 0, out.stderr
    view = json.loads(out.stdout)
    assert view["status"] == "done" and view["winner"]["index"] == 0
