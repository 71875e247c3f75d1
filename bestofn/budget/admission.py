"""Admit a task: read today's spend, fit the plan, store the task and its reservation at once.

Reading the remaining daily budget and storing the new reservation happen
under one lock (a Postgres advisory lock held to commit, plus a process lock
for the embedded SQLite mode), so concurrent submissions cannot each see the
same remaining budget and overspend it together.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlmodel import Session

from bestofn.budget.counters import BUDGET_ALERTS, BUDGET_REFUSALS
from bestofn.budget.guard import Estimate, Room, fit
from bestofn.budget.models import TaskBudget
from bestofn.budget.policy import Policy, load_policy, policy_path
from bestofn.budget.routing import TaskPlan
from bestofn.budget.spend import daily_position
from bestofn.errors import ProblemRejected
from bestofn.evals.models import EvalRun
from bestofn.evals.store import EvalStore, insert_run
from bestofn.models import Task
from bestofn.settings import Settings
from bestofn.store import TaskStore

log = logging.getLogger("bestofn.budget")
LOCK_NAME = "bestofn.budget"  # one advisory lock for every admission: the daily budget is shared
_process_lock = threading.Lock()


class Admission:
    """One admission: fit a plan against today's room, then store it with its task."""

    def __init__(self, session: Session, settings: Settings, policy: Policy) -> None:
        self.session, self.settings, self.policy = session, settings, policy
        self.spent, self.reserved = daily_position(session.connection(), settings)
        self._fitted: tuple[TaskPlan, Estimate] | None = None
        self._eval_est: Estimate | None = None

    @property
    def room(self) -> Room:
        return Room(daily_left_usd=self.policy.guardrails.daily_budget_usd - self.spent - self.reserved)

    def fit(self, plan: TaskPlan) -> TaskPlan:
        """The plan as it may run: unchanged, or downgraded with the reason noted; refuses otherwise."""
        try:
            fitted, est = fit(plan, self.room, self.policy, self.settings, str(policy_path(self.settings)))
        except ProblemRejected as exc:
            BUDGET_REFUSALS.labels(field=exc.field).inc()
            log.warning("task refused by the budget", extra={"field": exc.field, "reason": exc.message,
                                                             "spent_today_usd": self.spent, "reserved_usd": self.reserved})
            raise
        if fitted.notes:
            log.warning("task plan changed by the budget", extra={"reason": "; ".join(fitted.notes)})
        self._fitted = (fitted, est)
        return fitted

    def fit_eval(self, est: Estimate, what: str) -> None:
        """Admit a generate-mode evaluation whose worst case is ``est``, or refuse naming ``n``.

        No downgrade: fewer samples would change what the evaluation measures.
        """
        left = self.room.daily_left_usd
        if est.usd <= left:
            self._eval_est = est
            return
        BUDGET_REFUSALS.labels(field="n").inc()
        g = self.policy.guardrails
        message = (f"{what} may cost ${est.usd:.6f} but only ${max(left, 0):.6f} of today's "
                   f"guardrails.daily_budget_usd=${g.daily_budget_usd:.2f} ({policy_path(self.settings)}) is left "
                   "(spent plus held by unfinished work); ask for fewer samples or problems, or try after 00:00 UTC")
        log.warning("evaluation refused by the budget", extra={"field": "n", "reason": message,
                                                               "spent_today_usd": self.spent, "reserved_usd": self.reserved})
        raise ProblemRejected("n", message)

    def store_run(self, run: EvalRun) -> EvalRun:
        """Store the run holding its worst case in one commit (this releases the lock); ``NameTaken`` on a clash."""
        est = self._eval_est
        assert est is not None, "fit_eval() an estimate before storing its run"
        run.reserved_usd = est.usd
        stored = insert_run(self.session, run, [])
        self._alert(est.usd)
        return stored

    def store(self, task: Task) -> Task:
        """Store the task and its budget row in one commit (this releases the lock)."""
        assert self._fitted is not None, "fit() a plan before storing its task"
        plan, est = self._fitted
        self.session.add(task)
        self.session.flush()
        self.session.add(_budget_row(task.id, plan, est))
        self.session.commit()  # every column's value is set here, none by the database: nothing to read back
        self.session.expunge(task)  # the caller keeps a loaded task after the session closes
        self._alert(est.usd)
        return task

    def _alert(self, reserved_now: float) -> None:
        g = self.policy.guardrails
        committed = self.spent + self.reserved + reserved_now
        if committed >= g.alert_threshold * g.daily_budget_usd:
            BUDGET_ALERTS.inc()
            log.warning("daily budget alert", extra={
                "spent_today_usd": round(self.spent, 6), "reserved_usd": round(self.reserved + reserved_now, 6),
                "daily_budget_usd": g.daily_budget_usd, "alert_threshold": g.alert_threshold})


def _budget_row(task_id: str, plan: TaskPlan, est: Estimate) -> TaskBudget:
    probe = plan.probe
    return TaskBudget(
        task_id=task_id, tier=plan.tier, route=plan.route, probe_tier=probe.tier if probe else None,
        probe_temperature=probe.temperature if probe else None, probe_max_tokens=probe.max_tokens if probe else None,
        max_tokens=plan.max_tokens, timeout_s=plan.timeout_s, budget_usd=plan.budget_usd,
        reserved_usd=est.usd, reserved_tokens=est.tokens, downgrade="; ".join(plan.notes) or None,
    )


@contextmanager
def budget_admission(store: TaskStore | EvalStore, settings: Settings) -> Iterator[Admission]:
    """An ``Admission`` holding the budget lock until its task or run is stored (or it is refused)."""
    policy = load_policy(settings)
    with _process_lock, store.session() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.connection().execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": LOCK_NAME})
        try:
            yield Admission(session, settings, policy)
        finally:
            session.rollback()  # no-op after store(); releases the lock after a refusal
