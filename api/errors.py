"""Error answers: the one 4xx shape that names a field, and infrastructure failures
(a database outage is 503 with Retry-After, not a 500).

Clients (and the CLI's ``--wait`` loop) can tell "try again shortly" from a bug,
and every refusal of a body names its field the same way, whichever route made it.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DisconnectionError, OperationalError

log = logging.getLogger("bestofn.api")
RETRY_AFTER_S = 5


def field_error(status: int, field: str, message: str) -> HTTPException:
    """``{"detail": [{"loc": ["body", *field], "msg": message}]}``: the shape FastAPI's own 422s use."""
    return HTTPException(status_code=status, detail=[{"loc": ["body", *field.split(".")], "msg": message}])


def not_found(what: str, ident: str) -> HTTPException:
    """404 for an id that does not exist or is not the caller's (the two must look alike)."""
    shown = ident if len(ident) <= 64 and ident.isprintable() else repr(ident[:64])
    return HTTPException(status_code=404, detail=f"{what} {shown} not found")


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OperationalError)
    @app.exception_handler(DisconnectionError)
    async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable during %s %s: %s", request.method, request.url.path, exc.__class__.__name__)
        return JSONResponse(status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)},
                            content={"detail": f"database unavailable; retry in {RETRY_AFTER_S}s"})
