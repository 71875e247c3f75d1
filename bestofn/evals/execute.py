"""The execution of an evaluation, a problem per pool slot.

``evaluate_pending`` runs a problem's samples on the hidden tests in ``per_task`` mode
(one warm container per problem, a forked child per sample): the fastest path, with
weaker isolation between one problem's samples than ``per_candidate`` mode, acceptable
for one's own evaluation samples. Then it probes the problem's distinct programs on
the inputs the rankers use, unless the verdicts are uniform. Results are stored per
problem, so a kill loses only the problems in flight.
"""

from __future__ import annotations

import ast
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from itertools import groupby
from typing import Any, TypeVar

import docker.errors
import requests.exceptions

import sandbox
from bestofn import pyast
from bestofn.evals.config import EvalConfig
from bestofn.evals.datasets import EvalProblem
from bestofn.evals.models import EvalRun, EvalSample
from bestofn.evals.store import EvalStore
from bestofn.evals.strategies import ranker_inputs
from bestofn.execute import warm_runners
from bestofn.rerank.inputs import ProbeInput
from bestofn.rerank.self_consistency import canonical
from bestofn.schemas import ExecutionResult, Limits
from bestofn.settings import Settings

T = TypeVar("T")
R = TypeVar("R")
ENGINE_ATTEMPTS = 4
ENGINE_ERRORS = (docker.errors.APIError, requests.exceptions.ConnectionError, sandbox.SandboxUnavailable)
Progress = Callable[[str, int, int], None]
"""Called as ``(phase, done, total)`` while a phase advances."""


class PhaseProgress:
    """A thread-safe progress counter that reports each step."""

    def __init__(self, phase: str, total: int, on_progress: Progress | None) -> None:
        self.phase, self.total, self.done = phase, total, 0
        self._cb, self._lock = on_progress, threading.Lock()
        self.step(0)

    def step(self, n: int = 1) -> None:
        with self._lock:
            self.done += n
            done = self.done
        if self._cb is not None:
            self._cb(self.phase, done, self.total)


def _limits(cfg: EvalConfig) -> Limits:
    return Limits(timeout_s=cfg.timeout_s, memory_mb=cfg.memory_mb)


def _by_task(rows: list[EvalSample]) -> list[tuple[str, list[EvalSample]]]:
    return [(t, list(g)) for t, g in groupby(rows, key=lambda r: r.task_id)]


@dataclass
class ProblemWork:
    """One problem's share of a run: samples to run on the hidden tests, then samples to probe.

    ``probe`` is empty without reranking, or while some of the problem's samples stay
    pending (``max_samples``): a problem is probed once, when all its verdicts are known.
    """

    task_id: str
    rows: list[EvalSample]
    todo: list[EvalSample]
    probe: list[EvalSample]


@dataclass
class ProbePlan:
    """What to probe for one problem: the inputs, and each distinct program with its rows."""

    inputs: list[ProbeInput]
    programs: list[tuple[str, list[EvalSample]]]


UNIFORM = "uniform"
"""A probe record's ``skipped`` value: every sample passes, or every one fails, the hidden
tests, so any pick scores the same and no probe is run (the report says so per problem)."""


def program_key(code: str) -> str:
    """Programs that differ only in whitespace and comments share a key (their ``ast.dump``).

    Same syntax tree, same behaviour on a probe (fingerprints hold values and exception
    types, never line numbers); a program that does not parse is keyed by its text.
    """
    try:
        return ast.dump(pyast.parse(code))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return "text:" + code


def distinct_programs(ep: EvalProblem, rows: list[EvalSample]) -> list[tuple[str, list[EvalSample]]]:
    """(program, the rows whose completion gives it), first occurrence first; each distinct
    text is parsed once (samples are often exact copies)."""
    groups: dict[str, tuple[str, list[EvalSample]]] = {}
    keys: dict[str, str] = {}
    for r in rows:
        code = ep.program(r.completion)
        key = keys.get(code) or keys.setdefault(code, program_key(code))
        groups.setdefault(key, (code, []))[1].append(r)
    return list(groups.values())


