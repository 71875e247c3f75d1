"""The execution phases of an evaluation, a problem per sandbox call on a bounded pool.

``execute_pending`` runs samples on the hidden tests in ``per_task`` mode (one warm
container per problem, a forked child per sample): the fastest path, with weaker
isolation between one problem's samples than ``per_candidate`` mode, acceptable for
one's own evaluation samples. ``probe_behaviour`` runs them on the inputs the
rankers use. Results are stored as they arrive, so a kill loses only what is in flight.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from itertools import groupby
from typing import Any, TypeVar

import docker.errors
import requests.exceptions

import sandbox
from bestofn.evals.config import EvalConfig
from bestofn.evals.datasets import EvalProblem
from bestofn.evals.models import EvalRun, EvalSample
from bestofn.evals.samples import result_text
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


def execute_pending(store: EvalStore, run: EvalRun, problems: dict[str, EvalProblem], settings: Settings, *,
                    on_progress: Progress | None = None, max_samples: int | None = None) -> int:
    """Run every pending sample on its hidden tests, a problem per sandbox call; returns the count.

    ``max_samples`` stops after that many (a hook to interrupt a run on purpose).
    Each result is stored as it arrives, so a kill loses only in-flight samples.
    """
    cfg = EvalConfig.model_validate(run.config)
    box = settings.sandbox_config()
    pending = store.samples(run.id, status="pending")[:max_samples]
    counter = PhaseProgress("execute", len(pending), on_progress)

    def one(task_id: str, rows: list[EvalSample]) -> None:
        ep = problems[task_id]
        saved: set[int] = set()

        def keep(pos: int, res: ExecutionResult) -> None:
            if pos not in saved:
                store.save_result(rows[pos].id, res.all_passed, result_text(res), res)  # type: ignore[arg-type]
                saved.add(pos)
                counter.step()

        def attempt() -> None:
            todo = [pos for pos in range(len(rows)) if pos not in saved]
            results = sandbox.run_many([ep.program(rows[pos].completion) for pos in todo], ep.problem.tests,
                                       ep.problem.entry_point, _limits(cfg), mode="per_task",
                                       labels={"bestofn.eval": run.id}, on_result=lambda i, res: keep(todo[i], res),
                                       prelude=ep.problem.prompt if ep.problem.tests.format == "humaneval" else None,
                                       pool=runners, config=box)
            for i, res in enumerate(results):
                keep(todo[i], res)

        _retry_engine(attempt)

    width = cfg.workers or settings.sandbox_parallelism
    with warm_runners(settings, {"bestofn.eval": run.id}, width) as runners:
        _each_task(one, _by_task(pending), width)
    return counter.done


def probe_behaviour(store: EvalStore, run: EvalRun, problems: dict[str, EvalProblem], settings: Settings, *,
                    on_progress: Progress | None = None) -> int:
    """Run executed samples on the inputs the rankers use (from the prompt, never the hidden tests).

    Only the sandbox call runs on the pool; parsing examples and canonicalising
    outputs (``ast``) stay on this thread, as CPython 3.11's ``ast`` can fail with
    "AST constructor recursion depth mismatch" when used from several threads.
    """
    cfg = EvalConfig.model_validate(run.config)
    box = settings.sandbox_config()
    rows = store.samples(run.id, status="done", unprobed=True)
    counter = PhaseProgress("probe", len(rows), on_progress)
    plans = []
    for task_id, group in _by_task(rows):
        plans.append((task_id, group, ranker_inputs(problems[task_id])))

    def raw(task_id: str, group: list[EvalSample], inputs: list[ProbeInput]) -> list[list[str]]:
        if not inputs:
            return [[] for _ in group]
        ep = problems[task_id]
        return _retry_engine(lambda: sandbox.run_inputs([ep.program(r.completion) for r in group],
                                                        [p.args for p in inputs], ep.problem.entry_point,
                                                        limits=_limits(cfg), labels={"bestofn.eval": run.id},
                                                        pool=runners, config=box))

    def keep(plan: tuple[str, list[EvalSample], list[ProbeInput]], outputs: list[list[str]]) -> None:
        _, group, inputs = plan
        shown = [[p.args, p.expected] for p in inputs]
        store.save_probes({r.id: {"inputs": shown, "fps": [canonical(fp) for fp in fps]}  # type: ignore[misc]
                           for r, fps in zip(group, outputs)})
        counter.step(len(group))

    width = cfg.workers or settings.sandbox_parallelism
    with warm_runners(settings, {"bestofn.eval": run.id}, width) as runners:
        _each_task(raw, plans, width, on_done=keep)
    return counter.done


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


def _each_task(fn: Callable[..., R], plans: list[tuple[Any, ...]], workers: int,
               on_done: Callable[[tuple[Any, ...], R], None] | None = None) -> None:
    """Run ``fn(*plan)`` per task on a bounded pool; ``on_done`` runs on this thread.

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
