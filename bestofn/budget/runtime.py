"""The admitted plan as the worker applies it: sampling per wave, the deadline, the savings.

Everything here was decided at admission and stored in ``task_budget``, so a
worker needs no policy file and a redelivered task runs under the same plan.
A task stored without a budget row (older rows, direct inserts) runs as before:
the problem's own sampling and no deadline beyond Celery's time limits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import Session

from bestofn.budget.models import TaskBudget
from bestofn.models import utcnow
from bestofn.schemas import Candidate
from bestofn.trace import BudgetTrace


@dataclass
class BudgetRun:
    """One run of one task under its budget row."""

    task_id: str
    row: TaskBudget | None
    started: float
    timed_out: bool = False

    def sampling(self, wave: int, waves: int) -> dict[str, Any]:
        """``generate_candidates`` arguments for a wave: the probe (first of several waves) is greedy.

        None means the problem's own value, which admission filled from the tier.
        """
        row = self.row
        if row is None or row.probe_temperature is None or wave != 0 or waves < 2:
            return {"temperature": None, "max_tokens": None}
        return {"temperature": row.probe_temperature, "max_tokens": row.probe_max_tokens}

    def out_of_time(self) -> bool:
        """True once the tier's timeout has passed: no further wave may start."""
        if self.row is not None and time.perf_counter() - self.started > self.row.timeout_s:
            self.timed_out = True
        return self.timed_out

    def finish(self, candidates: list[Candidate], skipped: int, stopped_after: int | None,
               session: Session) -> BudgetTrace | None:
        """Record the tier that sufficed and the estimated USD early stop saved; returns the trace's budget section.

        The write joins ``session``, the pipeline's finishing transaction (decision and status with it).
        """
        if self.row is None:
            return None
        row = self.row
        routed = row.probe_tier if row.route == "probe" and stopped_after == 0 else row.tier
        saved = saved_usd(candidates, skipped)
        budget = TaskBudget.__table__  # type: ignore[attr-defined]  # Core: the ORM's bulk UPDATE path is slower
        session.connection().execute(update(budget).where(budget.c.task_id == self.task_id)
                                     .values(routed_tier=routed, saved_usd=saved, updated_at=utcnow()))
        return BudgetTrace(tier=row.tier, route=row.route, routed_tier=routed, reserved_usd=round(row.reserved_usd, 8),
                           budget_usd=row.budget_usd, downgrade=row.downgrade, candidates_skipped=max(0, skipped),
                           saved_usd_est=round(saved, 8), timed_out=self.timed_out)


def saved_usd(candidates: list[Candidate], skipped: int) -> float:
    """Skipped candidates times the mean cost of the ones generated: what early stop did not buy."""
    paid = [c.cost_usd for c in candidates if c.tokens_in or c.tokens_out]
    if skipped <= 0 or not paid:
        return 0.0
    return skipped * sum(paid) / len(paid)
