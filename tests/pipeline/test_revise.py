"""Revision rounds, lineage and reasoning knobs end to end: real Postgres, Docker and the scripted HTTP LLM.

The scripted server answers a revision request (it carries ``REVISE_ASK``) by reading it: the
fix comes back only when the failing test's own assertion is in the request.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bestofn.llm import make_client
from bestofn.pipeline import run_task
from bestofn.prompts import REVISE_ASK
from bestofn.service import create_task
from bestofn.settings import get_settings
from bestofn.testing.fake_llm import FakeLLM, Reply, messages_text
from bestofn.store import TaskStore
from tests.pipeline import problems as P

REVISION = REVISE_ASK.split("\n")[0][:40]  # text only a revision request holds
FAILING_ASSERT = "candidate([-2, -1, -3])"  # the assertion PARTLY_WRONG fails


def _run(store: TaskStore, fake: FakeLLM, **overrides: object):
    return P.run_problem(store, fake, **overrides)


def _fix_if_told(body: dict[str, Any]) -> Reply:
    """The fix only when the failing assertion reached the model, else the same mistake again."""
    return Reply(content=P.FAST_OK if FAILING_ASSERT in messages_text(body) else P.PARTLY_WRONG)


def _revision_requests(fake: FakeLLM) -> list[dict[str, Any]]:
    return [b for b in fake.requests if REVISION in messages_text(b)]


def test_revision_with_the_failing_tests_feedback_wins(store: TaskStore, fake_llm: FakeLLM) -> None:
    fake_llm.add(REVISION, respond=_fix_if_told)
    fake_llm.add("running_max", P.PARTLY_WRONG)
    outcome, view = _run(store, fake_llm, n=1, strategy="revise", max_revisions=3)
    assert outcome.status == "done" and not view.no_passing_candidate
    by = {c.index: c for c in view.candidates}
    assert by[0].round == 0 and by[0].parent is None and by[0].execution.tests_passed == 3
    assert by[1].round == 1 and by[1].parent == 0 and by[1].execution.all_passed
    assert view.winner is not None and view.winner.index == 1
    assert len(view.candidates) == 2  # stopped once a candidate passed every test
    assert view.progress.model_dump() == {"n": 1, "generated": 1, "executed": 1, "revisions": 1, "max_revisions": 3}
    revision = view.decision["details"]["revision"]
    assert revision["winner_round"] == 1 and revision["winner_parent"] == 0
    assert revision["stopped"] == "a candidate passed every test"
    assert "revision round 1 of candidate 0" in view.reason
    (sent,) = _revision_requests(fake_llm)
    text = messages_text(sent)
    assert "3 of 4 tests passed" in text and "running_max(xs):\n    out, best = [], 0" in text  # score and its code
    assert "candidate([5, 4, 3])" not in text  # passing tests are not sent
    assert view.tokens_out == sum(c.tokens_out for c in view.candidates)  # the revision is in the spend


def test_without_feedback_the_scripted_model_repeats_its_mistake(store: TaskStore, fake_llm: FakeLLM) -> None:
    """The control: the same reply function does not fix a candidate whose failure was elsewhere."""
    fake_llm.add(REVISION, respond=_fix_if_told)
    fake_llm.add("running_max", P.EMPTY_WRONG)  # fails candidate([]) instead
    _, view = _run(store, fake_llm, n=1, strategy="revise", max_revisions=3)
    assert view.no_passing_candidate
    assert view.winner.index == 0  # the revision (3/4 again) does not beat its parent
    revision = view.decision["details"]["revision"]
    assert [r["outcome"] for r in revision["rounds"]] == ["no new test passed"]
    assert revision["stopped"] == "round 1 passed no test beyond the best before it"


def test_worse_revision_is_not_preferred_over_its_parent(store: TaskStore, fake_llm: FakeLLM) -> None:
    fake_llm.add(REVISION, P.WRONG)
    fake_llm.add("running_max", P.PARTLY_WRONG)
    _, view = _run(store, fake_llm, n=1, strategy="revise", max_revisions=2)
    by = {c.index: c for c in view.candidates}
    assert by[1].parent == 0 and by[1].execution.tests_passed < by[0].execution.tests_passed
    assert view.winner.index == 0 and view.no_passing_candidate
    assert [r["index"] for r in view.ranking] == [0, 1]
    assert len(_revision_requests(fake_llm)) == 1  # no gain: the rounds stop


def test_tied_revision_ranks_below_its_parent(store: TaskStore, fake_llm: FakeLLM) -> None:
    """Same score, other failure, faster or not: the revision showed no gain, the parent stays first."""
    fake_llm.add(REVISION, P.EMPTY_WRONG)
    fake_llm.add("running_max", P.PARTLY_WRONG)
    _, view = _run(store, fake_llm, n=1, strategy="revise", max_revisions=2)
    by = {c.index: c for c in view.candidates}
    assert by[0].execution.tests_passed == by[1].execution.tests_passed == 3
    assert [r["index"] for r in view.ranking] == [0, 1]
    assert view.winner.index == 0


def test_bad_replies_cost_a_round_not_the_task(store: TaskStore, fake_llm: FakeLLM,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BESTOFN_LLM_TIMEOUT_S", "1")
    monkeypatch.setenv("BESTOFN_LLM_MAX_RETRIES", "0")
    get_settings.cache_clear()
    replies = iter([Reply(content="I would rather explain the idea in words."), Reply(content=P.FAST_OK, delay_s=3),
                    Reply(status=500), Reply(content=P.FAST_OK)])
    try:
        fake_llm.add(REVISION, respond=lambda body: next(replies))
        fake_llm.add("running_max", P.PARTLY_WRONG)
        outcome, view = _run(store, fake_llm, n=1, strategy="revise", max_revisions=4)
    finally:
        get_settings.cache_clear()
    assert outcome.status == "done" and not view.no_passing_candidate
    by = {c.index: c for c in view.candidates}
    assert by[1].error.startswith("no_code") and by[2].error.startswith("llm_timeout")
    assert by[3].error.startswith("llm_error: HTTP 500")
    assert by[4].round == 4 and by[4].parent == 0 and by[4].execution.all_passed
    assert view.winner.index == 4
    outcomes = [r["outcome"] for r in view.decision["details"]["revision"]["rounds"]]
    assert outcomes[:3] == ["bad reply (no_code): the round is spent", "bad reply (llm_timeout): the round is spent",
                            "bad reply (llm_error): the round is spent"]


def test_rounds_run_out(store: TaskStore, fake_llm: FakeLLM) -> None:
    fake_llm.add(REVISION, "still thinking")
    fake_llm.add("running_max", P.PARTLY_WRONG)
    outcome, view = _run(store, fake_llm, n=1, strategy="revise", max_revisions=2)
    assert outcome.status == "done" and view.winner.index == 0 and view.no_passing_candidate
    assert len(_revision_requests(fake_llm)) == 2
    assert view.decision["details"]["revision"]["stopped"] == "all 2 rounds used"


def test_no_revision_when_the_first_sample_passes_or_strategy_does_not_revise(store: TaskStore,
                                                                             fake_llm: FakeLLM) -> None:
    fake_llm.add("running_max", P.FAST_OK)
    _, view = _run(store, fake_llm, n=1, strategy="revise", max_revisions=2)
    assert len(view.candidates) == 1 and view.decision["details"]["revision"]["rounds"] == []
    fake_llm.reset()
    fake_llm.add("running_max", P.PARTLY_WRONG)
    _, view = _run(store, fake_llm, n=1, strategy="tests")
    assert len(view.candidates) == 1 and "revision" not in view.decision["details"]
    assert not _revision_requests(fake_llm)


def test_reasoning_knobs_are_sent_exactly_when_set(store: TaskStore, fake_llm: FakeLLM) -> None:
    fake_llm.add("running_max", Reply(content=P.FAST_OK, completion_tokens=80, reasoning_tokens=50))
    _, view = _run(store, fake_llm, n=1, reasoning_effort="high", max_completion_tokens=300)
    (body,) = fake_llm.requests
    assert body["reasoning_effort"] == "high" and body["max_completion_tokens"] == 300
    assert "max_tokens" not in body  # reasoning models refuse both in one request
    (cand,) = view.candidates
    assert (cand.reasoning_effort, cand.max_completion_tokens, cand.reasoning_tokens) == ("high", 300, 50)
    assert cand.tokens_out == 80  # OpenAI counts reasoning inside completion_tokens

    fake_llm.reset()
    fake_llm.add("running_max", Reply(content=P.FAST_OK, completion_tokens=10, reasoning_tokens=40))
    _, view = _run(store, fake_llm, n=1, reasoning_effort="low")
    (body,) = fake_llm.requests
    assert body["reasoning_effort"] == "low" and "max_completion_tokens" not in body and body["max_tokens"] > 0
    assert view.candidates[0].tokens_out == 50  # fewer completion than reasoning tokens: reported apart, added

    fake_llm.reset()
    fake_llm.add("running_max", P.FAST_OK)
    _, view = _run(store, fake_llm, n=1)
    (body,) = fake_llm.requests
    assert "reasoning_effort" not in body and "max_completion_tokens" not in body and body["max_tokens"] > 0
    assert view.candidates[0].reasoning_effort is None and view.candidates[0].reasoning_tokens == 0


def test_revision_requests_carry_the_reasoning_knobs(store: TaskStore, fake_llm: FakeLLM) -> None:
    fake_llm.add(REVISION, respond=_fix_if_told)
    fake_llm.add("running_max", P.PARTLY_WRONG)
    _run(store, fake_llm, n=1, strategy="revise", max_revisions=1, reasoning_effort="medium")
    assert [b.get("reasoning_effort") for b in fake_llm.requests] == ["medium", "medium"]


@pytest.mark.parametrize("fields, loc", [
    ({"strategy": "tests", "max_revisions": 2}, "max_revisions"),
    ({"strategy": "revise", "max_revisions": 17}, "max_revisions"),
    ({"strategy": "revise", "max_revisions": -1}, "max_revisions"),
    ({"reasoning_effort": "extreme"}, "reasoning_effort"),
    ({"max_completion_tokens": 0}, "max_completion_tokens"),
])
def test_bad_revision_and_reasoning_fields_are_refused_naming_the_field(fields: dict, loc: str) -> None:
    with pytest.raises(ValidationError) as err:
        P.problem(**fields)
    assert [e["loc"][0] for e in err.value.errors()] == [loc]


def test_revise_without_max_revisions_gets_the_default_rounds(store: TaskStore, fake_llm: FakeLLM) -> None:
    fake_llm.add(REVISION, "no code here")
    fake_llm.add("running_max", P.PARTLY_WRONG)
    task = create_task(P.problem(n=1, strategy="revise"), store=store)
    assert task.problem["max_revisions"] == get_settings().default_revisions
    run_task(task.id, client=make_client(base_url=fake_llm.base_url), store=store)
    assert len(_revision_requests(fake_llm)) == get_settings().default_revisions


def test_the_revision_request_holds_what_the_candidate_returned(store: TaskStore, fake_llm: FakeLLM) -> None:
    """The humaneval grader reports the actual value of a failed comparison; the fix needs it."""
    fake_llm.add(REVISION, respond=lambda body: Reply(
        content=P.FAST_OK if "(the candidate returned [0, 0, 0])" in messages_text(body) else P.PARTLY_WRONG))
    fake_llm.add("running_max", P.PARTLY_WRONG)
    _, view = _run(store, fake_llm, n=1, strategy="revise", max_revisions=1)
    assert view.winner.index == 1 and not view.no_passing_candidate


# -- without tests: the prompt's examples, then disagreement (bestofn/untested.py) -----------------------
NO_EXAMPLE_PROMPT = '''def running_max(xs: list[int]) -> list[int]:
    """Return the running maximum of xs, as running_max([-2, -1, -3]) or running_max([5, 4, 3]) would."""
'''


def test_without_tests_the_prompts_examples_give_the_feedback(store: TaskStore, fake_llm: FakeLLM) -> None:
    told = "(the candidate returned [1, 2, 3, 5])"
    fake_llm.add(REVISION, respond=lambda body: Reply(
        content=P.FAST_OK if told in messages_text(body) and "examples in the problem statement" in
        messages_text(body) else P.WRONG))
    fake_llm.add("running_max", P.WRONG)  # sorted(xs): fails the docstring's example
    outcome, view = _run(store, fake_llm, tests=None, n=1, strategy="revise", max_revisions=2)
    assert outcome.status == "done" and view.winner.index == 1
    revision = view.decision["details"]["revision"]
    assert [(r["feedback"], r["tests_passed"]) for r in revision["rounds"]] == [("examples", 1)]
    assert revision["stopped"] == "every candidate outside the largest behaviour cluster was revised already"
    assert all(c.execution is None for c in view.candidates)  # the examples' runs are not the task's executions


def test_without_tests_or_examples_disagreement_with_the_majority_is_the_feedback(store: TaskStore,
                                                                                 fake_llm: FakeLLM) -> None:
    fake_llm.add(REVISION, respond=lambda body: Reply(
        content=P.FAST_OK if "the majority's returns [-2, -1, -1]" in messages_text(body) else P.PARTLY_WRONG))
    fake_llm.add("running_max", respond=lambda body: Reply(
        content=P.PARTLY_WRONG if body["seed"] % 3 == 2 else P.FAST_OK))
    outcome, view = _run(store, fake_llm, prompt=NO_EXAMPLE_PROMPT, tests=None, n=3, strategy="revise",
                         max_revisions=3)
    assert outcome.status == "done"
    parent = next(c.index for c in view.candidates if c.round == 0 and "best = [], 0" in c.code)
    (revised,) = [c for c in view.candidates if c.round >= 1]
    assert revised.parent == parent and "best = x if best is None" in revised.code
    (sent,) = _revision_requests(fake_llm)
    assert "yours returns [0, 0, 0]" in messages_text(sent) and "2 of them agree" in messages_text(sent)
    revision = view.decision["details"]["revision"]
    assert revision["rounds"][0]["feedback"] == "disagreement"
    assert revision["stopped"] == "every candidate outside the largest behaviour cluster was revised already"
    assert view.winner.index != parent
