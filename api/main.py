"""The FastAPI application: routers, health, and error shapes."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from api.docs import add_offline_docs
from api.errors import add_error_handlers
from api.routers import evals, metrics, stats, tasks
from api.ui import add_ui
from bestofn import __version__
from bestofn.budget.policy import load_policy
from bestofn.logs import configure_logging
from bestofn.security.auth import authenticate
from bestofn.security.body_limit import BodyLimit
from bestofn.security.redact import install_log_redaction
from bestofn.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app; ``settings`` overrides the environment's (tests toggle keys and limits this way)."""
    s = settings or get_settings()
    install_log_redaction(s)
    configure_logging(s)
    load_policy(s)  # a bad policy file stops the API at start, naming the file and the key
    app = FastAPI(title="bestofn", version=__version__, dependencies=[Depends(authenticate)],
                  docs_url=None, redoc_url=None,  # served from local assets by add_offline_docs (no CDN)
                  description="Sandboxed best-of-N code generation: N candidates, executed in locked-down "
                              "containers, reranked by tests, self-consistency and a judge.")
    if settings is not None:
        app.dependency_overrides[get_settings] = lambda: s
    app.add_middleware(BodyLimit, max_bytes=s.max_body_bytes)
    add_error_handlers(app)
    add_offline_docs(app)
    if s.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=s.cors_origins, allow_methods=["*"], allow_headers=["*"])

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        """422 naming each bad field, without echoing large inputs back."""
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        fields = ", ".join(".".join(str(p) for p in e["loc"] if p != "body") or "body" for e in errors)
        return JSONResponse(status_code=422, content={"detail": errors, "message": f"invalid field(s): {fields}"})

    @app.get("/healthz", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(tasks.router)
    app.include_router(stats.router)
    app.include_router(metrics.router)
    app.include_router(evals.router)
    add_ui(app)  # the browser pages under /ui (api/ui)
    return app


app = create_app()
