"""Run an evaluation: (generate,) execute every sample on the hidden tests, probe
behaviour on the prompt's examples for the rankers, then compute the report.

Plain functions over ids, shared by the CLI, the Celery task and the API. State
lives in the database, so a run interrupted anywhere resumes where it stopped:
stored samples are never regenerated, finished samples never re-executed.

Execution groups a problem's samples into one ``sandbox.run_many`` call in
``per_task`` mode (one warm container per problem, a forked child per sample):
the fastest path, with weaker isolation between a problem's own samples than
``per_candidate`` mode, which is acceptable for one's own evaluation samples.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from itertools import groupby
from typing import Any

import openai

import sandbox
from bestofn.evals.config import EvalConfig
from bestofn.evals.datasets import EvalProblem, load_dataset
from bestofn.evals.models import EvalRun, EvalSample
from bestofn.evals.report import build_report
from bestofn.evals.samples import Sample, result_text
from bestofn.evals.store import EvalStore
from bestofn.rerank.inputs import is_io, prompt_examples
from bestofn.rerank.self_consistency import fingerprints
from bestofn.schemas import Candidate, ExecutionResult, Limits
from bestofn.settings import Settings, get_settings
from worker.generate import generate_candidates

Progress = Callable[[str, int, int], None]
"""Called as ``(phase, done, total)`` while a phase advances."""


class Counter:
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


# -- creating or resuming a run ------------------------------------------------------------
def start_run(store: EvalStore, config: EvalConfig, *, name: str, samples: Iterable[Sample] = (),
              samples_path: str | None = None, samples_sha256: str | None = None) -> tuple[EvalRun, bool]:
    """The run called ``name``: created with its samples, or the stored one to resume.

    Returns (run, resumed). A stored run made from a different samples file is an
    error rather than a silent mix of two files' results.
    """
    found = store.by_name(name)
    if found is not None:
        if samples_sha256 and found.samples_sha256 and found.samples_sha256 != samples_sha256:
            raise ValueError(f"run {name!r} was made from a different samples file; pass another --run-name")
        return found, True
    rows = [EvalSample(run_id="", task_id=s.task_id, sample_index=s.index, completion=s.completion) for s in samples]
    run = EvalRun(name=name, dataset=config.dataset, samples_path=samples_path, samples_sha256=samples_sha256,
                  config=config.model_dump(mode="json"))
    return store.create(run, rows), False


def run_problems(run: EvalRun, store: EvalStore) -> dict[str, EvalProblem]:
    """The dataset's problems this run covers: those with samples, or the generate subset."""
    cfg = EvalConfig.model_validate(run.config)
    problems = load_dataset(cfg.dataset)
    if cfg.mode == "generate":
        wanted = cfg.task_ids or list(problems)
    else:
        wanted = sorted({s.task_id for s in store.samples(run.id)})
    missing = [t for t in wanted if t not in problems]
    if missing:
        raise ValueError(f"task_id {missing[0]!r} is not in dataset {cfg.dataset!r}")
    return {t: problems[t] for t in wanted}


# -- the phases ------------------------------------------------------------------------------
def completion_for(ep: EvalProblem, cand: Candidate) -> str:
    """A generated program as a completion in the dataset's convention (prefix + completion runs)."""
    if not cand.code or not ep.prefix:
        return cand.code
    head = ep.prefix.rstrip("\n")
    return cand.code[len(head):] if cand.code.startswith(head) else "\n" + cand.code


