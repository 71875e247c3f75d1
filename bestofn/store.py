"""Persistence for the pipeline: every write is idempotent per (task, candidate).

Redelivery of a task (a worker died) must never duplicate rows or spend, so
rows are keyed by unique constraints and inserts that lose a race are ignored.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Select, Update, bindparam, case, delete, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, func, select

from bestofn.budget.models import TaskBudget
from bestofn.db import dialect_insert, get_engine, insert_all_once, progress_engine
from bestofn.models import (
    RUNNING_STATUSES,
    TERMINAL_STATUSES,
    CandidateRow,
    DecisionLlmCallRow,
    DecisionRow,
    ExecutionRow,
    Task,
    TaskStatus,
    utcnow,
)
from bestofn.schemas import Candidate, Decision, ExecutionResult, storable
from bestofn.trace import DecisionTrace, LlmCall

FIRST_PHASE = "generating"  # a first claim starts here: nothing is stored yet, so every candidate is missing
_Row = TypeVar("_Row", bound=SQLModel)


@dataclass
class Claimed:
    """A claimed task with what earlier attempts stored (read right after the claim, in the same session)."""

    task: Task
    candidates: list[Candidate]
    executions: dict[int, ExecutionResult]
    budget: TaskBudget | None

    @property
    def entered(self) -> str | None:
        """The phase the claim itself moved the task to (cancel checked), or None."""
        first = self.task.attempts == 1 and not self.task.cancel_requested and self.task.status == FIRST_PHASE
        return FIRST_PHASE if first else None


# The hot path's writes go through Core on the table: the ORM's bulk UPDATE machinery costs
# milliseconds of Python per statement, more than the round trip itself.
_TASK = Task.__table__  # type: ignore[attr-defined]


@lru_cache(maxsize=1)
def _take_lease() -> Update:
    """The claim's UPDATE (bound: task_id, owner, now, expires); a first claim with no cancel pending enters
    ``FIRST_PHASE``. Built once."""
    t, now = _TASK.c, bindparam("now")
    return (
        update(_TASK)
        .where(t.id == bindparam("task_id"), t.status.not_in(sorted(TERMINAL_STATUSES)),
               or_(t.lease_owner.is_(None), t.lease_owner == bindparam("owner"), t.lease_expires_at < now))
        .values(lease_owner=bindparam("owner"), lease_expires_at=bindparam("expires"), attempts=t.attempts + 1,
                status=case(((t.attempts == 0) & t.cancel_requested.is_(False), FIRST_PHASE), else_=t.status),
                started_at=func.coalesce(t.started_at, now), updated_at=now)
    )


@lru_cache(maxsize=1)
def _claim_with_budget() -> Select:
    """PostgreSQL: the claim's UPDATE in a CTE, joined to the task's budget row (its columns prefixed ``b_``)."""
    taken = _take_lease().returning(*_TASK.c).cte("taken")
    budget = TaskBudget.__table__  # type: ignore[attr-defined]
    return (select(taken, *(c.label("b_" + c.name) for c in budget.c))
            .outerjoin(budget, budget.c.task_id == taken.c.id))


def _row_as(model: type[_Row], row: Mapping[str, Any], prefix: str = "") -> _Row:
    """A table model built from a Core row's columns (``prefix``-ed ones when several tables share the row)."""
    return model(**{c.name: row[prefix + c.name] for c in model.__table__.c})  # type: ignore[attr-defined]


