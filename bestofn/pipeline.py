"""The main path for one task: generate in waves, execute, rerank, store.

``run_task`` is a plain function: the Celery task, ``bestofn solve`` and the
tests all call it. It is idempotent and resumable: a redelivered task reuses
the candidates and executions already stored and only does what is missing.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from requests.exceptions import ConnectionError as EngineConnectionError  # the Docker SDK's transport
from sqlalchemy.exc import DisconnectionError, OperationalError

from bestofn.budget.runtime import BudgetRun
from bestofn.client import default_client
from bestofn.examples import example_suite
from bestofn.execute import execute_candidates, warm_runners
from bestofn.feedback import execution_feedback
from bestofn.generate import generate_candidates, revise_candidate
from bestofn.logs import TaskLog, task_log
from bestofn.models import TERMINAL_STATUSES, Task, TaskStatus
from bestofn.rerank import decide
from bestofn.revise import improved, parent_to_revise, planned_rounds, revision_trace, solved
from bestofn.schemas import Candidate, ExecutionResult, Problem
from bestofn.security.redact import describe_failure
from bestofn.settings import Settings, get_settings
from bestofn.store import Claimed, TaskStore, as_utc
from bestofn.split import DEFAULT_SHARE, choose_split, seen_text
from bestofn.trace import EarlyStopTrace, SplitTrace
from bestofn.untested import disagreement_pick, examples_pick
from bestofn.waves import plan_waves, trim_waves, use_early_stop
from sandbox import RunnerPool, SandboxUnavailable

if TYPE_CHECKING:  # openai takes ~0.5 s to import; code that calls the endpoint imports it there
    import openai

log = logging.getLogger("bestofn.pipeline")
# Outages of the database or the Docker engine: the task is retried, not failed.
TRANSIENT_ERRORS = (OperationalError, DisconnectionError, SandboxUnavailable, EngineConnectionError)


class TaskBusy(Exception):
    """Another live worker holds this task's lease; try again later."""


@dataclass
class RunOutcome:
    """What ``run_task`` did, for callers that want more than the stored rows."""

    task_id: str
    status: TaskStatus
    reason: str | None = None


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class _Lease:
    """Renews the task's lease in the background while the worker is alive."""

    def __init__(self, store: TaskStore, task_id: str, owner: str, lease_s: float) -> None:
        self.store, self.task_id, self.owner, self.lease_s = store, task_id, owner, lease_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{task_id}", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.lease_s / 3):
            try:
                self.store.renew(self.task_id, self.owner, self.lease_s)
            except TRANSIENT_ERRORS as exc:  # database blip: keep trying; the lease outlives a short outage
                log.warning("lease renewal of %s failed: %s", self.task_id, exc.__class__.__name__)

    def __enter__(self) -> "_Lease":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def run_task(
    task_id: str,
    *,
    client: openai.OpenAI | None = None,
    store: TaskStore | None = None,
    settings: Settings | None = None,
    owner: str | None = None,
) -> RunOutcome:
    """Run (or resume) one task to a terminal status.

    Raises ``TaskBusy`` when another live worker holds it; never raises for a
    candidate's failure (those are values stored on rows).
    """
    s = settings or get_settings()
    store = store or TaskStore()
    owner = owner or worker_identity()
    claimed = store.claim(task_id, owner, s.task_lease_s)  # the common case: one round trip to start
    if claimed is None:
        task = store.get(task_id)
        if task is None:
            raise LookupError(f"task {task_id} does not exist")
        if task.status in TERMINAL_STATUSES:
            return RunOutcome(task_id, task.status, task.reason)
        raise TaskBusy(task_id)
    started = time.perf_counter()
    try:
        with _Lease(store, task_id, owner, s.task_lease_s):
            return _run_claimed(claimed, store, s, client, started)
    except TRANSIENT_ERRORS as exc:  # not the task's fault: Celery retries it, the sweeper backs that up
        _back_to_queue(store, task_id, exc)
        raise
    except Exception as exc:  # unexpected: record it, then let Celery see it
        store.set_status(task_id, "failed", reason="internal error: " + describe_failure(exc))
        raise


