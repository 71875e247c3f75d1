"""The UI's pages: thin routes over the same functions the JSON API's routes are.

Reading a task, listing tasks and submitting one call ``api.routers.tasks`` itself,
so a page shows what ``GET /v1/tasks/{id}`` would and a form is refused with the
API's own 422 messages (pydantic's ``Problem``, then ``create_task``'s limits and
the key's quota). A key sees only its own tasks: another's page is the API's 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import ValidationError

from api.deps import EvalStoreDep, SettingsDep, StoreDep
from api.routers import evals as eval_routes
from api.routers import stats as stats_routes
from api.routers import tasks as task_routes
from api.ui import charts, forms
from api.ui.render import code_html, diff_html, explain, pygments_css
from bestofn.models import TERMINAL_STATUSES, TaskStatus
from bestofn.schemas import Problem, Strategy, TestFormat
from bestofn.security.auth import KEY_COOKIE, PrincipalDep
from bestofn.security.keys import verify_token
from bestofn.service import TaskView

PREFIX = "/ui"
PAGE_SIZE = 20
STATUSES: tuple[str, ...] = TaskStatus.__args__  # type: ignore[attr-defined]
STRATEGIES: tuple[str, ...] = Strategy.__args__  # type: ignore[attr-defined]
FORMATS: tuple[str, ...] = TestFormat.__args__  # type: ignore[attr-defined]

router = APIRouter(prefix=PREFIX, include_in_schema=False)
templates = Jinja2Templates(env=Environment(loader=PackageLoader("api.ui", "templates"),
                                            autoescape=select_autoescape(default=True)))
templates.env.globals.update(code_html=code_html, PREFIX=PREFIX)


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def candidate_rows(view: TaskView) -> list[dict[str, Any]]:
    """Each candidate with its place in the ranking and its execution, in ranking order then index."""
    ranked = {r["index"]: r for r in view.ranking}
    rows = []
    for c in view.candidates or []:
        r = ranked.get(c.index)
        rows.append({"c": c, "x": c.execution, "rank": r["rank"] if r else None, "score": r["score"] if r else {},
                     "winner": view.winner is not None and view.winner.index == c.index})
    return sorted(rows, key=lambda row: (row["rank"] is None, row["rank"] or 0, row["c"].index))


def _live_context(view: TaskView) -> dict[str, Any]:
    return {"view": view, "rows": candidate_rows(view), "final": view.status in TERMINAL_STATUSES,
            "explained": explain(view.decision) if view.decision else None}


@router.get("/", response_class=HTMLResponse)
def task_list(request: Request, store: StoreDep, principal: PrincipalDep,
              status: TaskStatus | None = None, strategy: Strategy | None = None,
              page: int = Query(default=1, ge=1, le=50_000)) -> HTMLResponse:
    """Newest first, filtered and paginated exactly as ``GET /v1/tasks``."""
    found = task_routes.list_tasks(store=store, principal=principal, status=status, strategy=strategy,
                                   limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-found.total // PAGE_SIZE))
    return _page(request, "tasks.html", items=found.items, total=found.total, page=page, pages=pages,
                 status=status or "", strategy=strategy or "", statuses=STATUSES, strategies=STRATEGIES)


@router.get("/tasks/new", response_class=HTMLResponse)
def new_task(request: Request) -> HTMLResponse:
    return _page(request, "submit.html", form={"tests.format": "humaneval", "strategy": "auto"}, errors={},
                 general=[], strategies=STRATEGIES, formats=FORMATS)


@router.post("/tasks/new", response_class=HTMLResponse, response_model=None)
def submit(request: Request, store: StoreDep, settings: SettingsDep, principal: PrincipalDep,
           prompt: Annotated[str, Form()] = "", entry_point: Annotated[str, Form()] = "",
           tests_format: Annotated[str, Form(alias="tests.format")] = "",
           tests_code: Annotated[str, Form(alias="tests.code")] = "",
           n: Annotated[str, Form()] = "", strategy: Annotated[str, Form()] = "") -> Response:
    """Validate as ``POST /v1/tasks`` does, then submit through that route's own function."""
    form = {"prompt": prompt, "entry_point": entry_point, "tests.format": tests_format, "tests.code": tests_code,
            "n": n, "strategy": strategy}
    try:
        accepted = task_routes.submit_task(Problem.model_validate(forms.problem_body(form)), store, settings, principal)
    except ValidationError as exc:
        errors = forms.errors_from_validation(exc)
    except HTTPException as exc:
        if exc.status_code not in (422, 429):
            raise
        errors = forms.errors_from_http(exc)
    else:
        return RedirectResponse(f"{PREFIX}/tasks/{accepted.id}", status_code=303)
    by_field, general = forms.placed(errors)
    return _page(request, "submit.html", status_code=422, form=form, errors=by_field, general=general,
                 strategies=STRATEGIES, formats=FORMATS)


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
def task_page(request: Request, task_id: str, store: StoreDep, principal: PrincipalDep) -> HTMLResponse:
    view = task_routes.get_task(task_id, store, principal)  # 404 unless it is the caller's
    task = store.get(task_id)
    problem = task.problem if task is not None else {}
    return _page(request, "task.html", problem=problem, **_live_context(view))


