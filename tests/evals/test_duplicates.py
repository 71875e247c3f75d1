"""Identical program texts run once on the hidden tests and share the result, unless the run
asks for every copy (``run_duplicates``); real Docker sandbox."""

from __future__ import annotations

import pytest

from bestofn.evals.datasets import load_dataset
from tests.evals.conftest import evaluate_variants

pytestmark = pytest.mark.usefixtures("no_eval_containers_left")

HE = load_dataset("humaneval")
# Passes or fails by a coin tossed once per process: its copies agree only if they share one run.
COIN = ("    g = globals()\n    if '_coin' not in g:\n        import os\n        g['_coin'] = os.urandom(1)[0] < 128\n"
        "    if g['_coin']:\n        raise RuntimeError('tails')\n" + HE["HumanEval/0"].canonical_solution)
COPIES = 16  # with every copy run, all 16 agree with probability 2 ** -15


@pytest.mark.parametrize("every", [False, True], ids=["shared", "every-copy"])
def test_copies_of_a_program_share_one_run_unless_asked(every: bool, pg_url: str) -> None:
    variants: dict[str, list[str | None]] = {"HumanEval/0": [COIN] * COPIES + [None, "    return True\n"]}
    _, rows, report = evaluate_variants(pg_url, f"dups-{every}", variants, rerank=False, run_duplicates=every)
    assert all(r.status == "done" for r in rows) and len(rows) == COPIES + 2
    coins = {bool(r.passed) for r in rows if r.completion == COIN}
    assert len(coins) == (2 if every else 1), coins
    by_text = {r.completion: bool(r.passed) for r in rows if r.completion != COIN}
    assert by_text == {HE["HumanEval/0"].canonical_solution: True, "    return True\n": False}
    assert report["samples"] == COPIES + 2  # every copy counts as a sample of its own
