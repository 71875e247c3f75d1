"""The sweeper's three jobs as plain functions on a real database and the real Docker engine."""

from __future__ import annotations

import time
from datetime import timedelta

import docker
import pytest

from bestofn import sweeper
from bestofn.db import make_engine
from bestofn.evals.models import EvalRun
from bestofn.evals.store import EvalStore
from bestofn.models import Task, utcnow
from bestofn.settings import Settings
from bestofn.store import TaskStore
from bestofn.sweeper import sweep
from sandbox.build import ensure_image

SETTINGS = Settings(task_max_attempts=3, sweep_queued_after_s=60, redis_url="")


def _task(store: TaskStore, **fields: object) -> str:
    """A raw task row in a chosen state (tasks are created only by admission; the sweeper sees rows)."""
    task = Task(problem={"prompt": "p"}, **fields)
    with store.session() as s:
        s.add(task)
        s.commit()
    return task.id


def test_stale_running_tasks_are_requeued_then_failed_after_max_attempts(pg_url: str) -> None:
    store = TaskStore(make_engine(pg_url))
    now = utcnow()
    expired = now - timedelta(seconds=30)
    lost_once = _task(store, status="generating", attempts=1, lease_owner="dead:1", lease_expires_at=expired)
    lost_often = _task(store, status="executing", attempts=3, lease_owner="dead:2", lease_expires_at=expired)
    alive = _task(store, status="executing", attempts=1, lease_owner="alive", lease_expires_at=now + timedelta(60))
    done = _task(store, status="done", attempts=1)
    sent: list[str] = []

    report = sweep(store, SETTINGS, enqueue=sent.append, has_message=set, reap=False, now=now)
    assert report.requeued == [lost_once] and sent == [lost_once]
    assert report.failed == [lost_often]
    requeued, failed = store.get(lost_once), store.get(lost_often)
    assert (requeued.status, requeued.lease_owner) == ("queued", None) and "attempt 1 of 3" in requeued.reason
    assert failed.status == "failed" and "gave up after 3 attempts" in failed.reason and failed.finished_at
    assert store.get(alive).status == "executing" and store.get(done).status == "done"

    again = sweep(store, SETTINGS, enqueue=sent.append, has_message=set, reap=False, now=now)
    assert not again.requeued and not again.failed and sent == [lost_once]  # idempotent
    store.engine.dispose()


def test_a_worker_that_reclaims_first_wins_over_the_sweeper(pg_url: str) -> None:
    """The conditional update: a task whose lease was renewed between read and write is left alone."""
    store = TaskStore(make_engine(pg_url))
    now = utcnow()
    tid = _task(store, status="generating", attempts=1, lease_owner="w", lease_expires_at=now - timedelta(seconds=5))
    assert store.claim(tid, "rescuer", 60)
    report = sweep(store, SETTINGS, enqueue=lambda _: None, has_message=set, reap=False, now=now)
    assert not report.requeued and store.get(tid).lease_owner == "rescuer"
    store.engine.dispose()


def test_queued_tasks_without_a_broker_message_are_enqueued_again(pg_url: str) -> None:
    store = TaskStore(make_engine(pg_url))
    now = utcnow()
    old = now - timedelta(seconds=120)
    lost = _task(store, status="queued", created_at=old, updated_at=old)
    waiting = _task(store, status="queued", created_at=old, updated_at=old)
    fresh = _task(store, status="queued")
    sent: list[str] = []
    report = sweep(store, SETTINGS, enqueue=sent.append, has_message=lambda: {waiting}, reap=False, now=now)
    assert report.reenqueued == [lost] and sent == [lost]
    assert fresh not in sent
    # re-enqueueing restarts the task's clock: the next sweep leaves it to its new message
    assert not sweep(store, SETTINGS, enqueue=sent.append, has_message=lambda: {waiting}, reap=False, now=now).reenqueued
    store.engine.dispose()



