"""Create, list, revoke and verify API keys (hashes at rest, tokens shown once).

SHA-256 without salt or stretching is the right hash here: tokens carry 256 bits
of randomness, so there is nothing to brute-force, and verification stays one
fast primary-key lookup per request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bestofn.errors import ProblemRejected
from bestofn.models import utcnow
from bestofn.schemas import Printable
from bestofn.security.models import ApiKey

PREFIX = "bon"
TOKEN_RE = re.compile(r"^bon_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class NewKey:
    """A freshly created key: ``token`` exists only here, never in the database."""

    key: ApiKey
    token: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class KeySpec(BaseModel):
    """What a new key may be given: the limits' meanings are the settings' (``api_rate_per_s``...)."""

    model_config = ConfigDict(allow_inf_nan=False)

    name: Printable = Field(default="", max_length=100)
    rate_per_s: float | None = Field(default=None, ge=0, le=1_000_000, description="0: no limit.")
    burst: int | None = Field(default=None, ge=1, le=1_000_000)
    max_active_tasks: int | None = Field(default=None, ge=0, le=1_000_000, description="0: no limit.")


def create_key(engine: Engine, name: str = "", *, rate_per_s: float | None = None, burst: int | None = None,
               max_active_tasks: int | None = None, admin: bool = False) -> NewKey:
    """Store a new key's hash and return the token (the only time it is seen).

    ``ProblemRejected`` (a ``ValueError``) names the field of a limit out of range or a name with
    control characters, before anything is stored."""
    try:
        spec = KeySpec(name=name, rate_per_s=rate_per_s, burst=burst, max_active_tasks=max_active_tasks)
    except ValidationError as exc:
        raise ProblemRejected.from_validation(exc) from None
    key_id = secrets.token_hex(6)
    token = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    row = ApiKey(id=key_id, token_sha256=token_hash(token), admin=admin, **spec.model_dump())
    with Session(engine, expire_on_commit=False) as s:
        s.add(row)
        s.commit()
    return NewKey(key=row, token=token)


def list_keys(engine: Engine, *, include_revoked: bool = True) -> list[ApiKey]:
    with Session(engine, expire_on_commit=False) as s:
        query = select(ApiKey).order_by(ApiKey.created_at)
        if not include_revoked:
            query = query.where(ApiKey.revoked_at.is_(None))  # type: ignore[union-attr]
        return list(s.exec(query).all())


def revoke_key(engine: Engine, key_id: str) -> ApiKey | None:
    """Mark a key revoked (kept for the audit trail of its tasks); None if unknown."""
    with Session(engine, expire_on_commit=False) as s:
        row = s.get(ApiKey, key_id)
        if row is None:
            return None
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            s.add(row)
            s.commit()
        return row


def verify_token(engine: Engine, token: str) -> ApiKey | None:
    """The active key this token belongs to, or None (malformed, unknown, wrong or revoked)."""
    match = TOKEN_RE.match(token)
    if match is None:
        return None
    with Session(engine, expire_on_commit=False) as s:
        row = s.get(ApiKey, match.group(1))
    if row is None or not hmac.compare_digest(row.token_sha256, token_hash(token)) or not row.active:
        return None
    return row
