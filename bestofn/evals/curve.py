"""The test-time-scaling curve as CSV and PNG: pass@N (what an oracle selector gets)
and each ranker's reranked pass@1 against the number of samples N."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

_FIXED = ("n", "problems", "pass_at_n")


def strategy_columns(curve: list[dict[str, Any]]) -> list[str]:
    return [key for key in (curve[0] if curve else {}) if key not in _FIXED]


def write_csv(curve: list[dict[str, Any]], path: str | Path) -> Path:
    """One row per N: n, problems, pass_at_n, then reranked pass@1 per strategy."""
    cols = [*_FIXED, *strategy_columns(curve)]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols)
        writer.writeheader()
        for point in curve:
            writer.writerow({c: "" if point.get(c) is None else point[c] for c in cols})
    return Path(path)


def write_png(curve: list[dict[str, Any]], path: str | Path, title: str = "") -> Path:
    """Plot with matplotlib's Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ns = [p["n"] for p in curve]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    ax.plot(ns, [p["pass_at_n"] for p in curve], marker="o", linewidth=2, label="pass@N (oracle selector)")
    styles = [("s", "--"), ("^", "-."), ("v", ":"), ("D", "--"), ("x", "-.")]  # overlapping lines stay visible
    for i, name in enumerate(strategy_columns(curve)):
        marker, line = styles[i % len(styles)]
        ax.plot(ns, [p[name] for p in curve], marker=marker, markersize=5, markerfacecolor="none", linestyle=line,
                label=f"reranked pass@1: {name}")
    ax.set_xscale("log", base=2)
    ax.set_xticks(ns, [str(n) for n in ns])
    ax.set_xlabel("samples per problem (N)")
    ax.set_ylabel("fraction of problems solved")
    ax.set_ylim(0, 1)
    ax.grid(True, alpha=0.3)
    ax.set_title(title or "Test-time scaling")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return Path(path)
