"""Create an evaluation run from a REST request and build the view of one.

Shared by the route and its tests so the API and the stored rows agree.
"""

from __future__ import annotations

from bestofn.evals.config import EvalConfig
from bestofn.evals.datasets import load_dataset
from bestofn.evals.jsonl import InputError
from bestofn.evals.models import EvalCreate, EvalRun, EvalView
from bestofn.evals.runner import start_run
from bestofn.evals.samples import Sample
from bestofn.evals.store import EvalStore
from bestofn.models import new_id


class EvalRejected(ValueError):
    """A request that validates as JSON but cannot be evaluated; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def create_eval(body: EvalCreate, store: EvalStore) -> EvalRun:
    """Store a queued run with its samples (the caller enqueues it)."""
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
    cfg = EvalConfig(dataset=body.dataset, mode="samples" if body.samples is not None else "generate", ks=body.ks,
                     task_ids=body.task_ids, model=body.model, n=body.n, temperature=body.temperature,
                     max_tokens=body.max_tokens, timeout_s=body.timeout_s, rerank=body.rerank)
    name = body.name or f"api-{new_id()}"
    if body.name and store.by_name(body.name) is not None:
        raise EvalRejected("name", f"a run named {body.name!r} exists already")
    run, _ = start_run(store, cfg, name=name, samples=samples)
    return run


def eval_view(run: EvalRun, store: EvalStore) -> EvalView:
    """The run as users see it: progress from sample counts, the report once done."""
    return EvalView(id=run.id, name=run.name, status=run.status, dataset=run.dataset, progress=store.progress(run.id),
                    config=run.config, report=run.metrics if run.status == "done" else None, reason=run.reason,
                    created_at=run.created_at, finished_at=run.finished_at)