class TaskStore:
    """All reads and writes the pipeline makes, on one engine."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.engine = engine or get_engine()

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self, session: Session | None = None, *, progress: bool = False) -> Iterator[Session]:
        """A session committed on exit; the caller's own ``session`` as is (it commits), so writes can share one.

        ``progress``: the writes only record progress (a lease, a phase, executions, which are cheap
        to re-run), each statement on its own, through ``db.progress_engine``: two round trips
        instead of five and no wait for the disk flush on every phase of every task. A database
        crash may lose the last of them; the task then resumes from its durable rows.
        """
        if session is not None:
            yield session
            return
        with Session(progress_engine(self.engine) if progress else self.engine, expire_on_commit=False) as s:
            yield s
            s.commit()

    # -- task ------------------------------------------------------------------
    def get(self, task_id: str) -> Task | None:
        with self.session() as s:
            return s.get(Task, task_id)

    def set_status(self, task_id: str, status: TaskStatus, *, unless_cancelled: bool = False,
                   session: Session | None = None, **fields: object) -> bool:
        """Move a task on, unless it already ended (a cancel wins over late work); True if it moved.

        ``unless_cancelled`` also leaves a task with a pending cancel alone, so the pipeline's
        phase change and its cancel check are one round trip. With ``session`` the write joins
        the caller's transaction.
        """
        values = {"status": status, "updated_at": utcnow(), **fields}
        if status in TERMINAL_STATUSES:
            values.setdefault("finished_at", utcnow())
            values.update(lease_owner=None, lease_expires_at=None)
        live = [_TASK.c.id == task_id, _TASK.c.status.not_in(TERMINAL_STATUSES)]
        if unless_cancelled:
            live.append(_TASK.c.cancel_requested.is_(False))
        with self.transaction(session, progress=status in RUNNING_STATUSES) as s:
            return s.connection().execute(update(_TASK).where(*live).values(**values)).rowcount == 1

    def claim(self, task_id: str, owner: str, lease_s: float) -> Claimed | None:
        """Take the task's lease if it is free or expired; None if another worker holds it or it ended.

        One UPDATE ... RETURNING takes the lease (a first claim with no cancel pending also enters
        ``FIRST_PHASE``) and reads the task, with its budget row in the same statement on
        PostgreSQL; what earlier attempts stored follows in the same session. A progress write:
        starting a task waits for no disk flush.
        """
        now = utcnow()
        params = {"task_id": task_id, "owner": owner, "now": now, "expires": now + timedelta(seconds=lease_s)}
        with self.transaction(progress=True) as s:
            conn = s.connection()
            if conn.dialect.name == "postgresql":  # the budget row rides along: one round trip
                row = conn.execute(_claim_with_budget(), params).first()
                task = None if row is None else _row_as(Task, row._mapping)
                budget = None if row is None or row._mapping["b_task_id"] is None else \
                    _row_as(TaskBudget, row._mapping, "b_")
            else:
                row = conn.execute(_take_lease().returning(*_TASK.c), params).first()
                task = None if row is None else _row_as(Task, row._mapping)
                budget = s.get(TaskBudget, task_id) if task is not None else None
            if task is None:
                return None
            if task.attempts == 1:  # rows are only written under a claim: a first claim finds none
                return Claimed(task, [], {}, budget)
            return Claimed(task, self._candidates(s, task_id), self._executions(s, task_id), budget)

    def renew(self, task_id: str, owner: str, lease_s: float) -> bool:
        with self.transaction(progress=True) as s:
            return s.connection().execute(
                update(_TASK).where(_TASK.c.id == task_id, _TASK.c.lease_owner == owner)
                .values(lease_expires_at=utcnow() + timedelta(seconds=lease_s))).rowcount == 1

    def cancel_requested(self, task_id: str) -> bool:
        with self.session() as s:
            t = s.get(Task, task_id)
            return t is None or t.cancel_requested or t.status == "cancelled"

    def request_cancel(self, task_id: str) -> Task | None:
        """Flag a task for cancellation; a queued one is cancelled at once."""
        with self.session() as s:
            t = s.get(Task, task_id)
            if t is None or t.status in TERMINAL_STATUSES:
                return t
            t.cancel_requested = True
            t.updated_at = utcnow()
            if t.status == "queued":
                t.status, t.finished_at, t.reason = "cancelled", utcnow(), "cancelled before it started"
            s.add(t)
            s.commit()
            s.refresh(t)
            return t

    def stale_tasks(self, older_than: datetime) -> list[str]:
        """Running tasks whose lease ran out before ``older_than`` (their worker is gone)."""
        with self.session() as s:
            rows = s.exec(
                select(Task.id).where(
                    Task.status.in_(RUNNING_STATUSES),
                    or_(Task.lease_expires_at.is_(None), Task.lease_expires_at < older_than),
                )
            ).all()
            return list(rows)

    # -- candidates and executions ---------------------------------------------
    def candidates(self, task_id: str) -> list[Candidate]:
        with self.session() as s:
            return self._candidates(s, task_id)

    @staticmethod
    def _candidates(s: Session, task_id: str) -> list[Candidate]:
        rows = s.exec(select(CandidateRow).where(CandidateRow.task_id == task_id).order_by(CandidateRow.index)).all()
        return [Candidate.model_validate(r, from_attributes=True) for r in rows]

    def save_candidate(self, task_id: str, cand: Candidate) -> bool:
        """Insert once; a duplicate (redelivery) is ignored. True if this call stored it."""
        row = CandidateRow(task_id=task_id, **_text_safe(cand.model_dump(), "code", "raw", "error"))
        with self.session() as s:  # one transaction: the row and the task's totals land together or not at all
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                s.rollback()
                return False
            s.exec(  # type: ignore[call-overload]
                update(Task)
                .where(Task.id == task_id)
                .values(
                    tokens_in=Task.tokens_in + cand.tokens_in,
                    tokens_out=Task.tokens_out + cand.tokens_out,
                    cost_usd=Task.cost_usd + cand.cost_usd,
                    updated_at=utcnow(),
                )
            )
            s.commit()
        return True

    def executions(self, task_id: str) -> dict[int, ExecutionResult]:
        with self.session() as s:
            return self._executions(s, task_id)

    @staticmethod
    def _executions(s: Session, task_id: str) -> dict[int, ExecutionResult]:
        rows = s.exec(select(ExecutionRow).where(ExecutionRow.task_id == task_id)).all()
        return {r.candidate_index: ExecutionResult.model_validate(r, from_attributes=True) for r in rows}

    def save_execution(self, task_id: str, index: int, result: ExecutionResult) -> bool:
        return self.save_executions(task_id, {index: result}) == 1

    def save_executions(self, task_id: str, results: dict[int, ExecutionResult]) -> int:
        """Insert a wave's results in one statement; ones already stored (redelivery) are skipped. How many stored."""
        rows = [ExecutionRow(task_id=task_id, candidate_index=i, **_text_safe(r.model_dump(), "stdout", "stderr"))
                for i, r in sorted(results.items())]
        with self.transaction(progress=True) as s:  # a lost wave is re-run: executions buy no tokens
            return insert_all_once(s, rows)

    # -- decision ----------------------------------------------------------------
    def save_decision(self, task_id: str, decision: Decision, session: Session | None = None, *,
                      first_run: bool = False) -> None:
        """Upsert: a redelivered task recomputes the same decision from the same rows (its LLM calls replace
        the first run's, so spend never counts them twice). ``first_run``: the task's first claim, so no
        earlier run stored LLM calls to replace (one statement fewer)."""
        trace = decision.details
        values = dict(
            winner_index=decision.winner, method=decision.method, reason=decision.reason,
            runner_up=decision.runner_up, agreement_rate=decision.agreement_rate, confidence=decision.confidence,
            no_passing_candidate=decision.no_passing_candidate, ranking=[r.model_dump() for r in decision.ranking],
            details=trace.stored(),
        )
        with self.transaction(session) as s:
            insert = dialect_insert(s, DecisionRow.__table__).values(  # type: ignore[attr-defined]  # Core, as above
                task_id=task_id, created_at=utcnow(), **values)
            s.connection().execute(insert.on_conflict_do_update(index_elements=["task_id"], set_=values))
            if not first_run:
                s.execute(delete(DecisionLlmCallRow).where(DecisionLlmCallRow.task_id == task_id))  # type: ignore[arg-type]
            s.add_all(DecisionLlmCallRow(task_id=task_id, seq=seq,
                                         **_text_safe(call.model_dump(include=_CALL_COLUMNS), "error", "reply_head"))
                      for seq, call in enumerate(trace.llm_calls))

    def decision(self, task_id: str) -> Decision | None:
        with self.session() as s:
            row = s.get(DecisionRow, task_id)
            if row is None:
                return None
            calls = s.exec(select(DecisionLlmCallRow).where(DecisionLlmCallRow.task_id == task_id)
                           .order_by(DecisionLlmCallRow.seq)).all()  # type: ignore[arg-type]
            return _decision(row, list(calls))

    # -- pages of tasks ------------------------------------------------------------
    def summaries(self, task_ids: list[str]) -> dict[str, TaskSummary]:
        """What the task list shows of each task beyond its row, in four queries whatever the number of tasks."""
        out = {tid: TaskSummary() for tid in task_ids}
        if not task_ids:
            return out
        paid = case(((CandidateRow.tokens_in != 0) | (CandidateRow.tokens_out != 0), 1), else_=0)
        revised = case((CandidateRow.round >= 1, 1), else_=0)  # type: ignore[operator]
        winner = (CandidateRow.task_id == DecisionRow.task_id) & (CandidateRow.index == DecisionRow.winner_index)
        ran = (CandidateRow.task_id == ExecutionRow.task_id) & (CandidateRow.index == ExecutionRow.candidate_index)
        with self.session() as s:
            for tid, made, calls, revisions in s.exec(
                    select(CandidateRow.task_id, func.count(), func.sum(paid), func.sum(revised))
                    .where(CandidateRow.task_id.in_(task_ids))  # type: ignore[attr-defined]
                    .group_by(CandidateRow.task_id)):
                summary = out[tid]
                summary.revisions, summary.paid_calls = int(revisions or 0), int(calls or 0)
                summary.generated = made - summary.revisions
            for tid, executed, revisions in s.exec(
                    select(ExecutionRow.task_id, func.count(), func.sum(revised)).outerjoin(CandidateRow, ran)
                    .where(ExecutionRow.task_id.in_(task_ids))  # type: ignore[attr-defined]
                    .group_by(ExecutionRow.task_id)):
                out[tid].executed = executed - int(revisions or 0)
            calls_of: dict[str, list[DecisionLlmCallRow]] = {}
            for call in s.exec(select(DecisionLlmCallRow)
                               .where(DecisionLlmCallRow.task_id.in_(task_ids))  # type: ignore[attr-defined]
                               .order_by(DecisionLlmCallRow.task_id, DecisionLlmCallRow.seq)):  # type: ignore[arg-type]
                calls_of.setdefault(call.task_id, []).append(call)
            for row, code in s.exec(select(DecisionRow, CandidateRow.code).outerjoin(CandidateRow, winner)
                                    .where(DecisionRow.task_id.in_(task_ids))):  # type: ignore[attr-defined]
                out[row.task_id].decision = _decision(row, calls_of.get(row.task_id, []))
                out[row.task_id].winner_code = code
        return out