def _back_to_queue(store: TaskStore, task_id: str, exc: Exception) -> None:
    """Release the task (queued, no lease) so the retry resumes it at once rather than after the lease."""
    try:
        store.set_status(task_id, "queued", reason=f"waiting to retry after {exc.__class__.__name__}",
                         lease_owner=None, lease_expires_at=None)
    except TRANSIENT_ERRORS:
        log.warning("task %s keeps its lease until it runs out: the database is down too", task_id)


def _cancelled(store: TaskStore, task_id: str) -> bool:
    if store.cancel_requested(task_id):
        store.set_status(task_id, "cancelled", reason="cancelled by request")
        return True
    return False


def _enter(store: TaskStore, task_id: str, status: TaskStatus) -> bool:
    """Start the next phase; False (and the task marked cancelled) when a cancel is pending.

    One round trip in the common case: the status write itself checks the cancel flag.
    """
    return store.set_status(task_id, status, unless_cancelled=True) or not _cancelled(store, task_id)


class _Cancelled(Exception):
    """A cancel was seen at a phase change (the task is already marked cancelled)."""


@dataclass
class _Run:
    """One claimed run of a task: what its phases read and add to."""

    task: Task
    problem: Problem
    store: TaskStore
    settings: Settings
    client: openai.OpenAI
    budget: BudgetRun
    tlog: TaskLog
    started: float
    early_stop: bool
    waves: list[list[int]]
    cands: dict[int, Candidate]  # by index, resumed from the rows already stored
    results: dict[int, ExecutionResult]
    timings: dict[str, float] = field(default_factory=lambda: {"generate_ms": 0.0, "execute_ms": 0.0, "rank_ms": 0.0})
    stopped_after: int | None = None
    rounds_planned: int = 0  # revision rounds this run may take (the split's, under 'auto')
    revision_stop: str = ""  # why the revision rounds ended (bestofn/revise.py)
    split: SplitTrace | None = None  # the width/depth policy's choice under 'auto' (bestofn/split.py)
    on_examples: dict[int, ExecutionResult] = field(default_factory=dict)  # without tests: runs on the prompt's examples
    feedback_sources: dict[int, str] = field(default_factory=dict)  # revision index -> what its feedback came from
    runners: RunnerPool | None = None  # the task's warm sandbox runners: its waves and probes share them
    phase: str | None = None  # the status this run last set (the claim may have set the first)

    @property
    def tid(self) -> str:
        return self.task.id

    def enter(self, status: TaskStatus) -> None:
        """Start the next phase, or stop the run with ``_Cancelled``.

        Already in ``status`` by this run's own last write (no work since): nothing to write or check.
        """
        if status == self.phase:
            return
        if not _enter(self.store, self.tid, status):
            raise _Cancelled
        self.phase = status

    def candidates(self) -> list[Candidate]:
        return [self.cands[i] for i in sorted(self.cands)]


def _run_claimed(claimed: Claimed, store: TaskStore, s: Settings, client: openai.OpenAI | None,
                 started: float) -> RunOutcome:
    """The phases of a claimed task in order: waves (generate, execute, early stop), then rank or fail."""
    task = claimed.task
    run = _start(claimed, store, s, client, started)
    try:
        with warm_runners(s, {"bestofn.task": task.id}) as run.runners:
            _sample_and_revise(run)
            if not any(c.usable for c in run.cands.values()):
                return _fail_without_code(run)
            return _rank_and_finish(run)
    except _Cancelled:
        return RunOutcome(task.id, "cancelled", "cancelled by request")


