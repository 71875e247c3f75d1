"""/v1/tasks: submit a problem, read its progress and ranking, cancel it."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import col, func, select

from api.deps import SettingsDep, StoreDep
from api.errors import field_error, not_found
from bestofn.dispatch import enqueue_task, revoke_task
from bestofn.models import Task, TaskStatus, is_row_id
from bestofn.schemas import Problem, Strategy
from bestofn.security.auth import Principal, PrincipalDep, admit_task, owner_of, visible
from bestofn.service import ProblemRejected, TaskView, create_task, task_view, task_views
from bestofn.store import TaskStore

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])


class TaskAccepted(BaseModel):
    id: str
    status: str
    links: dict[str, str]


class TaskPage(BaseModel):
    items: list[TaskView]
    total: int
    limit: int
    offset: int


@router.post("", status_code=202, response_model=TaskAccepted)
def submit_task(problem: Problem, store: StoreDep, settings: SettingsDep, principal: PrincipalDep) -> TaskAccepted:
    """Store the problem as a queued task and hand it to a worker."""
    try:
        with admit_task(principal, store.engine):
            task = create_task(problem, store=store, settings=settings, api_key_id=owner_of(principal))
    except ProblemRejected as exc:
        raise field_error(422, exc.field, exc.message) from exc
    enqueue_task(task.id)
    return TaskAccepted(id=task.id, status=task.status,
                        links={"self": f"/v1/tasks/{task.id}", "cancel": f"/v1/tasks/{task.id}/cancel"})


def _find(store: TaskStore, task_id: str, principal: Principal | None) -> Task | None:
    """The task if it exists and the caller may see it (ids are 32 hex digits; others cannot exist)."""
    task = store.get(task_id) if is_row_id(task_id) else None
    return task if task is not None and visible(task.api_key_id, principal) else None


@router.get("/{task_id}", response_model=TaskView)
def get_task(task_id: str, store: StoreDep, principal: PrincipalDep) -> TaskView:
    task = _find(store, task_id, principal)
    if task is None:
        raise not_found("task", task_id)
    return task_view(task, store)


@router.get("", response_model=TaskPage)
def list_tasks(
    store: StoreDep,
    principal: PrincipalDep,
    status: TaskStatus | None = None,
    strategy: Strategy | None = None,
    limit: int = Query(default=20, ge=1, le=200),
    offset: int = Query(default=0, ge=0, le=1_000_000),
) -> TaskPage:
    """Newest first, filtered by status and strategy (a key sees only its own tasks); constant queries per page."""
    query = select(Task)
    if principal is not None:
        query = query.where(Task.api_key_id == principal.key_id)
    if status:
        query = query.where(Task.status == status)
    if strategy:
        query = query.where(Task.strategy == strategy)
    with store.session() as s:
        total = s.exec(select(func.count()).select_from(query.subquery())).one()
        rows = s.exec(query.order_by(col(Task.created_at).desc(), col(Task.id)).offset(offset).limit(limit)).all()
    return TaskPage(items=task_views(list(rows), store), total=total, limit=limit, offset=offset)


@router.post("/{task_id}/cancel", response_model=TaskView)
def cancel_task(task_id: str, store: StoreDep, principal: PrincipalDep) -> TaskView:
    """Stop work: a queued task ends now, a running one at its next step."""
    task = store.request_cancel(task_id) if _find(store, task_id, principal) else None
    if task is None:
        raise not_found("task", task_id)
    revoke_task(task_id)
    return task_view(task, store)
