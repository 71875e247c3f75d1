"""The Celery app: Redis broker when configured, eager in-process otherwise.

Reliability settings follow the style guide: late acks, reject on worker loss,
prefetch 1 (tasks are long), a visibility timeout that bounds how long a task
held by a dead worker waits before redelivery.
"""

from __future__ import annotations

from celery import Celery
from celery.signals import setup_logging

from bestofn.logs import configure_logging
from bestofn.security.redact import install_log_redaction
from bestofn.settings import get_settings


def make_celery() -> Celery:
    s = get_settings()
    install_log_redaction(s)
    app = Celery("bestofn", include=["worker.tasks", "worker.periodic"])
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
        task_default_queue=s.celery_queue,
    )
    return app


@setup_logging.connect
def _logging(**_: object) -> None:
    """JSON log lines with task ids (bestofn.logs) instead of Celery's own setup."""
    configure_logging()


celery_app = make_celery()