def _start(claimed: Claimed, store: TaskStore, s: Settings, client: openai.OpenAI | None, started: float) -> _Run:
    """Plan the waves and resume what earlier attempts stored (read with the claim)."""
    task = claimed.task
    problem = Problem.model_validate(task.problem)
    early_stop = use_early_stop(task.strategy, problem.n is not None, problem.early_stop)
    run = _Run(
        task=task, problem=problem, store=store, settings=s, client=client or default_client(),
        budget=BudgetRun(task.id, claimed.budget, started), tlog=task_log(log, task.id), started=started,
        early_stop=early_stop, waves=plan_waves(task.n, early_stop and problem.tests is not None),
        cands={c.index: c for c in claimed.candidates}, results=claimed.executions, phase=claimed.entered,
    )
    run.tlog.info("task started", extra={"waves": [len(w) for w in run.waves], "model": task.model,
                                         "strategy": task.strategy})
    return run


def _sample_and_revise(run: _Run) -> None:
    """The waves, then the revision rounds; under 'auto' with rounds allowed, the split policy
    (bestofn/split.py) reads the greedy probe (else the samples) and picks the width, the rounds and
    which runs first."""
    rounds = planned_rounds(run.problem, run.settings)
    if run.problem.strategy != "auto" or not rounds:
        _run_waves(run)
        _run_revisions(run, rounds)
        return
    probe = len(run.waves) > 1  # waves with early stop: wave 0 is the greedy probe
    _run_waves(run, stop=1 if probe else None)
    seen = run.results.get(0) if probe else _best_result(run)
    split = choose_split(run.problem, run.task.n, rounds, seen, probe=probe)
    run.split = split.trace(seen_text(seen, "the greedy probe" if probe else "the best sample"),
                            run.problem.revision_share if run.problem.revision_share is not None else DEFAULT_SHARE)
    run.tlog.info("width/depth split", extra={"signal": split.signal, "width": split.width, "rounds": split.rounds,
                                              "depth_first": split.depth_first})
    run.waves = trim_waves(run.waves, split.width)
    if split.depth_first:
        _run_revisions(run, split.rounds)
        if solved(run.results) and len(run.waves) > 1:
            run.stopped_after = 0  # a revision of the probe solved it: the other samples are not bought
            return
        _run_waves(run, start=1)
    else:
        _run_waves(run, start=1)
        _run_revisions(run, split.rounds)


def _best_result(run: _Run) -> ExecutionResult | None:
    parent = parent_to_revise(run.candidates(), run.results)
    return run.results.get(parent.index) if parent else None


def _run_waves(run: _Run, start: int = 0, stop: int | None = None) -> None:
    """Waves ``start`` to ``stop``: generate what is missing, execute it; stop early once a wave passes,
    or when out of time."""
    if run.stopped_after is not None:
        return
    for w in range(start, len(run.waves) if stop is None else min(stop, len(run.waves))):
        wave = run.waves[w]
        if w and run.budget.out_of_time():
            run.tlog.warning("task timeout: no further wave", extra={"wave": w})
            break
        _generate_wave(run, w, wave)
        _execute_wave(run, w, wave)
        if run.early_stop and w < len(run.waves) - 1 and any(
                run.results.get(i) and run.results[i].all_passed for i in wave):
            run.stopped_after = w
            break


def _generate_wave(run: _Run, w: int, wave: list[int]) -> None:
    """Sample the wave's candidates not stored yet; each is stored as it arrives."""
    missing = [i for i in wave if i not in run.cands]
    run.enter("generating" if missing else "executing")
    if not missing:
        return
    t0 = time.perf_counter()
    new = generate_candidates(run.client, run.problem, missing, model=run.task.model, settings=run.settings,
                              on_candidate=_saver(run.store, run.tid), **run.budget.sampling(w, len(run.waves)))
    run.timings["generate_ms"] += (time.perf_counter() - t0) * 1000
    run.tlog.info("wave generated", extra={"wave": w, "candidates": missing})
    run.cands.update({c.index: c for c in new})


