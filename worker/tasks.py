"""Celery tasks: thin wrappers that take ids and call the plain pipeline."""

from __future__ import annotations

from worker.celery_app import celery_app
from worker.pipeline import TRANSIENT_ERRORS, TaskBusy, run_task


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
