"""/metrics: Prometheus exposition, aggregated from the database per scrape (see bestofn.metrics)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import SettingsDep, StoreDep
from bestofn.metrics import render_metrics

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response)
def metrics(store: StoreDep, settings: SettingsDep) -> Response:
    """Tasks, candidates, sandbox outcomes, latencies, tokens, cost, early stop, budget, queue depth."""
    return Response(render_metrics(store.engine, settings), media_type=CONTENT_TYPE_LATEST)
