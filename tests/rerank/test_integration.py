"""Each strategy end to end: the real Docker sandbox and the scripted HTTP LLM through the real client."""

from __future__ import annotations

import json

import pytest

from bestofn.llm import make_client
from bestofn.rerank import decide
from bestofn.schemas import Candidate, Problem
from bestofn.settings import Settings
from bestofn.testing.fake_llm import FakeLLM, Reply
from sandbox import SandboxConfig, run_many
from tests.rerank import pool as P

SETTINGS = Settings(generated_inputs=6, generate_inputs_below=100, codet_tests=6, self_consistency_min_agreement=0.5,
                    judge_top_k=4)
MIXED = (P.WRONG_UNSORTED, P.RIGHT_SET, P.WRONG_EMPTY, P.RIGHT_LOOP, P.WRONG_ADJACENT, P.RIGHT_DICT)


def _script(fake: FakeLLM, judge_pick: str | frozenset[str] | None = frozenset(P.RIGHT)) -> None:
    fake.add("You write test inputs", P.GENERATED_INPUTS)
    fake.add("You write unit tests", P.GENERATED_TESTS)
    if judge_pick is not None:
        fake.add("strict code reviewer", respond=_judge_picking(judge_pick))


def _judge_picking(codes: str | frozenset[str]):
    """A scripted judge that names the label of the first shown candidate among ``codes``."""
    wanted = {codes} if isinstance(codes, str) else codes

    def respond(body: dict) -> Reply:
        text = next(m["content"] for m in body["messages"] if m["role"] == "user")
        for block in text.split("Candidate ")[1:]:
            if any(code.strip() in block for code in wanted):
                return Reply(json.dumps({"choice": block[0], "reason": "handles duplicates and order"}))
        return Reply('{"choice": "?"}')
    return respond


@pytest.mark.parametrize("strategy", ["self_consistency", "codet", "judge"])
def test_each_strategy_picks_a_correct_candidate(fake_llm: FakeLLM, strategy: str) -> None:
    _script(fake_llm)
    cands = P.candidates(*MIXED)
    problem = Problem(prompt=P.PROMPT, entry_point=P.ENTRY, strategy=strategy)
    d = decide(problem, cands, {}, client=make_client(base_url=fake_llm.base_url), settings=SETTINGS)
    trace = d.details
    assert d.method == strategy, trace.chain
    assert P.right(cands, d.winner), d
    assert d.reason and d.confidence is not None
    assert trace.strategy == strategy
    if strategy == "self_consistency":
        assert trace.self_consistency is not None and trace.self_consistency.n_clusters >= 2
        assert sorted(trace.self_consistency.clusters[0].members) == [1, 3, 5]
        assert trace.self_consistency.voters == 5  # the sixth contradicts the doctest and does not vote
        assert [c.purpose for c in trace.llm_calls] == ["generated_inputs"]
        assert trace.llm_calls[0].accepted == 5 and trace.llm_calls[0].requested == SETTINGS.generated_inputs
        assert trace.probe_inputs is not None and trace.probe_inputs.by_source["generated"] == 5
    if strategy == "codet":
        assert trace.codet is not None
        groups = trace.codet.groups
        assert sorted(groups[0].members) == [1, 3, 5] and groups[0].tests_passed == [0, 1, 2]
        assert [c.purpose for c in trace.llm_calls] == ["codet_tests"]
        assert trace.llm_calls[0].accepted == len(trace.codet.generated_tests) == 4
    if strategy == "judge":
        assert trace.judge is not None and trace.judge.model == SETTINGS.model
        assert trace.judge.verdicts[0].choice == d.winner
        assert len(trace.judge.shown) >= 2
        assert [c.purpose for c in trace.llm_calls][0] == "generated_inputs"  # the clusters shown to the judge
        judged = [c for c in trace.llm_calls if c.purpose == "judge"]
        assert len(judged) == len(trace.judge.verdicts)
        assert [(c.tokens_in, c.tokens_out) for c in judged] == [(v.tokens_in, v.tokens_out)
                                                                  for v in trace.judge.verdicts]
    assert all(c.model == SETTINGS.model and c.tokens_in > 0 and c.tokens_out > 0 for c in trace.llm_calls)
    assert trace.llm_usage is not None and trace.llm_usage.calls == len(trace.llm_calls)
    assert trace.llm_usage.tokens_in == sum(c.tokens_in for c in trace.llm_calls)