def plan_work(rows: list[EvalSample], *, rerank: bool, max_samples: int | None) -> list[ProblemWork]:
    """Each problem's pending and unprobed samples; the first ``max_samples`` pending ones only."""
    allowed = set([r.id for r in rows if r.status == "pending"][:max_samples])
    work = []
    for task_id, group in _by_task(rows):
        todo = [r for r in group if r.id in allowed]
        complete = all(r.status == "done" or r.id in allowed for r in group)
        probe = [r for r in group if r.probe is None] if rerank and complete else []
        if todo or probe:
            work.append(ProblemWork(task_id, group, todo, probe))
    return work


def evaluate_pending(store: EvalStore, run: EvalRun, problems: dict[str, EvalProblem], settings: Settings, *,
                     on_progress: Progress | None = None, max_samples: int | None = None) -> int:
    """Run pending samples on their hidden tests and, with ``rerank``, probe the behaviour the
    rankers may see; returns how many samples ran on the tests.

    A problem at a time per pool slot, tests then probes, so one problem's probes overlap
    another's tests. Probes run each distinct program once, and not at all on a problem
    whose samples all pass or all fail (any pick scores the same there). Parsing
    (examples, program keys) and canonicalising outputs stay on this thread, and every parse,
    here or on a pool thread (a suite's check in ``sandbox.run_many``), takes ``pyast``'s lock:
    CPython 3.11's ``ast`` can fail with "AST constructor recursion depth mismatch" from
    several threads.
    A problem's results are stored when its sandbox call ends, so a kill loses only the
    problems in flight.
    """
    cfg = EvalConfig.model_validate(run.config)
    work = plan_work(store.samples(run.id), rerank=cfg.rerank, max_samples=max_samples)
    tested = PhaseProgress("execute", sum(len(w.todo) for w in work), on_progress)
    probed = PhaseProgress("probe", sum(len(w.probe) for w in work), on_progress) if cfg.rerank else None

    def plans() -> Iterator[tuple[ProblemWork, ProbePlan | None]]:
        for w in work:
            ep = problems[w.task_id]
            yield w, ProbePlan(ranker_inputs(ep), distinct_programs(ep, w.probe)) if w.probe else None

    def one(w: ProblemWork, plan: ProbePlan | None) -> list[list[str]] | str | None:
        verdicts = {r.id: bool(r.passed) for r in w.rows if r.status == "done"}
        verdicts.update(_run_tests(store, run, problems[w.task_id], w.todo, cfg, tested, runners, box))
        if plan is None:
            return None
        if len(set(verdicts.values())) == 1:
            return UNIFORM
        return _run_probes(run, problems[w.task_id], plan, cfg, runners, box)

    def keep(job: tuple[ProblemWork, ProbePlan | None], outputs: list[list[str]] | str | None) -> None:
        w, plan = job
        if plan is None or outputs is None or probed is None:  # tests only: nothing to probe
            return
        shown = [[p.args, p.expected] for p in plan.inputs]
        if outputs == UNIFORM:
            store.save_probes({r.id: {"inputs": shown, "skipped": UNIFORM} for r in w.probe})  # type: ignore[misc]
        else:
            store.save_probes({r.id: {"inputs": shown, "fps": [canonical(fp) for fp in fps]}  # type: ignore[misc]
                               for (_, group), fps in zip(plan.programs, outputs) for r in group})
        probed.step(len(w.probe))

    box = settings.sandbox_config()
    width = cfg.workers or settings.sandbox_parallelism
    with warm_runners(settings, {"bestofn.eval": run.id}, width) as runners:  # one pool for the run's tests and probes
        _each_task(one, plans(), width, on_done=keep)
    return tested.done


