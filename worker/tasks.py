"""Celery tasks: thin wrappers that take ids and call the core (``bestofn.pipeline``, ``bestofn.evals.runner``).

Both resume from the database, so a redelivered message (worker lost,
``acks_late``) continues the work instead of starting over. Messages are
published by ``bestofn.dispatch`` (and re-published by the sweeper).
"""

from __future__ import annotations

from bestofn.evals.runner import run_eval
from bestofn.evals.store import EvalStore
from bestofn.pipeline import TRANSIENT_ERRORS, TaskBusy, run_task
from worker.celery_app import celery_app


@celery_app.task(
    name="bestofn.run_task",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=30,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=30,
)
def run_task_job(self, task_id: str) -> str:  # type: ignore[no-untyped-def]
    """Run one task; if another live worker holds it, look again shortly."""
    try:
        return run_task(task_id).status
    except TaskBusy as exc:
        raise self.retry(exc=exc, countdown=5) from exc


@celery_app.task(name="bestofn.run_eval", acks_late=True, reject_on_worker_lost=True)
def run_eval_job(run_id: str) -> str | None:
    """Bring the evaluation run to done; returns its status."""
    run_eval(run_id)
    run = EvalStore().get(run_id)
    return run.status if run else None


__all__ = ["celery_app", "run_eval_job", "run_task_job"]
