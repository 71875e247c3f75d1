"""Strategy runs of ``bestofn eval``: each problem solved as a task by the product's own pipeline.

With ``--strategy parallel|revise|auto`` a generate-mode run does not sample on its own: it
submits each problem as a task (``create_task``: tier, budget guard) and runs it (``run_task``:
waves with early stop, revision rounds, the width/depth split, ranking) exactly as ``bestofn
solve`` does, then stores the task's winner as the problem's one sample, with every token the
task spent (samples, revisions, ranking calls). The hidden tests then score that sample, so
pass@1 is the share of problems whose returned program passes, and tokens are what it cost.

The pipeline never sees the hidden tests (pass@1 would then be an oracle's): its visible tests
are the prompt's own examples (``bestofn/examples.py``), as a user holding only the docstring
would have; a prompt without examples runs without tests.

A task interrupted mid-run is not resumed: the rerun submits the problem again (its sample is
stored only once the task ends), so an interrupted run can under-count the tokens it spent.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from bestofn.evals.config import EvalConfig
from bestofn.evals.datasets import EvalProblem
from bestofn.evals.execute import PhaseProgress, Progress
from bestofn.evals.generation import completion_for
from bestofn.evals.models import EvalRun
from bestofn.evals.store import EvalStore
from bestofn.examples import example_suite
from bestofn.pipeline import run_task
from bestofn.schemas import Candidate, Limits, Problem, Strategy
from bestofn.service import create_task, task_view
from bestofn.settings import Settings
from bestofn.store import TaskStore

if TYPE_CHECKING:  # openai takes ~0.5 s to import; code that calls the endpoint imports it there
    import openai

# eval strategy -> the task's strategy; 'parallel' is best-of-N with early stop and no revision rounds
TASK_STRATEGY: dict[str, Strategy] = {"parallel": "auto", "revise": "revise", "auto": "auto"}


def task_problem(ep: EvalProblem, cfg: EvalConfig, settings: Settings) -> Problem:
    """The task a strategy run submits for ``ep``: its prompt, the prompt's examples as tests, the run's knobs."""
    rounds = 0 if cfg.strategy == "parallel" else (
        cfg.max_revisions if cfg.max_revisions is not None else settings.default_revisions)
    return Problem(prompt=ep.problem.prompt, entry_point=ep.problem.entry_point, tests=example_suite(ep.problem),
                   n=cfg.n or settings.default_n, model=cfg.model, temperature=cfg.temperature,
                   max_tokens=cfg.max_tokens, strategy=TASK_STRATEGY[cfg.strategy], early_stop=True,
                   max_revisions=rounds, limits=Limits(timeout_s=cfg.timeout_s, memory_mb=cfg.memory_mb))


def solve_one(ep: EvalProblem, cfg: EvalConfig, tasks: TaskStore, client: openai.OpenAI,
              settings: Settings) -> Candidate:
    """Run ``ep`` as a task to its end; its winner (no code when none) with the task's whole spend."""
    task = create_task(task_problem(ep, cfg, settings), store=tasks, settings=settings)
    run_task(task.id, client=client, store=tasks, settings=settings)
    stored = tasks.get(task.id)
    assert stored is not None
    view = task_view(stored, tasks)
    code = view.winner.code if view.winner else ""
    return Candidate(index=0, code=code, tokens_in=view.tokens_in, tokens_out=view.tokens_out,
                     cost_usd=view.cost_usd, latency_ms=view.latency_ms or 0.0,
                     error=None if code else f"task {task.id} {view.status}: {view.reason or 'no winner'}")


def solve_missing(store: EvalStore, run: EvalRun, problems: dict[str, EvalProblem], client: openai.OpenAI,
                  settings: Settings, on_progress: Progress | None = None) -> int:
    """Solve the problems of a strategy run that have no sample yet; returns how many were stored."""
    cfg = EvalConfig.model_validate(run.config)
    have = {s.task_id for s in store.samples(run.id)}
    todo = [t for t in problems if t not in have]
    counter = PhaseProgress("solve", len(todo), on_progress)
    tasks = TaskStore(store.engine)

    def one(task_id: str) -> None:
        ep = problems[task_id]
        cand = solve_one(ep, cfg, tasks, client, settings)
        store.add_generated(run.id, task_id, cand, completion_for(ep, cand))
        counter.step()

    with ThreadPoolExecutor(max_workers=max(1, settings.llm_concurrency // (cfg.n or settings.default_n))) as pool:
        list(pool.map(one, todo))
    return counter.done
