"""Run an evaluation: (generate,) execute every sample on the hidden tests, probe the
behaviour the rankers may see, then compute the report.

Plain functions over ids, shared by the CLI, the Celery task and the API. State
lives in the database, so a run interrupted anywhere resumes where it stopped:
stored samples are never regenerated, finished samples never re-executed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from bestofn.evals.config import EvalConfig
from bestofn.evals.datasets import EvalProblem, harness_timeout_s, load_dataset
from bestofn.evals.execute import Progress, evaluate_pending
from bestofn.evals.generation import generate_missing
from bestofn.evals.models import EvalRun, EvalSample
from bestofn.evals.report import build_report
from bestofn.evals.samples import Sample
from bestofn.evals.store import EvalStore
from bestofn.settings import Settings, get_settings

if TYPE_CHECKING:  # openai takes ~0.5 s to import; code that calls the endpoint imports it there
    import openai


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
    run, rows = build_run(config, name=name, samples=samples, samples_path=samples_path,
                          samples_sha256=samples_sha256)
    return store.create(run, rows), False


def build_run(config: EvalConfig, *, name: str, samples: Iterable[Sample] = (), samples_path: str | None = None,
              samples_sha256: str | None = None, api_key_id: str | None = None) -> tuple[EvalRun, list[EvalSample]]:
    """A new run's row and its sample rows, not yet stored (the caller decides under which admission).

    A run that names no timeout takes its set's harness limit (``harness_timeout_s``), written
    into the stored config so the report and a resumed run show and use the same one.
    """
    if config.timeout_s is None:
        config = config.model_copy(update={"timeout_s": harness_timeout_s(config.dataset)})
    rows = [EvalSample(run_id="", task_id=s.task_id, sample_index=s.index, completion=s.completion, **s.usage())
            for s in samples]
    run = EvalRun(name=name, dataset=config.dataset, samples_path=samples_path, samples_sha256=samples_sha256,
                  config=config.model_dump(mode="json"), api_key_id=api_key_id)
    return run, rows


def run_problems(run: EvalRun, store: EvalStore) -> dict[str, EvalProblem]:
    """The dataset's problems this run covers: those with samples, or the generate subset."""
    cfg = EvalConfig.model_validate(run.config)
    problems = load_dataset(cfg.dataset, cfg.language)
    if cfg.mode == "generate":
        wanted = cfg.task_ids or list(problems)
    else:
        wanted = sorted({s.task_id for s in store.samples(run.id)})
    missing = [t for t in wanted if t not in problems]
    if missing:
        raise ValueError(f"task_id {missing[0]!r} is not in dataset {cfg.dataset!r}")
    return {t: problems[t] for t in wanted}


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
            if cfg.strategy == "samples":
                generate_missing(store, run, problems, client, s, on_progress)
            else:
                from bestofn.evals.solving import solve_missing  # the pipeline: only strategy runs need it

                solve_missing(store, run, problems, client, s, on_progress)
        store.set_status(run.id, "executing")
        started = time.perf_counter()
        executed = evaluate_pending(store, run, problems, s, on_progress=on_progress, max_samples=max_samples)
        wall_s = time.perf_counter() - started
        if store.progress(run.id)["pending"]:
            return None
        store.set_status(run.id, "ranking")
        report = build_report(problems, store.samples(run.id), cfg)
        # wall_s covers the hidden tests and the probes: they run in one pass per problem
        report["throughput"] = {"executed_this_invocation": executed, "wall_s": round(wall_s, 3),
                                "executions_per_s": round(executed / wall_s, 2) if wall_s > 0 and executed else None}
        store.set_status(run.id, "done", metrics=report, reason=None)
        return report
    except Exception as exc:
        store.set_status(run.id, "failed", reason=f"{exc.__class__.__name__}: {exc}"[:2000])
        raise
