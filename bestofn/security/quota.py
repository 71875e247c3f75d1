"""Per-key quota of active work (tasks and evaluation runs not yet ended), checked and
taken atomically at submission.

Counting active tasks and inserting the new one must not interleave with another
submission of the same key, or two racing requests both pass a full quota. On
PostgreSQL a transaction-scoped advisory lock per key serialises them across API
processes; SQLite (embedded, one process) uses a process lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, Engine

from bestofn.evals.models import EVAL_TERMINAL_STATUSES, EvalRun
from bestofn.models import TERMINAL_STATUSES, Task

_local = threading.Lock()


class QuotaExceeded(Exception):
    def __init__(self, active: int, limit: int) -> None:
        super().__init__(f"{active} active tasks and evaluations, limit {limit}")
        self.active, self.limit = active, limit


def _active(conn: Connection, key_id: str) -> int:
    """The key's tasks and evaluation runs not yet ended: one quota, so evaluations are no way around it."""
    tasks = select(func.count()).select_from(Task).where(
        Task.api_key_id == key_id, Task.status.not_in(TERMINAL_STATUSES)  # type: ignore[attr-defined]
    )
    runs = select(func.count()).select_from(EvalRun).where(
        EvalRun.api_key_id == key_id, EvalRun.status.not_in(EVAL_TERMINAL_STATUSES)  # type: ignore[attr-defined]
    )
    return int(conn.execute(tasks).scalar_one()) + int(conn.execute(runs).scalar_one())


@contextmanager
def admission(engine: Engine, key_id: str, limit: int) -> Iterator[None]:
    """Raise ``QuotaExceeded`` if the key is at ``limit``; else hold its lock while the caller inserts."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"bestofn.quota:{key_id}"})
            active = _active(conn, key_id)
            if active >= limit:
                raise QuotaExceeded(active, limit)
            yield
        return
    with _local, engine.connect() as conn:
        active = _active(conn, key_id)
        if active >= limit:
            raise QuotaExceeded(active, limit)
        yield
