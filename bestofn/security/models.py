"""The ``api_key`` table: only a SHA-256 of each token is stored, never the token.

A token reads ``bon_<id>_<secret>``; ``id`` is the primary key (shown in lists and
stored on tasks as ``api_key_id``), so a lookup is one primary-key read and a
constant-time hash comparison.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from bestofn.models import utcnow


class ApiKey(SQLModel, table=True):
    """One API key; limits left empty fall back to the settings' defaults."""

    __tablename__ = "api_key"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(default="", max_length=100)
    token_sha256: str = Field(max_length=64)
    rate_per_s: float | None = Field(default=None, description="Sustained requests per second.")
    burst: int | None = Field(default=None, description="Requests allowed at once before the rate applies.")
    max_active_tasks: int | None = Field(default=None, description="Tasks and evaluation runs not yet ended.")
    admin: bool = Field(default=False, description="Sees every key's totals (/v1/stats, /metrics); its own tasks only.")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))

    @property
    def active(self) -> bool:
        return self.revoked_at is None