def generate_missing(store: EvalStore, run: EvalRun, problems: dict[str, EvalProblem], client: openai.OpenAI,
                     settings: Settings, on_progress: Progress | None = None) -> int:
    """Generate the samples a generate-mode run lacks; returns how many were stored."""
    cfg = EvalConfig.model_validate(run.config)
    n = cfg.n or settings.default_n
    have = {(s.task_id, s.sample_index) for s in store.samples(run.id)}
    todo = {t: [i for i in range(n) if (t, i) not in have] for t in problems}
    todo = {t: idx for t, idx in todo.items() if idx}
    counter = Counter("generate", sum(map(len, todo.values())), on_progress)

    def one(task_id: str) -> None:
        ep = problems[task_id]

        def keep(cand: Candidate) -> None:
            store.add_generated(run.id, task_id, cand, completion_for(ep, cand))
            counter.step()

        generate_candidates(client, ep.problem, todo[task_id], model=cfg.model, temperature=cfg.temperature,
                            max_tokens=cfg.max_tokens, seed_base=cfg.seed, on_candidate=keep, settings=settings)

    with ThreadPoolExecutor(max_workers=max(1, settings.llm_concurrency // n)) as pool:
        list(pool.map(one, todo))
    return counter.done


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
    pending = store.samples(run.id, status="pending")[:max_samples]
    counter = Counter("execute", len(pending), on_progress)

    def one(task_id: str, rows: list[EvalSample]) -> None:
        ep = problems[task_id]
        saved: set[int] = set()

        def keep(pos: int, res: ExecutionResult) -> None:
            store.save_result(rows[pos].id, res.all_passed, result_text(res), res)  # type: ignore[arg-type]
            saved.add(pos)
            counter.step()

        results = sandbox.run_many([ep.program(r.completion) for r in rows], ep.problem.tests,
                                   ep.problem.entry_point, _limits(cfg), mode="per_task",
                                   labels={"bestofn.eval": run.id}, on_result=keep)
        for pos, res in enumerate(results):
            if pos not in saved:
                keep(pos, res)

    _each_task(one, _by_task(pending), cfg.workers or settings.sandbox_parallelism)
    return counter.done


def probe_behaviour(store: EvalStore, run: EvalRun, problems: dict[str, EvalProblem], settings: Settings, *,
                    on_progress: Progress | None = None) -> int:
    """Run executed samples on the prompt's own examples (never the hidden tests) for the rankers."""
    cfg = EvalConfig.model_validate(run.config)
    rows = store.samples(run.id, status="done", unprobed=True)
    counter = Counter("probe", len(rows), on_progress)

    def one(task_id: str, group: list[EvalSample]) -> None:
        ep = problems[task_id]
        inputs = [] if is_io(ep.problem) else prompt_examples(ep.problem.prompt, ep.problem.entry_point)
        fps: dict[int, list[str]] = {}
        if inputs:
            cands = [Candidate(index=r.sample_index, code=ep.program(r.completion)) for r in group]
            fps = fingerprints(sandbox.run_inputs, cands, inputs, entry_point=ep.problem.entry_point, io=False,
                               limits=_limits(cfg))
        shown = [[p.args, p.expected] for p in inputs]
        store.save_probes({r.id: {"inputs": shown, "fps": fps.get(r.sample_index, [])} for r in group})  # type: ignore[misc]
        counter.step(len(group))

    _each_task(one, _by_task(rows), cfg.workers or settings.sandbox_parallelism)
    return counter.done


def _each_task(fn: Callable[[str, list[EvalSample]], None], groups: list[tuple[str, list[EvalSample]]],
               workers: int) -> None:
    """Run ``fn`` per task on a bounded pool; the first error propagates after the rest finish."""
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="bestofn-eval") as pool:
        futures = [pool.submit(fn, t, rows) for t, rows in groups]
        for f in futures:
            f.result()


# -- the whole run ------------------------------------------------------------------------------
def run_eval(run_id: str, *, store: EvalStore | None = None, settings: Settings | None = None,
             client: openai.OpenAI | None = None, on_progress: Progress | None = None,
             max_samples: int | None = None) -> dict[str, Any] | None:
    """Bring run ``run_id`` to done and return its report (None if ``max_samples`` stopped it).

    A failure marks the run failed with the reason and propagates; rerunning resumes.
    """
    store = store or EvalStore()
    s = settings or get_settings()
    run = store.get(run_id)
    if run is None:
        raise LookupError(f"eval run {run_id} not found")
    cfg = EvalConfig.model_validate(run.config)
    try:
        problems = run_problems(run, store)
        if cfg.mode == "generate":
            store.set_status(run.id, "generating")
            if client is None:
                from bestofn.llm import make_client

                client = make_client(s)
            generate_missing(store, run, problems, client, s, on_progress)
        store.set_status(run.id, "executing")
        started = time.perf_counter()
        executed = execute_pending(store, run, problems, s, on_progress=on_progress, max_samples=max_samples)
        wall_s = time.perf_counter() - started
        if store.progress(run.id)["pending"]:
            return None
        store.set_status(run.id, "ranking")
        probe_behaviour(store, run, problems, s, on_progress=on_progress)
        report = build_report(problems, store.samples(run.id), cfg, settings=s)
        report["throughput"] = {"executed_this_invocation": executed, "wall_s": round(wall_s, 3),
                                "executions_per_s": round(executed / wall_s, 2) if wall_s > 0 and executed else None}
        store.set_status(run.id, "done", metrics=report, reason=None)
        return report
    except Exception as exc:
        store.set_status(run.id, "failed", reason=f"{exc.__class__.__name__}: {exc}"[:2000])
        raise
