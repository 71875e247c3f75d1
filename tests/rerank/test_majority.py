"""Answer normalisation and majority vote (pure)."""

from __future__ import annotations

import pytest

from bestofn.rerank.majority import final_answer, normalise, vote


@pytest.mark.parametrize(("reply", "norm"), [
    ("Let me think.\nThe answer is 1,000.", "1000"),
    ("so we get \\boxed{1000}", "1000"),
    ("Answer: 1000.0", "1000"),
    ("Final answer: $\\frac{1}{2}$", "0.5"),
    ("0.50", "0.5"),
    ("50%", "0.5"),
    ("reasoning...\n\n  Paris  ", "paris"),
    ("**Answer:** `Yes`", "yes"),
    ("\\boxed{x^{2}} then \\boxed{\\text{blue}}", "blue"),
    ("So in total it is 42 apples.", "42"),
])
def test_normalise(reply: str, norm: str) -> None:
    assert normalise(reply) == norm


def test_final_answer_prefers_boxed_then_answer_line_then_last_line() -> None:
    assert final_answer("answer: 3\n\\boxed{4}") == "4"
    assert final_answer("answer: 3\nanswer: 5\nbye") == "5"
    assert final_answer("a\nb\n") == "b"


def test_majority_wins_with_ties_to_the_better_ranked() -> None:
    answers = {0: "The answer is 12", 1: "answer: 12.0", 2: "\\boxed{13}", 3: "12", 4: "13"}
    v = vote(answers, order=[4, 3, 2, 1, 0], min_agreement=0.5)
    assert v.winner == 3 and v.answer == "12" and v.agreement_rate == 0.6 and v.runner_up == 4
    tie = vote({0: "a", 1: "b"}, order=[1, 0], min_agreement=0.5)
    assert tie.winner == 1


def test_below_min_agreement_is_no_decision_with_a_best_guess() -> None:
    v = vote({0: "1", 1: "2", 2: "3", 3: "1"}, order=[0, 1, 2, 3], min_agreement=0.6)
    assert v.winner is None and v.best_guess == 0 and v.agreement_rate == 0.5
    assert "no clear majority" in v.reason
    assert vote({0: "", 1: "  "}, [0, 1], 0.5).winner is None
