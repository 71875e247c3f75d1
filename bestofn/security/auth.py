"""FastAPI side of API keys: who is calling, may they, and how fast.

``authenticate`` is an app-wide dependency: every route but the public ones gets
the caller's ``Principal`` (or None when keys are not required), after the
per-key token bucket. ``admit_task`` wraps a submission in the key's quota.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, ContextManager

from fastapi import Depends, HTTPException, Request
from sqlalchemy.engine import Engine

from bestofn.db import get_engine

from bestofn.security.keys import verify_token
from bestofn.security.quota import QuotaExceeded, admission
from bestofn.security.ratelimit import Limiter, make_limiter
from bestofn.settings import Settings, get_settings

PUBLIC_PATHS = frozenset({"/healthz", "/ui/login", "/ui/logout"})  # the UI's login page takes the key itself
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
KEY_COOKIE = "bestofn_key"
"""The browser UI's cookie holding the key (set by api/ui on login: http-only, Secure, SameSite=Strict)."""
COOKIE_SCOPE = "/ui/"
"""The cookie counts only on the UI's pages: the JSON API takes the header alone, so no cross-site form reaches it."""


@dataclass(frozen=True)
class Principal:
    """An authenticated API key and its effective limits (0: unlimited)."""

    key_id: str
    rate_per_s: float
    burst: int
    max_active_tasks: int
    admin: bool = False


@lru_cache(maxsize=4)
def _limiter(redis_url: str) -> Limiter:
    return make_limiter(redis_url)


def _token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if request.headers.get("x-api-key"):
        return request.headers["x-api-key"]
    if request.url.path.startswith(COOKIE_SCOPE):
        return request.cookies.get(KEY_COOKIE) or None
    return None


def _engine() -> Engine:
    return get_engine()


def authenticate(request: Request, settings: Annotated[Settings, Depends(get_settings)],
                 engine: Annotated[Engine, Depends(_engine)]) -> Principal | None:
    """401 without a valid active key (when required), 429 when its bucket is empty."""
    if request.url.path in PUBLIC_PATHS or not settings.api_keys_required:
        return None
    token = _token(request)
    if token is None:
        raise HTTPException(401, "API key required: send 'Authorization: Bearer <key>' "
                                 "(create one with 'bestofn keys create')", headers=_CHALLENGE)
    key = verify_token(engine, token)
    if key is None:
        raise HTTPException(401, "API key not valid (unknown, malformed or revoked)", headers=_CHALLENGE)
    who = Principal(
        key_id=key.id,
        rate_per_s=key.rate_per_s if key.rate_per_s is not None else settings.api_rate_per_s,
        burst=key.burst if key.burst is not None else settings.api_burst,
        max_active_tasks=key.max_active_tasks if key.max_active_tasks is not None else settings.api_max_active_tasks,
        admin=key.admin,
    )
    if who.rate_per_s > 0:
        verdict = _limiter(settings.redis_url).hit(who.key_id, who.rate_per_s, who.burst)
        if not verdict.allowed:
            wait = max(1, math.ceil(verdict.retry_after_s))
            raise HTTPException(429, f"rate limit: {who.rate_per_s:g} requests/s (burst {who.burst}) for key "
                                     f"{who.key_id}; retry in {wait}s", headers={"Retry-After": str(wait)})
    return who


PrincipalDep = Annotated[Principal | None, Depends(authenticate)]


def admit_task(principal: Principal | None, engine: Engine) -> ContextManager[None]:
    """Hold the key's quota while a task or evaluation run is inserted; 429 when it is full."""
    if principal is None or principal.max_active_tasks <= 0:
        return nullcontext()
    return _admitted(principal, engine)


@contextmanager
def _admitted(principal: Principal, engine: Engine) -> Iterator[None]:
    try:
        with admission(engine, principal.key_id, principal.max_active_tasks):
            yield
    except QuotaExceeded as exc:
        raise HTTPException(429, f"quota: key {principal.key_id} has {exc.active} tasks and evaluations not yet "
                                 f"ended (limit {exc.limit}); wait for one to finish or cancel one") from exc


def visible(owner_key_id: str | None, principal: Principal | None) -> bool:
    """A key sees only its own tasks and runs; without keys everything is visible."""
    return principal is None or owner_key_id == principal.key_id


def totals_scope(principal: Principal | None) -> str | None:
    """The key whose totals the caller may see: its own, or None (every key's) for an admin key or without keys."""
    return None if principal is None or principal.admin else principal.key_id


def require_admin(principal: PrincipalDep) -> None:
    """403 unless the caller is an admin key (or keys are off): for routes that show every key's totals."""
    if principal is not None and not principal.admin:
        raise HTTPException(403, f"key {principal.key_id} is not an admin key: this route shows every key's totals "
                                 "(create one with 'bestofn keys create --admin'; /v1/stats shows a key its own)")


def owner_of(principal: Principal | None) -> str | None:
    """The ``api_key_id`` stored on what this caller creates (None without keys)."""
    return principal.key_id if principal is not None else None
