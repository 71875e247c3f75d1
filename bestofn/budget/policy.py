"""The inference policy: tiers and guardrails from a TOML file, validated once.

A bad file must stop the service with one line naming the file and the key, not
surface later as a 500 on some task, so loading raises ``PolicyError`` with both.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bestofn.schemas import MAX_REVISIONS, ReasoningEffort, Strategy
from bestofn.settings import Settings, get_settings

DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "policies" / "default.toml"


class PolicyError(ValueError):
    """The policy file is missing, not TOML, or breaks a rule; the message names file and key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Tier(_Strict):
    """Sampling for one difficulty tier; ``n`` omitted means ``settings.default_n``."""

    strategy: Strategy = "auto"
    n: int | None = Field(default=None, ge=1, le=1024)
    temperature: float = Field(default=0.8, ge=0.0, le=2.0)
    max_tokens: int = Field(default=512, ge=1, le=32_768)
    max_usd_per_task: float | None = Field(default=None, ge=0)
    task_timeout_s: float | None = Field(default=None, gt=0)
    max_revisions: int | None = Field(default=None, ge=0, le=MAX_REVISIONS)
    revision_share: float | None = Field(default=None, ge=0.0, le=1.0)
    reasoning_effort: ReasoningEffort | None = None
    max_completion_tokens: int | None = Field(default=None, ge=1, le=131_072)


class Guardrails(_Strict):
    """Hard limits checked before any token is bought."""

    max_tokens_per_task: int = Field(ge=1)
    max_usd_per_task: float = Field(ge=0)
    task_timeout_s: float = Field(gt=0)
    daily_budget_usd: float = Field(gt=0)
    alert_threshold: float = Field(default=0.8, gt=0, le=1)
    on_over_budget: Literal["downgrade", "refuse"] = "downgrade"
    chars_per_token: float = Field(default=3.0, gt=0, le=16)


class Routing(_Strict):
    """Which tier a task without ``tier`` escalates to, and which tier its greedy probe uses."""

    default_tier: str
    probe_tier: str


class Policy(_Strict):
    """The whole file."""

    routing: Routing
    guardrails: Guardrails
    tiers: dict[str, Tier] = Field(min_length=1)

    @model_validator(mode="after")
    def _tiers_exist(self) -> "Policy":
        for key in ("default_tier", "probe_tier"):
            name = getattr(self.routing, key)
            if name not in self.tiers:
                raise ValueError(f"routing.{key}: no tier {name!r} (tiers: {', '.join(self.tiers)})")
        return self

    def tier(self, name: str) -> Tier:
        return self.tiers[name]


def policy_path(settings: Settings | None = None) -> Path:
    """The configured policy file, or the one shipped with the package."""
    configured = (settings or get_settings()).policy_file
    return Path(configured) if configured else DEFAULT_POLICY


def parse_policy(text: str, source: str) -> Policy:
    """Validate TOML text; errors name ``source`` and the dotted key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from exc
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        where = f"key '{key}': " if key else ""
        msg = str(first["msg"]).removeprefix("Value error, ")
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise PolicyError(f"{source}: {where}{msg}{more}") from exc


@lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int) -> Policy:
    return parse_policy(path.read_text(), str(path))


def load_policy(settings: Settings | None = None) -> Policy:
    """The policy in force; re-read when the file changes, so an edit needs no restart."""
    path = policy_path(settings)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy file ({exc.strerror}); set BESTOFN_POLICY_FILE") from exc
    return _load(path, mtime)