def test_queued_eval_runs_without_a_broker_message_are_enqueued_again(pg_url: str) -> None:
    store = TaskStore(make_engine(pg_url))
    evals = EvalStore(store.engine)
    now = utcnow()
    old = now - timedelta(seconds=120)
    lost, waiting, fresh, running = (
        evals.create(EvalRun(name=name, dataset="humaneval", status=status, updated_at=at), []).id
        for name, status, at in [("lost", "queued", old), ("waiting", "queued", old), ("fresh", "queued", now),
                                 ("running", "executing", old)])
    sent: list[str] = []
    tasks: list[str] = []

    def present() -> set[str]:
        return {f"eval-{waiting}"}

    report = sweep(store, SETTINGS, enqueue=tasks.append, enqueue_eval=sent.append, has_message=present,
                   reap=False, now=now)
    assert report.reenqueued_evals == [lost] and sent == [lost] and tasks == []
    assert {fresh, running}.isdisjoint(sent)
    # re-enqueueing restarts the run's clock, as for tasks
    assert not sweep(store, SETTINGS, enqueue=tasks.append, enqueue_eval=sent.append, has_message=present,
                     reap=False, now=now).reenqueued_evals
    # a caller injecting only ``enqueue`` leaves eval runs alone
    assert not sweep(store, SETTINGS, enqueue=tasks.append, has_message=set, reap=False,
                     now=now + timedelta(seconds=600)).reenqueued_evals

def test_without_a_broker_stale_tasks_fail_with_a_reason(pg_url: str) -> None:
    store = TaskStore(make_engine(pg_url))
    tid = _task(store, status="ranking", attempts=1, lease_owner="x", lease_expires_at=utcnow() - timedelta(seconds=9))
    report = sweep(store, SETTINGS, reap=False)
    assert report.failed == [tid] and "no broker" in store.get(tid).reason
    store.engine.dispose()


def test_leaked_sandbox_containers_are_reaped(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past their deadline label at once; never started (an orphan) after the grace; others untouched."""
    client = docker.from_env()
    image = ensure_image(config=SETTINGS.sandbox_config())
    labels = {"bestofn.sandbox": "1", "bestofn.task": f"sweeper-test-{time.time_ns()}"}
    expired = client.containers.create(image, command=["true"], labels={**labels, "bestofn.expires": str(int(time.time()) - 5)})
    orphan = client.containers.create(image, command=["true"], labels={**labels, "bestofn.expires": str(int(time.time()) + 600)})
    store = TaskStore(make_engine(pg_url))
    try:
        monkeypatch.setattr(sweeper, "ORPHAN_GRACE_S", 3600.0)
        report = sweep(store, SETTINGS, now=utcnow())
        assert not report.errors
        left = {c.id for c in client.containers.list(all=True, sparse=True, filters={"label": f"bestofn.task={labels['bestofn.task']}"})}
        assert left == {orphan.id}
        monkeypatch.setattr(sweeper, "ORPHAN_GRACE_S", 2.0)  # short, not zero: the engine is shared
        time.sleep(2.5)
        assert sweep(store, SETTINGS, now=utcnow()).containers_removed >= 1
        assert not client.containers.list(all=True, sparse=True, filters={"label": f"bestofn.task={labels['bestofn.task']}"})
    finally:
        for c in (expired, orphan):
            try:
                c.remove(force=True)
            except docker.errors.NotFound:
                pass
        client.close()
        store.engine.dispose()


def test_cli_sweep_runs_once(pg_url: str) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "BESTOFN_DATABASE_URL": pg_url}
    out = subprocess.run([sys.executable, "-m", "bestofn.cli", "sweep", "--json"], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert '"requeued": []' in out.stdout


def test_broker_task_ids_reads_waiting_messages_from_real_redis(redis_url: str) -> None:
    import redis as redis_lib

    from bestofn.broker import broker_task_ids
    from worker.tasks import run_task_job

    queue = f"bestofn-broker-test-{time.time_ns()}"
    ids = [f"{i:032x}" for i in range(3)]
    try:
        for tid in ids:
            run_task_job.apply_async(args=[tid], task_id=tid, queue=queue)
        assert set(ids) <= broker_task_ids(redis_url, queue)
    finally:
        redis_lib.Redis.from_url(redis_url).delete(queue)
    assert not set(ids) & broker_task_ids(redis_url, queue)
