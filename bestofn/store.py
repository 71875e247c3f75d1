"""Persistence for the pipeline: every write is idempotent per (task, candidate).

Redelivery of a task (a worker died) must never duplicate rows or spend, so
rows are keyed by unique constraints and inserts that lose a race are ignored.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from bestofn.db import get_engine, insert_once
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
from bestofn.schemas import Candidate, Decision, ExecutionResult
from bestofn.trace import DecisionTrace, LlmCall


class TaskStore:
    """All reads and writes the pipeline makes, on one engine."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.engine = engine or get_engine()

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # -- task ------------------------------------------------------------------
    def get(self, task_id: str) -> Task | None:
        with self.session() as s:
            return s.get(Task, task_id)

    def set_status(self, task_id: str, status: TaskStatus, *, unless_cancelled: bool = False, **fields: object) -> bool:
        """Move a task on, unless it already ended (a cancel wins over late work); True if it moved.

        ``unless_cancelled`` also leaves a task with a pending cancel alone, so the pipeline's
        phase change and its cancel check are one round trip.
        """
        values = {"status": status, "updated_at": utcnow(), **fields}
        if status in TERMINAL_STATUSES:
            values.setdefault("finished_at", utcnow())
            values.update(lease_owner=None, lease_expires_at=None)
        live = [Task.id == task_id, Task.status.not_in(TERMINAL_STATUSES)]
        if unless_cancelled:
            live.append(Task.cancel_requested.is_(False))
        with self.session() as s:
            res = s.exec(update(Task).where(*live).values(**values))  # type: ignore[call-overload]
            s.commit()
            return res.rowcount == 1

    def claim(self, task_id: str, owner: str, lease_s: float) -> bool:
        """Take the task's lease if it is free or expired; False if another worker holds it."""
        now = utcnow()
        with self.session() as s:
            res = s.exec(  # type: ignore[call-overload]
                update(Task)
                .where(
                    Task.id == task_id,
                    Task.status.not_in(TERMINAL_STATUSES),
                    or_(Task.lease_owner.is_(None), Task.lease_owner == owner, Task.lease_expires_at < now),
                )
                .values(
                    lease_owner=owner,
                    lease_expires_at=now + timedelta(seconds=lease_s),
                    attempts=Task.attempts + 1,
                    started_at=func.coalesce(Task.started_at, now),
                    updated_at=now,
                )
            )
            s.commit()
            return res.rowcount == 1

    def renew(self, task_id: str, owner: str, lease_s: float) -> bool:
        with self.session() as s:
            res = s.exec(  # type: ignore[call-overload]
                update(Task)
                .where(Task.id == task_id, Task.lease_owner == owner)
                .values(lease_expires_at=utcnow() + timedelta(seconds=lease_s))
            )
            s.commit()
            return res.rowcount == 1

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
            rows = s.exec(select(ExecutionRow).where(ExecutionRow.task_id == task_id)).all()
            return {r.candidate_index: ExecutionResult.model_validate(r, from_attributes=True) for r in rows}

    def save_execution(self, task_id: str, index: int, result: ExecutionResult) -> bool:
        data = _text_safe(result.model_dump(), "stdout", "stderr")
        row = ExecutionRow(task_id=task_id, candidate_index=index, **data)
        with self.session() as s:
            return insert_once(s, row)

    # -- decision ----------------------------------------------------------------
    def save_decision(self, task_id: str, decision: Decision) -> None:
        """Upsert: a redelivered task recomputes the same decision from the same rows (its LLM calls replace
        the first run's, so spend never counts them twice)."""
        trace = decision.details
        with self.session() as s:
            row = s.get(DecisionRow, task_id) or DecisionRow(task_id=task_id, method=decision.method)
            row.winner_index = decision.winner
            row.method = decision.method
            row.reason = decision.reason
            row.runner_up = decision.runner_up
            row.agreement_rate = decision.agreement_rate
            row.confidence = decision.confidence
            row.no_passing_candidate = decision.no_passing_candidate
            row.ranking = [r.model_dump() for r in decision.ranking]
            row.details = trace.stored()
            s.add(row)
            s.execute(delete(DecisionLlmCallRow).where(DecisionLlmCallRow.task_id == task_id))  # type: ignore[arg-type]
            s.add_all(DecisionLlmCallRow(task_id=task_id, seq=seq,
                                         **_text_safe(call.model_dump(include=_CALL_COLUMNS), "error", "reply_head"))
                      for seq, call in enumerate(trace.llm_calls))
            s.commit()

    def decision(self, task_id: str) -> Decision | None:
        with self.session() as s:
            row = s.get(DecisionRow, task_id)
            if row is None:
                return None
            calls = s.exec(select(DecisionLlmCallRow).where(DecisionLlmCallRow.task_id == task_id)
                           .order_by(DecisionLlmCallRow.seq)).all()  # type: ignore[arg-type]
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
    """PostgreSQL text cannot hold NUL: a candidate printing one must not fail its task's writes."""
    for name in fields:
        if isinstance(data.get(name), str) and "\x00" in data[name]:
            data[name] = data[name].replace("\x00", "\ufffd")
    return data


def as_utc(dt: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; treat them as UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
