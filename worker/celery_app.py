"""The Celery app: Redis broker when configured, eager in-process otherwise.

Reliability settings follow the style guide: late acks, reject on worker loss,
prefetch 1 (tasks are long), a visibility timeout that bounds how long a task
held by a dead worker waits before redelivery.
"""

from __future__ import annotations

from celery import Celery

from bestofn.settings import get_settings


def make_celery() -> Celery:
    s = get_settings()
    app = Celery("bestofn", include=["worker.tasks"])
    if s.redis_url:
        app.conf.broker_url = s.redis_url
        app.conf.result_backend = None
    else:
        app.conf.task_always_eager = True
        app.conf.task_eager_propagates = True
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_soft_time_limit=s.task_soft_time_limit_s,
        task_time_limit=s.task_time_limit_s,
        broker_transport_options={"visibility_timeout": s.broker_visibility_timeout_s},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        task_default_queue="bestofn",
    )
    return app


celery_app = make_celery()
