"""The browser UI: server-rendered pages under ``/ui`` (Jinja2, Pygments, matplotlib), no CDN.

``add_ui`` mounts the packaged static files, includes the pages' router, turns a
page's 401 into the login form and its other errors (a bad query too) into an HTML page, and sends a
strict Content-Security-Policy (``default-src 'self'``) with every UI response, so
a page can load nothing from anywhere but this process.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from urllib.parse import quote

from api.ui.pages import PREFIX, router, templates

STATIC = Path(__file__).parent / "static"
CSP = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")


def _is_ui(request: Request) -> bool:
    return request.url.path == PREFIX or request.url.path.startswith(PREFIX + "/")


def add_ui(app: FastAPI) -> None:
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="ui-static")
    app.include_router(router)

    @app.exception_handler(StarletteHTTPException)
    async def _ui_errors(request: Request, exc: StarletteHTTPException) -> Response:
        """On a page: 401 asks for a key, other errors are a page; elsewhere FastAPI's JSON answer as before."""
        if not _is_ui(request):
            return await http_exception_handler(request, exc)
        if exc.status_code == 401:
            return RedirectResponse(f"{PREFIX}/login?next={quote(request.url.path)}", status_code=303)
        return templates.TemplateResponse(request, "error.html", {"status": exc.status_code, "detail": exc.detail},
                                          status_code=exc.status_code, headers=getattr(exc, "headers", None))

    api_validation = app.exception_handlers.get(RequestValidationError, request_validation_exception_handler)

    @app.exception_handler(RequestValidationError)
    async def _ui_validation(request: Request, exc: RequestValidationError) -> Response:
        """A bad query on a page (``?page=0``) is a page naming the field; elsewhere the API's JSON 422."""
        if not _is_ui(request):
            return await api_validation(request, exc)  # type: ignore[arg-type]
        fields = ", ".join(".".join(str(p) for p in e.get("loc", ()) if p not in ("query", "body")) or "request"
                           for e in exc.errors())
        return templates.TemplateResponse(request, "error.html", {"status": 422, "detail": f"invalid field(s): {fields}"},
                                          status_code=422)

    @app.middleware("http")
    async def _ui_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        if _is_ui(request):
            response.headers["Content-Security-Policy"] = CSP
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "no-referrer"
        return response
