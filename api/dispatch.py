"""Hand a stored task to the workers: Celery over Redis, or an in-process thread.

With no Redis configured (the embedded default) the API runs tasks on a small
thread pool in its own process instead of blocking the request in eager mode.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from bestofn.settings import get_settings

log = logging.getLogger("bestofn.api")


@lru_cache(maxsize=1)
def _local_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="bestofn-embedded")


def enqueue_task(task_id: str) -> None:
    """Queue the task for a worker."""
    if get_settings().embedded_broker:
        from worker.pipeline import run_task

        _local_pool().submit(run_task, task_id)
        return
    from kombu.exceptions import OperationalError

    from worker.tasks import run_task_job

    try:
        run_task_job.apply_async(args=[task_id], task_id=task_id)
    except OperationalError as exc:  # the row is durable: the sweeper enqueues it once the broker is back
        log.warning("broker unavailable (%s); task %s stays queued for the sweeper", exc.__class__.__name__, task_id)


def revoke_task(task_id: str) -> None:
    """Best effort: drop a queued message; a running task sees the cancel flag."""
    if get_settings().embedded_broker:
        return
    from kombu.exceptions import OperationalError

    from worker.celery_app import celery_app

    try:
        celery_app.control.revoke(task_id)
    except OperationalError as exc:  # the cancel flag in the database is what the worker obeys
        log.warning("broker unavailable (%s); task %s not revoked at the broker", exc.__class__.__name__, task_id)
