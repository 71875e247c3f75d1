"""Run the sweeper inside every worker: once at start-up, then every ``sweep_interval_s``.

A daemon thread (not a Celery beat: nothing extra to deploy, and every worker
sweeping is safe because sweeps are idempotent). Under the prefork pool the
thread runs in each pool child, never in the parent: the parent forks new
children at any time, and they must not inherit its database or Docker sockets.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery.signals import worker_process_init, worker_ready, worker_shutdown

from bestofn.settings import get_settings
from bestofn.sweeper import sweep

log = logging.getLogger("bestofn.sweeper")
_stop = threading.Event()


def _loop(interval_s: float) -> None:
    while True:
        try:
            sweep()
        except Exception:  # never let the thread die: the next pass may work
            log.exception("sweep failed")
        if _stop.wait(interval_s):
            return


def _start() -> None:
    interval = get_settings().sweep_interval_s
    if interval > 0:
        threading.Thread(target=_loop, args=(interval,), name="bestofn-sweeper", daemon=True).start()


@worker_ready.connect
def start_in_worker(sender: Any = None, **_: Any) -> None:
    """Threads and solo pools: the worker's own process does the work, so it sweeps."""
    pool = getattr(sender, "pool", None)
    if pool is None or not type(pool).__module__.endswith("prefork"):
        _start()


@worker_process_init.connect
def start_in_pool_child(**_: Any) -> None:
    """Prefork pool children (the signal fires only there)."""
    _start()


@worker_shutdown.connect
def stop_sweeper(**_: Any) -> None:
    _stop.set()
