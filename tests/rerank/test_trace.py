"""The typed decision trace on plain values: old dicts read, derived figures are recomputed, the JSON
has only the sections that ran."""

from __future__ import annotations

from bestofn.schemas import Decision
from bestofn.trace import BudgetTrace, ChainStep, DecisionTrace, JudgeTrace, JudgeVerdict, LlmCall, MajorityTrace

OLD = {
    "strategy": "majority_vote",
    "chain": [{"method": "majority_vote", "outcome": "no clear majority", "why": "1 of 3"}],
    "majority_vote": {"answers": {"41": [0], "42": [1], "43": [2]}},
    "llm_calls": [{"purpose": "judge", "model": "m", "tokens_in": 10, "tokens_out": 2, "error": None}],
    "llm_usage": {"calls": 7, "tokens_in": 999, "tokens_out": 999},  # a stale figure: never trusted
    "budget": {"tier": "standard", "route": "default", "routed_tier": "standard", "reserved_usd": 0.01,
               "budget_usd": 0.5, "downgrade": None, "candidates_skipped": 0, "saved_usd_est": 0.0,
               "timed_out": False},
    "from_some_other_version": [1, 2],
}


def test_an_old_details_dict_reads_into_the_trace() -> None:
    t = DecisionTrace.model_validate(OLD)
    assert t.strategy == "majority_vote"
    assert t.chain == [ChainStep(method="majority_vote", outcome="no clear majority", why="1 of 3")]
    assert t.majority_vote == MajorityTrace(answers={"41": [0], "42": [1], "43": [2]})
    assert t.llm_calls == [LlmCall(purpose="judge", model="m", tokens_in=10, tokens_out=2)]
    assert t.budget == BudgetTrace(tier="standard", route="default", routed_tier="standard", reserved_usd=0.01,
                                   budget_usd=0.5)
    assert t.llm_usage is not None and (t.llm_usage.calls, t.llm_usage.tokens_in, t.llm_usage.tokens_out) == (1, 10, 2)
    assert t.model_extra == {"from_some_other_version": [1, 2]}  # unknown keys are kept and shown
    # the Decision validates the same dict (that is how a stored row is read)
    assert Decision(winner=1, method="judge", reason="r", details=OLD).details == t


def test_the_json_has_the_sections_that_ran_and_stores_no_calls() -> None:
    assert DecisionTrace().model_dump() == {"chain": []}
    t = DecisionTrace.model_validate(OLD)
    dumped = t.model_dump(mode="json")
    assert set(dumped) == set(OLD)
    assert dumped["llm_usage"] == {"calls": 1, "tokens_in": 10, "tokens_out": 2}
    stored = t.stored()
    assert "llm_calls" not in stored and "llm_usage" not in stored
    back = DecisionTrace.model_validate(stored)
    back.llm_calls = t.llm_calls  # as the store joins the call rows back
    assert back == t and back.model_dump(mode="json") == dumped


def test_a_call_records_its_failure_or_its_reply() -> None:
    failed = LlmCall(purpose="codet_tests", model="m", requested=6).failed(TimeoutError("x" * 500))
    assert failed.error == "TimeoutError: " + "x" * 200 and failed.tokens_in == 0

    class Reply:
        text, tokens_in, tokens_out = "nothing usable here", 30, 4

    asked = {"purpose": "generated_inputs", "model": "m", "requested": 6}
    empty = LlmCall.model_validate(asked).answered(Reply(), 0, "no valid input")  # type: ignore[arg-type]
    assert (empty.accepted, empty.tokens_in, empty.tokens_out, empty.error, empty.reply_head) == (
        0, 30, 4, "no valid input", "nothing usable here")
    ok = LlmCall.model_validate(asked).answered(Reply(), 5, "no valid input")  # type: ignore[arg-type]
    assert (ok.accepted, ok.error, ok.reply_head) == (5, None, None)


def test_a_judges_long_reason_is_quoted_whole_in_memory_and_cut_in_the_trace() -> None:
    verdict = JudgeVerdict(order=[1, 0], choice=0, reason="because " * 100)
    shown = JudgeTrace(verdicts=[verdict]).model_dump()["verdicts"][0]["reason"]
    assert len(verdict.reason) == 800 and shown == verdict.reason[:300]
