"""In-process counters of the two budget facts that leave no row: refusals and alerts.

They live here, beside the admission that counts them, so the budget never imports
``bestofn.metrics`` (which reads the budget's tables); ``/metrics`` registers them
with the rows it aggregates at scrape time.
"""

from __future__ import annotations

from prometheus_client import Counter

BUDGET_REFUSALS = Counter("bestofn_budget_refusals", "Tasks the budget guard refused in this API process, by field.",
                          ["field"], registry=None)
BUDGET_ALERTS = Counter("bestofn_budget_alerts", "Admissions in this API process past the daily alert threshold.",
                        registry=None)
