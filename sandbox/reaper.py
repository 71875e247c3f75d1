"""Remove leftover sandbox containers, found by label alone (no bookkeeping).

Every sandbox container carries ``bestofn.sandbox=1`` and ``bestofn.expires``
(unix time after which nothing legitimate still uses it), so a crashed worker's
containers are found and removed by any process on the same engine.
"""

from __future__ import annotations

import time

from sandbox.client import get_client
from sandbox.config import SandboxConfig
from sandbox.container import remove_container


def reap(older_than_s: float | None = None, *, labels: dict[str, str] | None = None,
         config: SandboxConfig = SandboxConfig()) -> int:
    """Remove labelled sandbox containers past their deadline, or older than ``older_than_s``; returns the count.

    ``labels`` narrows it to containers that also carry these (e.g. ``{"task": id}``),
    so one process can clear its own leftovers on an engine others share; ``config`` names the engine.
    """
    api = get_client(config=config).api
    now = time.time()
    removed = 0
    wanted = ["bestofn.sandbox=1"] + [f"{k if k.startswith('bestofn.') else 'bestofn.' + k}={v}" for k, v in (labels or {}).items()]
    for summary in api.containers(all=True, filters={"label": wanted}):
        labels = summary.get("Labels") or {}
        try:
            expired = float(labels.get("bestofn.expires", "0")) < now
        except ValueError:
            expired = True  # a malformed deadline is no reason to keep a sandbox alive
        if older_than_s is not None:
            expired = expired or now - float(summary.get("Created", now)) > older_than_s
        if expired and remove_container(summary["Id"], config):
            removed += 1
    return removed
