"""Hand stored work (tasks and eval runs) to the workers: Celery over Redis, or a thread here.

One module, one rule for both kinds of work: the row is stored (and durable)
before it is handed over, so a broker that is down at submission costs
nothing but time: the submission is still accepted, the row stays ``queued``,
and the sweeper (``bestofn.sweeper``) enqueues it once the broker is back.

With no Redis configured (the embedded default) work runs on a small thread
pool in this process instead of blocking the caller in Celery's eager mode.

The Celery app and its thin tasks live in ``worker/`` (the adapter). This is the
one place the core reaches them, lazily in ``celery_tasks()``, so importing the
core (the API, the CLI) never imports Celery's task modules.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING

from bestofn.settings import Settings, get_settings

if TYPE_CHECKING:
    from bestofn.evals.store import EvalStore

log = logging.getLogger("bestofn.dispatch")


def celery_tasks() -> ModuleType:
    """The adapter's Celery tasks module (``worker.tasks``; its ``celery_app`` too), imported on first use."""
    from worker import tasks  # the one documented import of the Celery adapter from the core

    return tasks


def eval_message_id(run_id: str) -> str:
    """The broker message id of an eval run (task messages use the task id itself)."""
    return f"eval-{run_id}"


@lru_cache(maxsize=1)
def _task_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="bestofn-embedded")


@lru_cache(maxsize=1)
def _eval_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="bestofn-eval-embedded")


def send_task(task_id: str) -> None:
    """Publish the task's message; raises ``kombu.exceptions.OperationalError`` when the broker is down."""
    celery_tasks().run_task_job.apply_async(args=[task_id], task_id=task_id)


def send_eval(run_id: str) -> None:
    """Publish the eval run's message; raises ``kombu.exceptions.OperationalError`` when the broker is down."""
    celery_tasks().run_eval_job.apply_async(args=[run_id], task_id=eval_message_id(run_id))


def _send_or_leave_queued(send: Callable[[str], None], what: str, row_id: str) -> None:
    from kombu.exceptions import OperationalError

    try:
        send(row_id)
    except OperationalError as exc:  # the row is durable: the sweeper enqueues it once the broker is back
        log.warning("broker unavailable (%s); %s %s stays queued for the sweeper", exc.__class__.__name__,
                    what, row_id)


def enqueue_task(task_id: str, settings: Settings | None = None) -> None:
    """Queue a stored task for a worker; never raises for a down broker."""
    if (settings or get_settings()).embedded_broker:
        from bestofn.pipeline import run_task

        _task_pool().submit(run_task, task_id)
        return
    _send_or_leave_queued(send_task, "task", task_id)


def enqueue_eval(run_id: str, settings: Settings | None = None, store: EvalStore | None = None) -> None:
    """Queue a stored eval run for a worker; never raises for a down broker.

    ``store`` is the caller's (its engine) for the embedded thread; a worker opens its own.
    """
    s = settings or get_settings()
    if s.embedded_broker:
        from bestofn.evals.runner import run_eval

        _eval_pool().submit(run_eval, run_id, store=store, settings=s)
        return
    _send_or_leave_queued(send_eval, "eval run", run_id)


def revoke_task(task_id: str, settings: Settings | None = None) -> None:
    """Best effort: drop a queued message; a running task sees the cancel flag."""
    if (settings or get_settings()).embedded_broker:
        return
    from kombu.exceptions import OperationalError

    try:
        celery_tasks().celery_app.control.revoke(task_id)
    except OperationalError as exc:  # the cancel flag in the database is what the worker obeys
        log.warning("broker unavailable (%s); task %s not revoked at the broker", exc.__class__.__name__, task_id)
