"""Charts drawn on the server with matplotlib: SVG for the dashboard, the eval curve as PNG.

Why server-side: the pages stay plain HTML under a ``default-src 'self'`` policy with no
charting script to vendor, and the numbers are drawn by the same library the CLI and
bench/ already use. ``Figure`` objects (not pyplot) are used, so concurrent requests in
the server's threads never share a global figure; the eval curve reuses
``bestofn.evals.curve.write_png``, which uses pyplot, under a lock.
"""

from __future__ import annotations

import io
import tempfile
import threading
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from bestofn.evals.curve import write_png
from bestofn.stats import StatsRow

_PYPLOT = threading.Lock()

# (title, y label, value of a row, y limits)
PANELS: list[tuple[str, str, Any, tuple[float, float] | None]] = [
    ("Accuracy", "winner passed all tests", lambda r: r.accuracy, (0.0, 1.05)),
    ("Latency p50", "seconds", lambda r: None if r.latency_p50_ms is None else r.latency_p50_ms / 1000, None),
    ("Latency p95", "seconds", lambda r: None if r.latency_p95_ms is None else r.latency_p95_ms / 1000, None),
    ("Samples per task", "candidates", lambda r: r.avg_samples, None),
    ("Cost per correct answer", "USD", lambda r: r.cost_per_correct_usd, None),
    ("Agreement rate", "self-consistency", lambda r: r.agreement_rate, (0.0, 1.05)),
]


def dashboard_svg(rows: list[StatsRow]) -> bytes:
    """Six panels, one line per strategy over the days that have tasks."""
    days = sorted({r.day for r in rows})
    strategies = sorted({r.strategy for r in rows})
    by = {(r.day, r.strategy): r for r in rows}
    fig = Figure(figsize=(10, 10), dpi=100)
    FigureCanvasSVG(fig)
    axes = fig.subplots(3, 2)
    labels = [d.isoformat()[5:] for d in days]  # every panel shares the days, so they line up
    for ax, (title, ylabel, value, ylim) in zip(axes.flat, PANELS):
        ax.plot(labels, [0.0] * len(labels), alpha=0)  # the day axis, even where a panel has no value
        drawn = 0
        for strategy in strategies:
            xs = [d for d in days if (d, strategy) in by and value(by[(d, strategy)]) is not None]
            ax.plot([d.isoformat()[5:] for d in xs], [value(by[(d, strategy)]) for d in xs], marker="o",
                    label=strategy)
            drawn += len(xs)
        if not drawn:
            ax.text(0.5, 0.5, "no data in these days", ha="center", va="center", transform=ax.transAxes,
                    color="0.4")
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        if ylim:
            ax.set_ylim(*ylim)
        ax.grid(True, alpha=0.3)
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    if strategies:
        axes.flat[0].legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="svg")
    return out.getvalue()


def curve_png(curve: list[dict[str, Any]], title: str) -> bytes:
    """The evaluation's test-time-scaling curve, drawn exactly as ``bestofn eval`` writes it."""
    with _PYPLOT, tempfile.TemporaryDirectory() as tmp:
        path = write_png(curve, Path(tmp) / "curve.png", title=title)
        return path.read_bytes()