def test_auto_with_weak_tests_escalates_to_self_consistency_and_records_why(fake_llm: FakeLLM,
                                                                            sandbox_config: SandboxConfig) -> None:
    _script(fake_llm)
    cands = P.candidates(*MIXED)
    problem = Problem(prompt=P.PROMPT, entry_point=P.ENTRY, tests=P.WEAK_CHECK)
    runs = run_many([c.code for c in cands], P.WEAK_CHECK, P.ENTRY, config=sandbox_config)
    results = {c.index: r for c, r in zip(cands, runs)}
    assert all(r.status == "passed" for r in runs)  # the tests cannot tell them apart
    d = decide(problem, cands, results, client=make_client(base_url=fake_llm.base_url), settings=SETTINGS)
    assert d.method == "self_consistency"
    assert P.right(cands, d.winner) and d.runner_up is not None and not P.right(cands, d.runner_up)
    assert d.agreement_rate == 0.6 and d.confidence == 0.6  # 3 of the 5 that reproduce the doctest
    assert [c.method for c in d.details.chain] == ["tests", "self_consistency"]
    assert d.details.chain[0].outcome == "tied"
    assert d.details.probe_inputs is not None
    by_source = d.details.probe_inputs.by_source
    assert (by_source["prompt"], by_source["tests"], by_source["generated"]) == (1, 1, 5) and by_source["mutated"] > 0
    assert d.details.llm_usage is not None
    assert d.details.llm_usage.calls == 1 and d.details.llm_usage.tokens_out > 0
    assert d.ranking[0].index == d.winner and d.ranking[0].score["cluster_size"] == 3
    assert not d.no_passing_candidate


def test_auto_without_majority_goes_to_the_judge(fake_llm: FakeLLM) -> None:
    _script(fake_llm, judge_pick=P.RIGHT_SET)
    cands = P.candidates(P.WRONG_UNSORTED, P.WRONG_EMPTY, P.RIGHT_SET, P.WRONG_ADJACENT)
    problem = Problem(prompt=P.PROMPT, entry_point=P.ENTRY)
    d = decide(problem, cands, {}, client=make_client(base_url=fake_llm.base_url), settings=SETTINGS)
    assert (d.method, d.winner) == ("judge", 2)
    assert d.confidence == 0.9 and d.agreement_rate == 0.3333  # 1 of 3 voters
    assert [c.method for c in d.details.chain] == ["tests", "self_consistency", "judge"]
    assert d.details.judge is not None and [a.choice for a in d.details.judge.verdicts] == [2, 2]


def test_auto_with_an_unusable_judge_falls_back_and_records_it(fake_llm: FakeLLM) -> None:
    _script(fake_llm, judge_pick=None)
    fake_llm.add("strict code reviewer", Reply("Candidate A looks best to me!"))
    cands = P.candidates(P.WRONG_UNSORTED, P.WRONG_EMPTY, P.RIGHT_SET, P.WRONG_ADJACENT)
    problem = Problem(prompt=P.PROMPT, entry_point=P.ENTRY)
    d = decide(problem, cands, {}, client=make_client(base_url=fake_llm.base_url), settings=SETTINGS)
    assert d.method == "self_consistency" and d.winner is not None
    assert "fell back" in d.reason and "low confidence" in d.reason
    assert d.details.judge is not None and d.details.judge.fell_back is True
    assert len(d.details.judge.verdicts) == 4  # two passes, each with one retry
    assert all(v.error for v in d.details.judge.verdicts)
    assert (d.details.chain[-1].method, d.details.chain[-1].outcome) == ("judge", "no decision")
    assert [c.purpose for c in d.details.llm_calls].count("judge") == 4