@router.get("/tasks/{task_id}/live", response_class=HTMLResponse)
def task_live(request: Request, task_id: str, store: StoreDep, principal: PrincipalDep) -> HTMLResponse:
    """The part of the task page that changes while it runs; the page's script swaps it in."""
    return _page(request, "_live.html", **_live_context(task_routes.get_task(task_id, store, principal)))


@router.get("/tasks/{task_id}/candidates/{index}", response_class=HTMLResponse)
def candidate_page(request: Request, task_id: str, index: int, store: StoreDep, principal: PrincipalDep,
                   against: int | None = None) -> HTMLResponse:
    """One candidate: its code, per-test results, output, and a diff against the winner (or ``against``)."""
    view = task_routes.get_task(task_id, store, principal)
    by_index = {c.index: c for c in view.candidates or []}
    cand = by_index.get(index)
    if cand is None:
        raise HTTPException(404, f"candidate {index} of task {task_id} not found")
    other_index = against if against is not None else (view.winner.index if view.winner else None)
    other = by_index.get(other_index) if other_index is not None else None
    diff = (diff_html(other.code, cand.code, f"candidate {other.index}", f"candidate {cand.index}")
            if other is not None and other.index != cand.index else None)
    row = next(r for r in candidate_rows(view) if r["c"].index == index)
    return _page(request, "candidate.html", view=view, row=row, other=other, diff=diff,
                 indexes=sorted(by_index))


@router.get("/pygments.css")
def highlight_css() -> Response:
    return Response(pygments_css(), media_type="text/css", headers={"Cache-Control": "max-age=3600"})


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, settings: SettingsDep, next: str = f"{PREFIX}/") -> HTMLResponse:
    return _page(request, "login.html", next=_local(next), error=None, required=settings.api_keys_required)


@router.post("/login", response_model=None)
def login(request: Request, settings: SettingsDep, store: StoreDep, key: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = f"{PREFIX}/") -> Response:
    """Check the key once, then keep it in a cookie only this site's UI pages receive.

    A key that is not printable ASCII is refused even when keys are optional: no token looks
    like that, and a cookie header cannot carry it (it would be a 500, not a form error)."""
    key = key.strip()
    if not (key.isascii() and key.isprintable()) or (
            settings.api_keys_required and verify_token(store.engine, key) is None):
        return _page(request, "login.html", status_code=401, next=_local(next), required=True,
                     error="API key not valid (unknown, malformed or revoked)")
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(KEY_COOKIE, key, httponly=True, secure=True, samesite="strict", path=PREFIX)
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(KEY_COOKIE, path=PREFIX, secure=True, httponly=True, samesite="strict")
    return response


def _local(target: str) -> str:
    """Only a UI path is a place to go after login (no open redirect to another site)."""
    return target if target.startswith(PREFIX + "/") and not target.startswith("//") else f"{PREFIX}/"


@router.get("/stats", response_class=HTMLResponse)
def stats_page(request: Request, store: StoreDep, settings: SettingsDep, principal: PrincipalDep,
               days: int = Query(default=14, ge=1, le=366)) -> HTMLResponse:
    """``GET /v1/stats`` as a table and charts: a key's own tasks, every key's for an admin key."""
    report = stats_routes.get_stats(store, settings, principal, days=days)
    return _page(request, "stats.html", report=report, days=days)


@router.get("/stats/chart.svg")
def stats_chart(store: StoreDep, settings: SettingsDep, principal: PrincipalDep,
                days: int = Query(default=14, ge=1, le=366)) -> Response:
    report = stats_routes.get_stats(store, settings, principal, days=days)
    return Response(charts.dashboard_svg(report.rows), media_type="image/svg+xml")


@router.get("/evals/", response_class=HTMLResponse)
def eval_list(request: Request, store: EvalStoreDep, principal: PrincipalDep,
              page: int = Query(default=1, ge=1, le=50_000)) -> HTMLResponse:
    found = eval_routes.list_evals(store, principal, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return _page(request, "evals.html", items=found.items, total=found.total, page=page,
                 pages=max(1, -(-found.total // PAGE_SIZE)))


@router.get("/evals/{run_id}", response_class=HTMLResponse)
def eval_page(request: Request, run_id: str, store: EvalStoreDep, principal: PrincipalDep) -> HTMLResponse:
    """pass@k, reranked pass@1 per ranker and the test-time-scaling curve of one run (404 unless the caller's)."""
    return _page(request, "eval.html", run=eval_routes.get_eval(run_id, store, principal))


@router.get("/evals/{run_id}/curve.png")
def eval_curve(run_id: str, store: EvalStoreDep, principal: PrincipalDep) -> Response:
    run = eval_routes.get_eval(run_id, store, principal)
    if not run.report or not run.report.get("curve"):
        raise HTTPException(404, f"eval run {run_id} has no curve yet")
    return Response(charts.curve_png(run.report["curve"], f"{run.name}: test-time scaling"), media_type="image/png")