@dataclass
class TaskSummary:
    """A task's stored work in counts, its decision and the winner's code: the list's view, without candidates."""

    generated: int = 0  # fresh samples (round 0), at most the task's n
    paid_calls: int = 0  # candidates whose request used tokens
    executed: int = 0  # of the fresh samples
    revisions: int = 0  # candidates made by revision rounds
    decision: Decision | None = None
    winner_code: str | None = None


def _decision(row: DecisionRow, calls: list[DecisionLlmCallRow]) -> Decision:
    return Decision(
        winner=row.winner_index, ranking=row.ranking, method=row.method, reason=row.reason,  # type: ignore[arg-type]
        runner_up=row.runner_up, agreement_rate=row.agreement_rate, confidence=row.confidence,
        no_passing_candidate=row.no_passing_candidate, details=stored_trace(row.details, calls),
    )


_CALL_COLUMNS = set(LlmCall.model_fields)


def stored_trace(details: dict, calls: list[DecisionLlmCallRow]) -> DecisionTrace:
    """A decision row's trace: its JSON (in any format written so far) plus its LLM call rows."""
    trace = DecisionTrace.model_validate(details)
    trace.llm_calls = [LlmCall.model_validate(c, from_attributes=True) for c in calls]
    return trace


def _text_safe(data: dict, *fields: str) -> dict:
    """PostgreSQL text cannot hold NUL nor UTF-8 a lone surrogate: a candidate printing one must not
    fail its task's writes (``schemas.storable``)."""
    for name in fields:
        if isinstance(data.get(name), str):
            data[name] = storable(data[name])
    return data


def as_utc(dt: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; treat them as UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