def test_no_client_skips_llm_steps_and_says_so() -> None:
    cands = P.candidates(*MIXED)
    d = decide(Problem(prompt=P.PROMPT, entry_point=P.ENTRY), cands, {}, client=None, settings=SETTINGS)
    assert d.method == "self_consistency" and d.winner is not None
    assert any(c.method == "generated_inputs" and c.outcome == "skipped" for c in d.details.chain)
    assert d.details.probe_inputs is not None and d.details.probe_inputs.by_source["generated"] == 0
    assert d.details.llm_calls == [] and d.details.llm_usage is None


def test_same_inputs_same_decision(fake_llm: FakeLLM) -> None:
    _script(fake_llm)
    cands = P.candidates(*MIXED)
    client = make_client(base_url=fake_llm.base_url)
    problem = Problem(prompt=P.PROMPT, entry_point=P.ENTRY, strategy="judge")
    first = decide(problem, cands, {}, client=client, settings=SETTINGS).model_dump()
    assert decide(problem, cands, {}, client=client, settings=SETTINGS).model_dump() == first


def test_enough_known_inputs_means_no_llm_call_for_inputs(fake_llm: FakeLLM) -> None:
    _script(fake_llm)
    cands = P.candidates(*MIXED)
    settings = SETTINGS.model_copy(update={"generate_inputs_below": 4})
    d = decide(Problem(prompt=P.PROMPT, entry_point=P.ENTRY), cands, {}, client=make_client(base_url=fake_llm.base_url),
               settings=settings)
    assert d.details.probe_inputs is not None
    assert d.details.probe_inputs.by_source["generated"] == 0 and d.details.probe_inputs.count >= 4
    assert not [r for r in fake_llm.requests if "test inputs" in json.dumps(r)]


def test_an_explicit_judge_that_falls_back_is_not_asked_again_by_the_auto_chain(fake_llm: FakeLLM) -> None:
    _script(fake_llm, judge_pick=None)
    fake_llm.add("strict code reviewer", Reply("no idea"))
    cands = P.candidates(P.WRONG_UNSORTED, P.WRONG_EMPTY, P.RIGHT_SET, P.WRONG_ADJACENT)
    problem = Problem(prompt=P.PROMPT, entry_point=P.ENTRY, strategy="judge")
    d = decide(problem, cands, {}, client=make_client(base_url=fake_llm.base_url), settings=SETTINGS)
    assert d.method == "self_consistency" and d.details.chain[0].method == "judge"
    assert sum("strict code reviewer" in json.dumps(r) for r in fake_llm.requests) == 4


def test_majority_vote_without_a_majority_asks_the_judge_among_the_answers(fake_llm: FakeLLM) -> None:
    fake_llm.add("strict code reviewer", respond=_judge_picking("The answer is 42"))
    cands = [Candidate(index=i, raw=r) for i, r in enumerate(["answer: 41", "The answer is 42", "\\boxed{43}"])]
    problem = Problem(prompt="What is 6 * 7?", strategy="majority_vote")
    d = decide(problem, cands, {}, client=make_client(base_url=fake_llm.base_url), settings=SETTINGS)
    assert (d.method, d.winner) == ("judge", 1)
    assert d.agreement_rate == round(1 / 3, 4)
    assert d.details.chain[0].outcome == "no clear majority"
    assert d.details.majority_vote is not None
    assert d.details.majority_vote.answers == {"41": [0], "42": [1], "43": [2]}
    assert d.details.judge is not None and d.details.judge.shown == [0, 1, 2]
    assert [c.purpose for c in d.details.llm_calls] == ["judge"] * len(d.details.judge.verdicts)
