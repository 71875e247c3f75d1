"""The width/depth policy under strategy 'auto' (bestofn/split.py): each branch end to end, with the reason
it records, on real Postgres and Docker and the scripted HTTP LLM; then the pure choice on its own.

The scripted server tells the greedy probe (temperature 0, the probe tier's) from the other samples
(the task's temperature 0.8) and from revision requests (they carry ``REVISE_ASK``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bestofn.budget.policy import DEFAULT_POLICY
from bestofn.schemas import ExecutionResult
from bestofn.settings import get_settings
from bestofn.split import choose_split, classify, near_miss_limit
from bestofn.store import TaskStore
from bestofn.testing.fake_llm import FakeLLM, Reply, messages_text
from tests.pipeline import problems as P
from tests.pipeline.test_revise import REVISION


def _script(fake: FakeLLM, probe: str, sample: str, revision: str) -> None:
    fake.add(REVISION, revision)
    fake.add("running_max", respond=lambda body: Reply(content=probe if body.get("temperature") == 0.0 else sample))


def _auto(store: TaskStore, fake: FakeLLM, **overrides: Any) -> Any:
    fields: dict[str, Any] = {"strategy": "auto", "n": 4, "early_stop": True, "max_revisions": 2}
    fields.update(overrides)
    return P.run_problem(store, fake, **fields)


def _fresh(fake: FakeLLM) -> list[dict[str, Any]]:
    return [b for b in fake.requests if REVISION not in messages_text(b)]


def _revisions(fake: FakeLLM) -> list[dict[str, Any]]:
    return [b for b in fake.requests if REVISION in messages_text(b)]


def test_near_miss_probe_is_revised_first_and_the_other_samples_are_not_bought(store: TaskStore,
                                                                              fake_llm: FakeLLM) -> None:
    _script(fake_llm, probe=P.PARTLY_WRONG, sample=P.WRONG, revision=P.FAST_OK)
    outcome, view = _auto(store, fake_llm)
    assert outcome.status == "done" and not view.no_passing_candidate
    split = view.decision["details"]["split"]
    assert (split["signal"], split["order"], split["rounds"]) == ("near_miss", "revisions first", 2)
    assert split["seen"] == "the greedy probe: failed, 3 of 4 tests passed"
    assert split["why"].startswith("near miss: the greedy probe failed 1 of 4 tests")
    assert len(_fresh(fake_llm)) == 1 and len(_revisions(fake_llm)) == 1  # the probe, then its fix: nothing else
    assert view.winner.index == 4 and {c.index: c.parent for c in view.candidates} == {0: None, 4: 0}
    assert view.early_stopped and view.decision["details"]["early_stop"]["candidates_skipped"] == 3


def test_near_miss_not_fixed_falls_back_to_fewer_samples(store: TaskStore, fake_llm: FakeLLM) -> None:
    """The rounds gained nothing: the samples run after them, the width cut by revision_share (0.5 of 3)."""
    _script(fake_llm, probe=P.PARTLY_WRONG, sample=P.FAST_OK, revision=P.EMPTY_WRONG)
    _, view = _auto(store, fake_llm, n=6)
    split = view.decision["details"]["split"]
    assert split["width"] == 4 and "then 4 of the 6 samples only if they did not solve it" in split["why"]
    assert len(_revisions(fake_llm)) == 1  # no new test passed: the rounds stop
    assert sorted(c.index for c in view.candidates) == [0, 1, 2, 3, 6]  # waves [0], [1-3]; 4 and 5 trimmed
    assert view.winner.index in (1, 2, 3) and view.decision["details"]["revision"]["winner_round"] == 0


def test_hard_failure_gets_the_full_width_and_fewer_rounds(store: TaskStore, fake_llm: FakeLLM) -> None:
    _script(fake_llm, probe=P.NO_CODE, sample=P.WRONG, revision=P.FAST_OK)
    _, view = _auto(store, fake_llm)
    split = view.decision["details"]["split"]
    assert (split["signal"], split["order"], split["width"], split["rounds"]) == ("hard", "samples first", 4, 1)
    assert split["seen"] == "the greedy probe: no code to run"
    assert "then 1 of 2 revision rounds (revision_share 0.5 of them go to width)" in split["why"]
    assert len(_fresh(fake_llm)) == 4 and len(_revisions(fake_llm)) == 1
    assert view.winner.index == 4 and view.decision["details"]["revision"]["winner_round"] == 1


def test_partial_result_gets_the_width_then_every_round(store: TaskStore, fake_llm: FakeLLM) -> None:
    _script(fake_llm, probe=P.WRONG, sample=P.WRONG, revision=P.PARTLY_WRONG)
    _, view = _auto(store, fake_llm)
    split = view.decision["details"]["split"]
    assert (split["signal"], split["order"], split["width"], split["rounds"]) == ("partial", "samples first", 4, 2)
    assert split["why"].startswith("partial: the greedy probe passed 1 of 4 tests")
    assert len(_fresh(fake_llm)) == 4 and len(_revisions(fake_llm)) == 2  # 1 -> 3 tests, then no gain


def test_probe_that_passes_ends_the_task(store: TaskStore, fake_llm: FakeLLM) -> None:
    _script(fake_llm, probe=P.FAST_OK, sample=P.WRONG, revision=P.WRONG)
    _, view = _auto(store, fake_llm)
    assert view.decision["details"]["split"]["signal"] == "solved" and len(fake_llm.requests) == 1


def test_without_a_probe_the_best_sample_is_read(store: TaskStore, fake_llm: FakeLLM) -> None:
    _script(fake_llm, probe=P.PARTLY_WRONG, sample=P.PARTLY_WRONG, revision=P.FAST_OK)
    _, view = _auto(store, fake_llm, n=2, early_stop=False)
    split = view.decision["details"]["split"]
    assert split["signal"] == "near_miss" and split["seen"] == "the best sample: failed, 3 of 4 tests passed"
    assert len(_fresh(fake_llm)) == 2 and view.winner.index == 2


def test_zero_rounds_is_plain_best_of_n_without_a_split(store: TaskStore, fake_llm: FakeLLM) -> None:
    _script(fake_llm, probe=P.PARTLY_WRONG, sample=P.WRONG, revision=P.FAST_OK)
    _, view = _auto(store, fake_llm, max_revisions=0)
    assert "split" not in view.decision["details"] and not _revisions(fake_llm) and len(_fresh(fake_llm)) == 4


def test_the_tier_sets_the_rounds_and_their_share(store: TaskStore, fake_llm: FakeLLM, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(DEFAULT_POLICY.read_text().replace(
        "[tiers.standard]\n", "[tiers.standard]\nmax_revisions = 3\nrevision_share = 1.0\n"))
    monkeypatch.setenv("BESTOFN_POLICY_FILE", str(policy))
    get_settings.cache_clear()
    try:
        _script(fake_llm, probe=P.PARTLY_WRONG, sample=P.FAST_OK, revision=P.EMPTY_WRONG)
        task_fields = {"strategy": "auto", "n": 4, "early_stop": True}  # rounds and share left to the tier
        _, view = P.run_problem(store, fake_llm, **task_fields)
    finally:
        get_settings.cache_clear()
    split = view.decision["details"]["split"]
    assert (split["rounds"], split["revision_share"], split["width"]) == (3, 1.0, 1)
    assert len(_fresh(fake_llm)) == 1  # share 1.0: a near miss gives all its samples to revisions
    assert view.no_passing_candidate and view.winner.index == 0


# -- the choice alone -----------------------------------------------------------------------------
def _result(passed: int, total: int = 4, status: str = "failed") -> ExecutionResult:
    return ExecutionResult(status=status, tests_passed=passed, tests_total=total,  # type: ignore[arg-type]
                           all_passed=passed == total)


@pytest.mark.parametrize("result, signal", [
    (None, "hard"), (_result(0), "hard"), (_result(0, status="timeout"), "hard"), (_result(4, status="passed"), "solved"),
    (_result(3), "near_miss"), (_result(2), "partial"), (_result(15, 20), "near_miss"), (_result(14, 20), "partial"),
])
def test_classify(result: ExecutionResult | None, signal: str) -> None:
    assert classify(result) == signal


def test_near_miss_limit_is_a_quarter_of_the_tests_at_least_one() -> None:
    assert [near_miss_limit(t) for t in (1, 3, 4, 8, 20)] == [1, 1, 1, 2, 5]


@pytest.mark.parametrize("share, width, hard_rounds", [(0.0, 8, 4), (0.5, 4, 2), (1.0, 1, 0)])
def test_share_moves_width_to_depth_for_near_misses_and_depth_to_width_for_hard_ones(
        share: float, width: int, hard_rounds: int) -> None:
    problem = P.problem(strategy="auto", revision_share=share)
    near = choose_split(problem, 8, 4, _result(3), probe=True)
    assert (near.width, near.rounds, near.depth_first) == (width, 4, True)
    hard = choose_split(problem, 8, 4, _result(0), probe=True)
    assert (hard.width, hard.rounds, hard.depth_first) == (8, hard_rounds, False)
    assert choose_split(problem.model_copy(update={"tests": None}), 8, 4, None, probe=False).signal == "no_tests"


def test_revision_share_outside_auto_is_refused_naming_the_field() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as err:
        P.problem(strategy="tests", revision_share=0.5)
    assert [e["loc"][0] for e in err.value.errors()] == ["revision_share"]
