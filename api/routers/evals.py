"""/v1/evals: submit a batch evaluation, read its progress and report.

Runs belong to the key that made them, as tasks do: another key's run is a 404,
names are unique per key, and a submission is held to the key's quota of active
work (generate mode also to the budget, in ``create_eval``).
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import col, func, select

from api.deps import EvalStoreDep, SettingsDep
from api.errors import field_error, not_found
from bestofn.dispatch import enqueue_eval
from bestofn.errors import ProblemRejected
from bestofn.evals.models import EvalAccepted, EvalCreate, EvalRun, EvalStatus, EvalView
from bestofn.evals.service import EvalConflict, create_eval, eval_view
from bestofn.evals.store import EvalStore
from bestofn.models import is_row_id
from bestofn.security.auth import Principal, PrincipalDep, admit_task, owner_of, visible

router = APIRouter(prefix="/v1/evals", tags=["evals"])


class EvalPage(BaseModel):
    items: list[EvalView]
    total: int
    limit: int
    offset: int


@router.post("", status_code=202, response_model=EvalAccepted)
def submit_eval(body: EvalCreate, store: EvalStoreDep, settings: SettingsDep,
                principal: PrincipalDep) -> EvalAccepted:
    """Store the run with its samples and hand it to a worker (409 if the key has a run by this name)."""
    try:
        with admit_task(principal, store.engine):
            run = create_eval(body, store, settings, api_key_id=owner_of(principal))
    except EvalConflict as exc:
        raise field_error(409, exc.field, exc.message) from exc
    except ProblemRejected as exc:
        raise field_error(422, exc.field, exc.message) from exc
    enqueue_eval(run.id, settings, store=store)
    return EvalAccepted(id=run.id, name=run.name, status=run.status, links={"self": f"/v1/evals/{run.id}"})


def _find(store: EvalStore, run_id: str, principal: Principal | None) -> EvalRun | None:
    """The run if it exists and the caller may see it (ids are 32 hex digits; others cannot exist)."""
    run = store.get(run_id) if is_row_id(run_id) else None
    return run if run is not None and visible(run.api_key_id, principal) else None


@router.get("/{run_id}", response_model=EvalView)
def get_eval(run_id: str, store: EvalStoreDep, principal: PrincipalDep) -> EvalView:
    run = _find(store, run_id, principal)
    if run is None:
        raise not_found("eval run", run_id)
    return eval_view(run, store)


@router.get("", response_model=EvalPage)
def list_evals(store: EvalStoreDep, principal: PrincipalDep, status: EvalStatus | None = None,
               limit: int = Query(default=20, ge=1, le=200),
               offset: int = Query(default=0, ge=0, le=1_000_000)) -> EvalPage:
    """Newest first, filtered by status (a key sees only its own runs)."""
    query = select(EvalRun)
    if principal is not None:
        query = query.where(EvalRun.api_key_id == principal.key_id)
    if status:
        query = query.where(EvalRun.status == status)
    with store.session() as s:
        total = s.exec(select(func.count()).select_from(query.subquery())).one()
        rows = s.exec(query.order_by(col(EvalRun.created_at).desc(), col(EvalRun.id)).offset(offset).limit(limit)).all()
    return EvalPage(items=[eval_view(r, store) for r in rows], total=total, limit=limit, offset=offset)
