"""Every read and write an evaluation makes, on one engine.

Writes are idempotent (rows keyed by run, task and index), so an
interrupted or redelivered run resumes from what is stored and never re-runs a
finished sample. One lock serialises writes: SQLite (the embedded default) allows
one writer at a time, and results arrive from many sandbox threads.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from sqlalchemy import bindparam, delete, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from bestofn.db import get_engine, insert_once
from bestofn.evals.models import EVAL_TERMINAL_STATUSES, EvalRun, EvalSample, EvalStatus, SampleStatus
from bestofn.evals.samples import result_text
from bestofn.models import utcnow
from bestofn.schemas import Candidate, ExecutionResult


class NameTaken(Exception):
    """Another run of the same owner already has this name (found at insert: two requests raced)."""


class EvalStore:
    """Evaluation rows on one engine."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.engine = engine or get_engine()
        self._lock = threading.Lock()

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # -- runs --------------------------------------------------------------------
    def get(self, run_id: str) -> EvalRun | None:
        with self.session() as s:
            return s.get(EvalRun, run_id)

    def by_name(self, name: str, api_key_id: str | None = None) -> EvalRun | None:
        """The run called ``name`` among ``api_key_id``'s (None: the runs made without keys)."""
        owner = EvalRun.api_key_id == api_key_id if api_key_id is not None else col(EvalRun.api_key_id).is_(None)
        with self.session() as s:
            return s.exec(select(EvalRun).where(EvalRun.name == name, owner)).first()

    def create(self, run: EvalRun, samples: list[EvalSample]) -> EvalRun:
        """Insert a run and its known samples in one transaction; ``NameTaken`` if the owner has the name."""
        with self._lock, self.session() as s:
            return insert_run(s, run, samples)

    def delete(self, run_id: str) -> None:
        """Forget a run and its samples (``--restart``)."""
        with self._lock, self.session() as s:
            s.exec(delete(EvalSample).where(col(EvalSample.run_id) == run_id))  # type: ignore[call-overload]
            s.exec(delete(EvalRun).where(col(EvalRun.id) == run_id))  # type: ignore[call-overload]
            s.commit()

    def update_config(self, run_id: str, **changes: Any) -> EvalRun:
        """Change report-only knobs of a stored run (k values, workers) before resuming it."""
        with self._lock, self.session() as s:
            run = s.get(EvalRun, run_id)
            if run is None:
                raise LookupError(f"eval run {run_id} not found")
            run.config = {**run.config, **changes}
            run.updated_at = utcnow()
            s.add(run)
            s.commit()
            s.refresh(run)
            return run

    def set_status(self, run_id: str, status: EvalStatus, **fields: Any) -> None:
        values = {"status": status, "updated_at": utcnow(), **fields}
        if status in EVAL_TERMINAL_STATUSES:
            values.setdefault("finished_at", utcnow())
        with self._lock, self.session() as s:
            s.exec(update(EvalRun).where(col(EvalRun.id) == run_id).values(**values))  # type: ignore[call-overload]
            s.commit()

    def progress(self, run_id: str) -> dict[str, int]:
        """Sample counts by status (``total``, ``done``, ``pending``, ``passed``)."""
        with self.session() as s:
            rows = s.exec(select(EvalSample.status, EvalSample.passed, func.count())
                          .where(EvalSample.run_id == run_id)
                          .group_by(EvalSample.status, EvalSample.passed)).all()
        counts: Counter[str] = Counter()
        for status, passed, n in rows:
            counts[status] += n
            counts["total"] += n
            counts["passed"] += n if passed else 0
        return {"total": counts["total"], "done": counts["done"], "pending": counts["pending"],
                "passed": counts["passed"]}

    # -- samples -------------------------------------------------------------------
    def samples(self, run_id: str, *, status: SampleStatus | None = None, unprobed: bool = False) -> list[EvalSample]:
        """The run's samples in (task_id, sample_index) order, optionally filtered."""
        query = select(EvalSample).where(EvalSample.run_id == run_id)
        if status:
            query = query.where(EvalSample.status == status)
        if unprobed:
            query = query.where(col(EvalSample.probe).is_(None))
        with self.session() as s:
            return list(s.exec(query.order_by(EvalSample.task_id, EvalSample.sample_index)).all())

    def add_generated(self, run_id: str, task_id: str, cand: Candidate, completion: str) -> bool:
        """Store a generated sample once; a duplicate (resumed or redelivered run) is ignored."""
        row = EvalSample(run_id=run_id, task_id=task_id, sample_index=cand.index, completion=completion,
                         error=cand.error, tokens_in=cand.tokens_in, tokens_out=cand.tokens_out,
                         cost_usd=cand.cost_usd, gen_latency_ms=cand.latency_ms)
        with self._lock, self.session() as s:
            return insert_once(s, row)

    def save_results(self, results: dict[int, ExecutionResult], base: dict[int, bool | None] | None = None) -> None:
        """Record samples' hidden-test outcomes and mark them done, in one transaction: one
        problem's sandbox call (a commit per sample costs a few ms on SQLite, serialised).
        ``base``: per sample, whether it passed a split suite's base tests (EvalPlus)."""
        now = utcnow()
        self._update_each({
            sample_id: {"status": "done", "passed": res.all_passed, "result": result_text(res),
                        "exec_status": res.status, "tests_passed": res.tests_passed,
                        "tests_total": res.tests_total, "runtime_ms": res.runtime_ms, "finished_at": now,
                        "base_passed": (base or {}).get(sample_id)}
            for sample_id, res in results.items()
        })

    def save_probes(self, probes: dict[int, dict[str, Any]]) -> None:
        """Record what rankers may see (behaviour on the prompt's examples) for several samples."""
        self._update_each({sample_id: {"probe": probe} for sample_id, probe in probes.items()})

    def _update_each(self, values: dict[int, dict[str, Any]]) -> None:
        """Set ``values[id]`` on each sample row: one UPDATE statement executed for all rows at once
        (executemany) in one transaction. The same keys for every row. An ORM statement per row cost
        about 0.5 ms of CPU a sample, as much as grading it takes in the sandbox."""
        if not values:
            return
        table = EvalSample.__table__  # type: ignore[attr-defined]
        keys = list(next(iter(values.values())))
        stmt = update(table).where(table.c.id == bindparam("row_id")).values({k: bindparam("v_" + k) for k in keys})
        params = [{"row_id": row_id, **{"v_" + k: row[k] for k in keys}} for row_id, row in values.items()]
        with self._lock, self.session() as s:
            s.connection().execute(stmt, params)
            s.commit()


def insert_run(session: Session, run: EvalRun, samples: list[EvalSample]) -> EvalRun:
    """Insert and commit a run with its samples on ``session`` (the budget admission's, or the store's).

    The unique (owner, name) index decides races between requests that both saw
    the name free: the loser gets ``NameTaken`` (an answer), not an IntegrityError (a 500).
    Sample keys are unique by construction, so the run's name is the only conflict left.
    """
    try:
        session.add(run)
        session.flush()
        for row in samples:
            row.run_id = run.id
            session.add(row)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise NameTaken(run.name) from None
    session.refresh(run)
    session.expunge(run)
    return run
