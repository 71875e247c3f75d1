"""/v1/stats: per day and strategy, accuracy, latency percentiles, samples, cost, agreement."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import SettingsDep, StoreDep
from bestofn.security.auth import PrincipalDep, totals_scope
from bestofn.stats import StatsReport, daily_stats

router = APIRouter(prefix="/v1/stats", tags=["stats"])


@router.get("", response_model=StatsReport)
def get_stats(store: StoreDep, settings: SettingsDep, principal: PrincipalDep,
              days: int = Query(default=14, ge=1, le=366)) -> StatsReport:
    """The last ``days`` UTC days, today included (definitions in bestofn.stats): a key's own tasks,
    every key's for an admin key."""
    return daily_stats(store.engine, settings, days=days, api_key_id=totals_scope(principal))
