"""/metrics: Prometheus exposition, aggregated from the database per scrape (see bestofn.metrics)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import SettingsDep, StoreDep
from bestofn.metrics import render_metrics
from bestofn.security.auth import require_admin

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response, dependencies=[Depends(require_admin)])
def metrics(store: StoreDep, settings: SettingsDep) -> Response:
    """Tasks, candidates, sandbox outcomes, latencies, tokens, cost, early stop, budget, queue depth:
    every key's totals, so an admin key only (403 for others)."""
    return Response(render_metrics(store.engine, settings), media_type=CONTENT_TYPE_LATEST)
