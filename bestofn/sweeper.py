"""Sweep up after lost workers and lost messages; safe to run from many processes at once.

Three jobs, each idempotent:

1. Running tasks whose lease expired (their worker died, or lost the database
   for longer than a lease) go back to ``queued`` and are enqueued again; after
   ``task_max_attempts`` claims they are failed with a reason instead.
2. Queued tasks older than ``sweep_queued_after_s`` with no broker message (Redis
   restarted without persistence, or was down at submission) are enqueued again;
   so are queued eval runs, the same way (their message id is ``eval-<run id>``).
3. Sandbox containers past their deadline label are removed (``sandbox.reap``),
   and orphans (never started, or exited, for ``ORPHAN_GRACE_S``) sooner.

Every state change is a conditional UPDATE, so two sweepers never both requeue
the same task; a duplicate message would be harmless anyway (``run_task`` is
idempotent and leased).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, update
from sqlmodel import select

from bestofn.evals.models import EvalRun
from bestofn.models import RUNNING_STATUSES, Task, utcnow
from bestofn.settings import Settings, get_settings
from bestofn.store import TaskStore

if TYPE_CHECKING:
    from sandbox import SandboxConfig

log = logging.getLogger("bestofn.sweeper")
ORPHAN_GRACE_S = 15.0


@dataclass
class SweepReport:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    reenqueued: list[str] = field(default_factory=list)
    reenqueued_evals: list[str] = field(default_factory=list)
    containers_removed: int = 0
    errors: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.requeued or self.failed or self.reenqueued or self.reenqueued_evals
                    or self.containers_removed or self.errors)


def _stale(task_id: str, cutoff: datetime):  # type: ignore[no-untyped-def]
    return update(Task).where(
        Task.id == task_id, Task.status.in_(RUNNING_STATUSES),  # type: ignore[attr-defined]
        or_(Task.lease_expires_at.is_(None), Task.lease_expires_at < cutoff),  # type: ignore[union-attr,operator]
    )


def recover_stale(store: TaskStore, enqueue: Callable[[str], None] | None, s: Settings, now: datetime,
                  report: SweepReport) -> None:
    """Requeue (or, past the attempt limit, fail) running tasks whose lease ran out."""
    for task_id in store.stale_tasks(now):
        task = store.get(task_id)
        if task is None:
            continue
        with store.session() as db:
            if task.attempts >= s.task_max_attempts or enqueue is None:
                why = (f"gave up after {task.attempts} attempts: the worker running it was lost each time "
                       "(lease expired)") if enqueue is not None else "its worker was lost and no broker is configured"
                res = db.exec(_stale(task_id, now).values(  # type: ignore[call-overload]
                    status="failed", reason=why, finished_at=now, updated_at=now, lease_owner=None,
                    lease_expires_at=None))
                target = report.failed
            else:
                res = db.exec(_stale(task_id, now).values(  # type: ignore[call-overload]
                    status="queued", updated_at=now, lease_owner=None, lease_expires_at=None,
                    reason=f"requeued after its worker was lost (attempt {task.attempts} of {s.task_max_attempts})"))
                target = report.requeued
            db.commit()
        if res.rowcount == 1:
            target.append(task_id)
            if target is report.requeued and enqueue is not None:
                enqueue(task_id)


def reenqueue_lost(store: TaskStore, enqueue: Callable[[str], None], has_message: Callable[[], set[str]],
                   s: Settings, now: datetime, report: SweepReport) -> None:
    """Enqueue again queued tasks that waited past ``sweep_queued_after_s`` with no broker message."""
    _reenqueue_stale(store, Task, str, enqueue, has_message, s, now, report.reenqueued)


def reenqueue_lost_evals(store: TaskStore, enqueue_eval: Callable[[str], None],
                         has_message: Callable[[], set[str]], s: Settings, now: datetime, report: SweepReport) -> None:
    """The same for eval runs: queued past ``sweep_queued_after_s`` with no broker message (``eval-<id>``)."""
    from bestofn.dispatch import eval_message_id

    _reenqueue_stale(store, EvalRun, eval_message_id, enqueue_eval, has_message, s, now, report.reenqueued_evals)


def _reenqueue_stale(store: TaskStore, model: type[Task] | type[EvalRun], message_id: Callable[[str], str],
                     enqueue: Callable[[str], None], has_message: Callable[[], set[str]], s: Settings,
                     now: datetime, done: list[str]) -> None:
    """Rows of ``model`` queued past the cutoff whose message is gone: claim each by bumping
    ``updated_at`` (one sweeper wins), then enqueue it and note its id in ``done``."""
    cutoff = now - timedelta(seconds=s.sweep_queued_after_s)
    with store.session() as db:
        old = list(db.exec(select(model.id).where(model.status == "queued", model.updated_at < cutoff)).all())
    if not old:
        return
    present = has_message()
    for row_id in old:
        if message_id(row_id) in present:
            continue
        with store.session() as db:
            res = db.exec(update(model).where(  # type: ignore[call-overload]
                model.id == row_id, model.status == "queued", model.updated_at < cutoff).values(updated_at=now))
            db.commit()
        if res.rowcount == 1:
            enqueue(row_id)
            done.append(row_id)


def reap_containers(report: SweepReport, config: SandboxConfig) -> None:
    """Past-deadline sandbox containers (``sandbox.reap``), and orphans that need not wait for their deadline.

    A sandbox container is created, started and removed by one thread in one go (a warm
    runner exits by itself when idle or orphaned, and the engine removes it);
    one still "created" (never started) or "exited" ``ORPHAN_GRACE_S`` later lost
    its owner's removal (the engine restarted, or the worker died in between).
    """
    import sandbox

    try:
        report.containers_removed = sandbox.reap(config=config) + _reap_orphans(config)
    except Exception as exc:  # the engine is down: the next sweep tries again
        report.errors.append(f"reap: {exc.__class__.__name__}: {exc}")


def _reap_orphans(config: SandboxConfig) -> int:
    from sandbox.client import get_client
    from sandbox.container import remove_container

    api = get_client(config=config).api
    now = utcnow().timestamp()
    removed = 0
    for summary in api.containers(all=True, filters={"label": "bestofn.sandbox=1",
                                                     "status": ["created", "exited", "dead"]}):
        since = float(summary.get("Created", now))
        if summary.get("State") != "created":
            finished = api.inspect_container(summary["Id"]).get("State", {}).get("FinishedAt", "")
            try:
                since = datetime.fromisoformat(finished[:26].rstrip("Z") + "+00:00").timestamp()
            except ValueError:
                continue
        if now - since > ORPHAN_GRACE_S and remove_container(summary["Id"], config):
            removed += 1
    return removed


def sweep(store: TaskStore | None = None, settings: Settings | None = None, *,
          enqueue: Callable[[str], None] | None = None, has_message: Callable[[], set[str]] | None = None,
          reap: bool = True, now: datetime | None = None,
          enqueue_eval: Callable[[str], None] | None = None) -> SweepReport:
    """One pass of every job; errors of one job are reported and do not stop the others.

    With a broker configured and nothing injected, tasks and eval runs are both sent through
    ``bestofn.dispatch``; a caller that injects ``enqueue`` leaves eval runs alone unless it
    injects ``enqueue_eval`` too.
    """
    s = settings or get_settings()
    store = store or TaskStore()
    now = now or utcnow()
    report = SweepReport()
    if enqueue is None and s.redis_url:
        from bestofn import dispatch

        enqueue = dispatch.send_task
        if enqueue_eval is None:
            enqueue_eval = dispatch.send_eval
    if has_message is None and s.redis_url:
        from bestofn.broker import broker_task_ids

        def has_message() -> set[str]:
            return broker_task_ids(s.redis_url, s.celery_queue)
    jobs: list[tuple[str, Callable[[], None]]] = [("stale", lambda: recover_stale(store, enqueue, s, now, report))]
    if enqueue is not None and has_message is not None:
        jobs.append(("queued", lambda: reenqueue_lost(store, enqueue, has_message, s, now, report)))
    if enqueue_eval is not None and has_message is not None:
        jobs.append(("queued evals", lambda: reenqueue_lost_evals(store, enqueue_eval, has_message, s, now, report)))
    if reap:
        jobs.append(("reap", lambda: reap_containers(report, s.sandbox_config())))
    for name, job in jobs:
        try:
            job()
        except Exception as exc:  # database or broker down: report, the next sweep retries
            report.errors.append(f"{name}: {exc.__class__.__name__}: {exc}")
    if report:
        log.info("sweep: requeued %s, failed %s, re-enqueued %s (eval runs %s), containers removed %d, errors %s",
                 report.requeued, report.failed, report.reenqueued, report.reenqueued_evals,
                 report.containers_removed, report.errors)
    return report
