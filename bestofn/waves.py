"""Generation in waves: spend more samples only when the cheaper ones failed.

With early stop the first wave is a single (greedy-ish) attempt; if it passes
every test the task ends at N=1, otherwise the next waves run (1, 3, the rest).
"""

from __future__ import annotations


def plan_waves(n: int, early_stop: bool, first: tuple[int, ...] = (1, 3)) -> list[list[int]]:
    """Candidate indices per wave; one wave of all ``n`` when not stopping early."""
    if n <= 0:
        return []
    if not early_stop:
        return [list(range(n))]
    waves: list[list[int]] = []
    start = 0
    for size in first:
        if start >= n:
            break
        end = min(n, start + size)
        waves.append(list(range(start, end)))
        start = end
    if start < n:
        waves.append(list(range(start, n)))
    return waves


def use_early_stop(strategy: str, n_given: bool, early_stop: bool | None) -> bool:
    """Default policy: waves under ``auto`` without an explicit n; otherwise only if asked."""
    if early_stop is not None:
        return early_stop
    return strategy == "auto" and not n_given


def trim_waves(waves: list[list[int]], width: int) -> list[list[int]]:
    """The waves holding only the first ``width`` candidates (empty waves dropped)."""
    kept = [[i for i in wave if i < width] for wave in waves]
    return [wave for wave in kept if wave]