def _execute_wave(run: _Run, w: int, wave: list[int]) -> None:
    """Run the wave's usable candidates without a stored result against the tests (if any)."""
    to_run = [run.cands[i] for i in wave if i not in run.results and run.cands[i].usable]
    if not to_run or run.problem.tests is None:
        return
    run.enter("executing")
    t0 = time.perf_counter()
    results = execute_candidates(run.problem, to_run, task_id=run.tid, pool=run.runners,
                                 config=run.settings.sandbox_config())
    run.store.save_executions(run.tid, results)  # one write per wave: re-running a lost wave costs no tokens
    run.results.update(results)
    run.timings["execute_ms"] += (time.perf_counter() - t0) * 1000
    run.tlog.info("wave executed", extra={"wave": w, "outcomes": {i: run.results[i].status for i in wave
                                                                   if i in run.results}})


def _run_revisions(run: _Run, planned: int) -> None:
    """Up to ``planned`` revision rounds (bestofn/revise.py): round r revises the best candidate so far
    as candidate ``n + r - 1``; stops once one passes, out of rounds or time, or a round gains nothing."""
    run.rounds_planned = planned
    if not planned:
        return
    if run.problem.tests is None:
        _run_untested_revisions(run, planned)
        return
    run.revision_stop = f"all {planned} rounds used"
    for r in range(1, planned + 1):
        if solved(run.results):
            run.revision_stop = "a candidate passed every test"
            break
        if run.budget.out_of_time():
            run.revision_stop = "the task's time ran out"
            break
        index = run.task.n + r - 1
        if index not in run.cands:
            parent = parent_to_revise(run.candidates(), run.results)
            if parent is None:
                run.revision_stop = "no candidate with code ran, so there was nothing to revise"
                break
            _generate_revision(run, r, index, parent, execution_feedback(run.results[parent.index]), "tests")
        _execute_wave(run, len(run.waves) + r - 1, [index])
        if run.cands[index].usable and not improved(index, run.results):
            run.revision_stop = f"round {r} passed no test beyond the best before it"
            break
    else:
        if solved(run.results):
            run.revision_stop = "a candidate passed every test"


def _run_untested_revisions(run: _Run, planned: int) -> None:
    """Rounds for a task without tests (bestofn/untested.py): the prompt's examples run as checks give the
    feedback while no candidate passes them all, then disagreement with the largest behaviour cluster."""
    checks = example_suite(run.problem)
    checked = run.problem.model_copy(update={"tests": checks}) if checks else None
    run.revision_stop = f"all {planned} rounds used"
    for r in range(1, planned + 1):
        if run.budget.out_of_time():
            run.revision_stop = "the task's time ran out"
            break
        if checked is not None:
            _run_examples(run, checked)
        index = run.task.n + r - 1
        if index not in run.cands:
            pick = examples_pick(run.candidates(), run.on_examples) if checked is not None else None
            if pick is None:
                pick = disagreement_pick(run.candidates(), run.problem, run.settings, run.runners)
            if pick.parent is None:
                run.revision_stop = pick.why
                break
            _generate_revision(run, r, index, pick.parent, pick.feedback, pick.source)
        if checked is not None:
            _run_examples(run, checked)
            done = run.on_examples.get(index)
            if run.cands[index].usable and not (done and done.all_passed) and not improved(index, run.on_examples):
                run.revision_stop = f"round {r} passed no example beyond the best before it"
                break


def _run_examples(run: _Run, checked: Problem) -> None:
    """Run the usable candidates not run yet on the prompt's examples (kept on the run, not stored)."""
    to_run = [c for c in run.candidates() if c.usable and c.index not in run.on_examples]
    if to_run:
        run.enter("executing")
        t0 = time.perf_counter()
        run.on_examples.update(execute_candidates(checked, to_run, task_id=run.tid, pool=run.runners,
                                                  config=run.settings.sandbox_config()))
        run.timings["execute_ms"] += (time.perf_counter() - t0) * 1000


