"""Celery task for batch evaluations: takes a run id, calls the plain runner.

The runner resumes from the database, so a redelivered message (worker lost,
``acks_late``) continues the run instead of starting over.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from bestofn.evals.runner import run_eval
from bestofn.evals.store import EvalStore
from bestofn.settings import Settings
from worker.celery_app import celery_app


@celery_app.task(name="bestofn.run_eval", acks_late=True, reject_on_worker_lost=True)
def run_eval_job(run_id: str) -> str | None:
    """Bring the evaluation run to done; returns its status."""
    run_eval(run_id)
    run = EvalStore().get(run_id)
    return run.status if run else None


@lru_cache(maxsize=1)
def _local_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="bestofn-eval-embedded")


def enqueue_eval(run_id: str, store: EvalStore, settings: Settings) -> None:
    """Queue the run: Celery over Redis, or a thread of this process in the embedded default."""
    if settings.embedded_broker:
        _local_pool().submit(run_eval, run_id, store=store, settings=settings)
        return
    run_eval_job.apply_async(args=[run_id], task_id=f"eval-{run_id}")
