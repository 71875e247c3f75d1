"""/v1/evals: submit a batch evaluation, read its progress and report."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from api.deps import EvalStoreDep, SettingsDep
from bestofn.evals.models import EvalAccepted, EvalCreate, EvalView
from bestofn.evals.service import EvalRejected, create_eval, eval_view
from worker.eval_tasks import enqueue_eval

router = APIRouter(prefix="/v1/evals", tags=["evals"])


@router.post("", status_code=202, response_model=EvalAccepted)
def submit_eval(body: EvalCreate, store: EvalStoreDep, settings: SettingsDep) -> EvalAccepted:
    """Store the run with its samples and hand it to a worker."""
    try:
        run = create_eval(body, store)
    except EvalRejected as exc:
        raise HTTPException(status_code=422, detail=[{"loc": ["body", exc.field], "msg": exc.message}]) from exc
    enqueue_eval(run.id, store, settings)
    return EvalAccepted(id=run.id, name=run.name, status=run.status, links={"self": f"/v1/evals/{run.id}"})


@router.get("/{run_id}", response_model=EvalView)
def get_eval(run_id: str, store: EvalStoreDep) -> EvalView:
    run = store.get(run_id)
    if run is None:
        raise HTTPException(status_code=404, detail=f"eval run {run_id} not found")
    return eval_view(run, store)
