"""Create an evaluation run from a REST request and build the view of one.

Shared by the route and its tests so the API and the stored rows agree. A
generate-mode run buys tokens, so it passes the same budget admission as a task
(worst case against today's room, held until it ends); the route wraps it in the
key's quota of active work.
"""

from __future__ import annotations

from pydantic import ValidationError

from bestofn.budget.admission import budget_admission
from bestofn.budget.guard import client_named, eval_worst_case, require_price
from bestofn.errors import ProblemRejected
from bestofn.evals.config import EvalConfig
from bestofn.evals.datasets import load_dataset
from bestofn.evals.jsonl import InputError
from bestofn.evals.models import EvalCreate, EvalRun, EvalView
from bestofn.evals.runner import build_run
from bestofn.evals.samples import Sample
from bestofn.evals.store import EvalStore, NameTaken
from bestofn.models import new_id
from bestofn.settings import Settings


class EvalRejected(ProblemRejected):
    """A request that validates as JSON but cannot be evaluated; names the field (422)."""


class EvalConflict(EvalRejected):
    """The caller already has a run by this name (409): found before inserting, or by losing a race to insert."""


def create_eval(body: EvalCreate, store: EvalStore, settings: Settings, api_key_id: str | None = None) -> EvalRun:
    """Store a queued run owned by ``api_key_id`` with its samples (the caller enqueues it)."""
    try:
        problems = load_dataset(body.dataset)
    except InputError as exc:
        raise EvalRejected("dataset", str(exc)) from None
    wanted = [s.task_id for s in body.samples or []] + list(body.task_ids or [])
    unknown = next((t for t in wanted if t not in problems), None)
    if unknown is not None:
        raise EvalRejected("samples" if body.samples else "task_ids", f"task_id {unknown!r} is not in {body.dataset}")
    seen: dict[str, int] = {}
    samples = []
    for s in body.samples or []:
        samples.append(Sample(s.task_id, seen.get(s.task_id, 0), s.completion))
        seen[s.task_id] = seen.get(s.task_id, 0) + 1
    try:  # EvalCreate holds the same rules; a rule only EvalConfig knows is still a 422, never a 500
        cfg = EvalConfig(dataset=body.dataset, mode="samples" if body.samples is not None else "generate",
                         ks=body.ks, task_ids=body.task_ids, model=body.model, n=body.n,
                         temperature=body.temperature, max_tokens=body.max_tokens, timeout_s=body.timeout_s,
                         rerank=body.rerank, run_duplicates=body.run_duplicates)
    except ValidationError as exc:
        raise EvalRejected.from_validation(exc) from None
    name = body.name or f"api-{new_id()}"
    if body.name and store.by_name(body.name, api_key_id) is not None:
        raise EvalConflict("name", f"a run named {body.name!r} exists already")
    run, rows = build_run(cfg, name=name, samples=samples, api_key_id=api_key_id)
    try:
        if cfg.mode == "samples":
            return store.create(run, rows)
        model = cfg.model or settings.model
        require_price(model, settings, named=client_named(cfg.model, api_key_id, settings), budget_given=False)
        subset = [problems[t] for t in cfg.task_ids] if cfg.task_ids else list(problems.values())
        n, max_tokens = cfg.n or settings.default_n, cfg.max_tokens or settings.llm_max_tokens
        with budget_admission(store, settings) as admission:
            est = eval_worst_case((p.problem for p in subset), n, max_tokens, model, settings, admission.policy)
            admission.fit_eval(est, f"{len(subset)} problems x n={n}, max_tokens={max_tokens}")
            return admission.store_run(run)
    except NameTaken:
        raise EvalConflict("name", f"a run named {name!r} exists already") from None


def eval_view(run: EvalRun, store: EvalStore) -> EvalView:
    """The run as users see it: progress from sample counts, the report once done."""
    return EvalView(id=run.id, name=run.name, status=run.status, dataset=run.dataset, progress=store.progress(run.id),
                    config=run.config, report=run.metrics if run.status == "done" else None, reason=run.reason,
                    created_at=run.created_at, finished_at=run.finished_at)