def _generate_revision(run: _Run, r: int, index: int, parent: Candidate, feedback: str, source: str) -> None:
    """Ask for round ``r``'s fix of ``parent`` given ``feedback``; a bad reply is stored like any failed sample."""
    run.enter("generating")
    t0 = time.perf_counter()
    run.feedback_sources[index] = source
    cand = revise_candidate(run.client, run.problem, parent, feedback, index, r,
                            model=run.task.model, settings=run.settings)
    _saver(run.store, run.tid)(cand)
    run.timings["generate_ms"] += (time.perf_counter() - t0) * 1000
    run.tlog.info("revision generated", extra={"round": r, "candidate": index, "parent": parent.index,
                                               "error": cand.error})
    run.cands[index] = cand


def _fail_without_code(run: _Run) -> RunOutcome:
    """No candidate produced code: fail with the kinds of error seen (unless a cancel came first)."""
    if _cancelled(run.store, run.tid):
        raise _Cancelled
    reasons = sorted({(c.error or "no code").split(":")[0] for c in run.cands.values()})
    reason = f"no candidate produced code ({', '.join(reasons)}); see each candidate's error"
    run.store.set_status(run.tid, "failed", reason=reason, latency_ms=_elapsed_ms(run.task, run.started))
    run.tlog.warning("task failed", extra={"reason": reason})
    return RunOutcome(run.tid, "failed", reason)


def _rank_and_finish(run: _Run) -> RunOutcome:
    """Rerank, store the decision with timings, early stop and budget details, and mark the task done."""
    run.enter("ranking")
    cands = run.candidates()
    t0 = time.perf_counter()
    decision = decide(run.problem, cands, run.results, client=run.client, settings=run.settings, pool=run.runners)
    run.timings["rank_ms"] = (time.perf_counter() - t0) * 1000
    trace = decision.details
    trace.timings = {k: round(v, 3) for k, v in run.timings.items()}
    skipped = run.task.n - sum(c.round == 0 for c in cands)
    trace.split = run.split
    if planned := run.rounds_planned:
        trace.revision = revision_trace(cands, run.results or run.on_examples, planned, run.revision_stop,
                                        decision.winner, run.feedback_sources)
        if trace.revision.winner_round:
            decision.reason += (f" (from revision round {trace.revision.winner_round} of candidate"
                                f" {trace.revision.winner_parent})")
    if run.stopped_after is not None:
        trace.early_stop = EarlyStopTrace(after_wave=run.stopped_after + 1, candidates_skipped=skipped,
                                          waves=[len(w) for w in run.waves])
    reason = decision.reason + (" (no candidate passed every test)" if decision.no_passing_candidate else "")
    with run.store.transaction() as tx:  # the budget's outcome, the decision and "done" in one commit
        trace.budget = run.budget.finish(cands, skipped, run.stopped_after, tx)
        run.store.save_decision(run.tid, decision, tx, first_run=run.task.attempts == 1)
        run.store.set_status(
            run.tid, "done", reason=reason, winner_index=decision.winner,
            no_passing_candidate=decision.no_passing_candidate,
            early_stopped=run.stopped_after is not None, candidates_skipped=max(0, skipped),
            latency_ms=_elapsed_ms(run.task, run.started), session=tx,
        )
    run.tlog.info("task done", extra={"winner": decision.winner, "method": decision.method, "candidates": len(cands),
                                      "early_stopped": run.stopped_after is not None})
    return RunOutcome(run.tid, "done", reason)


def _saver(store: TaskStore, tid: str) -> Callable[[Candidate], None]:
    def save(c: Candidate) -> None:
        store.save_candidate(tid, c)
        log.info("candidate stored", extra={"task_id": tid, "candidate": c.index, "tokens_out": c.tokens_out,
                                            "error": c.error})
    return save


def _elapsed_ms(task: Task, started: float) -> float:
    """End-to-end latency from submission when known, else this run's time."""
    created = as_utc(task.created_at)
    if created is not None:
        from bestofn.models import utcnow

        return (utcnow() - created).total_seconds() * 1000
    return (time.perf_counter() - started) * 1000