def _run_tests(store: EvalStore, run: EvalRun, ep: EvalProblem, rows: list[EvalSample], cfg: EvalConfig,
               counter: PhaseProgress, runners: sandbox.RunnerPool | None, box: sandbox.SandboxConfig) -> dict[int, bool]:
    """Run ``rows`` on the hidden tests in one per_task sandbox call and store the results in
    one transaction when it ends (what it finished, should it fail); the verdict per row id.

    Rows whose program text is identical run once and share the result, unless
    ``cfg.run_duplicates``: the sandbox gets the same bytes, so a deterministic test gives the
    same verdict, and samples are often exact copies (every one of a problem's canonical
    samples; many of a small model's at low temperature). A program whose verdict is random
    gets one draw for its copies instead of one each, which leaves pass@k's expectation as it
    is. Program texts are compared exactly, not by syntax tree: a failure message holds line
    numbers.
    """
    copies = _copies(ep, rows, cfg.run_duplicates)  # distinct program -> positions of its rows
    got: dict[int, ExecutionResult] = {}  # row position -> result

    def keep(program: int, res: ExecutionResult) -> None:
        for pos in copies[program][1]:
            if pos not in got:
                got[pos] = res
                counter.step()

    def attempt() -> None:
        todo = [i for i, (_, positions) in enumerate(copies) if any(pos not in got for pos in positions)]
        results = sandbox.run_many([copies[i][0] for i in todo], ep.problem.tests,
                                   ep.problem.entry_point, _limits(cfg), mode="per_task",
                                   labels={"bestofn.eval": run.id}, on_result=lambda j, res: keep(todo[j], res),
                                   prelude=ep.problem.prompt if ep.problem.tests.format == "humaneval" else None,
                                   pool=runners, config=box, language=ep.problem.language)
        for j, res in enumerate(results):
            keep(todo[j], res)

    if rows:
        try:
            _retry_engine(attempt)
        finally:
            store.save_results({rows[pos].id: res for pos, res in got.items()},  # type: ignore[misc]
                               base={rows[pos].id: ep.base_passed(res) for pos, res in got.items()})  # type: ignore[misc]
    return {rows[pos].id: res.all_passed for pos, res in got.items()}  # type: ignore[misc]


def _copies(ep: EvalProblem, rows: list[EvalSample], every: bool) -> list[tuple[str, list[int]]]:
    """(program, positions of the rows that give exactly it), first occurrence first; with
    ``every``, one entry per row."""
    if every:
        return [(ep.program(r.completion), [pos]) for pos, r in enumerate(rows)]
    groups: dict[str, list[int]] = {}
    for pos, r in enumerate(rows):
        groups.setdefault(ep.program(r.completion), []).append(pos)
    return list(groups.items())


def _run_probes(run: EvalRun, ep: EvalProblem, plan: ProbePlan, cfg: EvalConfig,
                runners: sandbox.RunnerPool | None, box: sandbox.SandboxConfig) -> list[list[str]]:
    """Raw fingerprints per distinct program on the plan's inputs (one sandbox call)."""
    if not plan.inputs:
        return [[] for _ in plan.programs]
    return _retry_engine(lambda: sandbox.run_inputs([code for code, _ in plan.programs],
                                                    [p.args for p in plan.inputs], ep.problem.entry_point,
                                                    limits=_limits(cfg), labels={"bestofn.eval": run.id},
                                                    pool=runners, config=box, language=ep.problem.language))


def _retry_engine(fn: Callable[[], T]) -> T:
    """Retry a sandbox call on Docker engine errors (a container removed under us, the
    daemon restarting): a few times with exponential backoff (2, 4, 8 s), then let the
    error end the run, which resumes when rerun."""
    for attempt in range(ENGINE_ATTEMPTS):
        try:
            return fn()
        except ENGINE_ERRORS:
            if attempt == ENGINE_ATTEMPTS - 1:
                raise
            time.sleep(2.0 * 2**attempt)
    raise AssertionError("unreachable")


def _each_task(fn: Callable[..., R], plans: Iterable[tuple[Any, ...]], workers: int,
               on_done: Callable[[tuple[Any, ...], R], None] | None = None) -> None:
    """Run ``fn(*plan)`` per task on a bounded pool; ``on_done`` runs on this thread.

    ``plans`` may be a generator: it is drawn on this thread while the pool works.

    On the first error or an interrupt (Ctrl-C), tasks not yet started are cancelled
    and the error propagates; tasks in flight finish and store their results.
    """
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="bestofn-eval")
    try:
        futures = {pool.submit(fn, *plan): plan for plan in plans}
        for future in as_completed(futures):
            result = future.result()
            if on_done is not None:
                on_done(futures[future], result)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
