"""The FastAPI application: routers, health, and error shapes."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from api.routers import tasks
from bestofn import __version__
from bestofn.settings import get_settings


def create_app() -> FastAPI:
    s = get_settings()
    app = FastAPI(title="bestofn", version=__version__,
                  description="Sandboxed best-of-N code generation: N candidates, executed in locked-down "
                              "containers, reranked by tests, self-consistency and a judge.")
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
    return app


app = create_app()
