"""Redis unreachable at submission: an eval run is accepted and kept queued like a task, then swept.

The API runs as a real process whose broker URL points at a closed port; the
run must be a 202 stored ``queued`` (the row is durable, the message is not),
and the sweeper, with the broker back, must find it without a message and send it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import redis

from bestofn.broker import broker_task_ids
from bestofn.db import make_engine
from bestofn.dispatch import eval_message_id
from bestofn.evals.store import EvalStore
from bestofn.models import utcnow
from bestofn.settings import Settings, get_settings
from bestofn.store import TaskStore
from bestofn.sweeper import sweep
from tests.e2e.conftest import Stack
from tests.pipeline import problems as P

UNREACHABLE = "redis://127.0.0.1:1/0"
SAMPLES = [{"task_id": "HumanEval/0", "completion": "    return False\n"}]


def test_eval_and_task_submitted_while_redis_is_unreachable_are_accepted_then_swept(
        make_stack: Callable[..., Stack], pg_url: str, redis_url: str) -> None:
    st = make_stack(workers=0, BESTOFN_REDIS_URL=UNREACHABLE)
    ev = st.http.post("/v1/evals", json={"samples": SAMPLES, "name": "offline"})
    task = st.http.post("/v1/tasks", json=P.problem(n=2).model_dump(mode="json", exclude_none=True))
    assert (ev.status_code, task.status_code) == (202, 202), (ev.text, task.text)
    run_id, task_id = ev.json()["id"], task.json()["id"]
    engine = make_engine(pg_url)
    assert EvalStore(engine).get(run_id).status == "queued"
    assert TaskStore(engine).get(task_id).status == "queued"

    queue = get_settings().celery_queue  # this process' Celery app publishes here; no worker consumes it
    try:
        report = sweep(TaskStore(engine), Settings(redis_url=redis_url, sweep_queued_after_s=1), reap=False,
                       now=utcnow() + timedelta(seconds=5))
        assert report.errors == []
        assert report.reenqueued_evals == [run_id] and report.reenqueued == [task_id]
        assert {eval_message_id(run_id), task_id} <= broker_task_ids(redis_url, queue)
    finally:
        redis.Redis.from_url(redis_url).delete(queue)
        engine.dispose()
