"""Answers for infrastructure failures: a database outage is 503 with Retry-After, not a 500.

Clients (and the CLI's ``--wait`` loop) can tell "try again shortly" from a bug.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DisconnectionError, OperationalError

log = logging.getLogger("bestofn.api")
RETRY_AFTER_S = 5


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OperationalError)
    @app.exception_handler(DisconnectionError)
    async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable during %s %s: %s", request.method, request.url.path, exc.__class__.__name__)
        return JSONResponse(status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)},
                            content={"detail": f"database unavailable; retry in {RETRY_AFTER_S}s"})
