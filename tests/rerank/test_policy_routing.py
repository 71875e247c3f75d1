"""Policy routing on fake execution results and a stand-in behaviour table (no Docker, no LLM).

The stand-in runner returns fingerprints from a table keyed by code, so these
tests pin the routing (which method decides, when the baton passes, what is
recorded); the real sandbox and HTTP LLM are exercised in test_integration.py.
"""

from __future__ import annotations

from bestofn.rerank.policy import decide_with
from bestofn.rerank.steps import Context
from bestofn.schemas import Candidate, ExecutionResult, Problem, TestSuite
from bestofn.settings import Settings
from bestofn.trace import ChainStep

PROMPT = "def sq(x):\n    '''Square x.\n    >>> sq(2)\n    4\n    >>> sq(3)\n    9\n    '''\n"
NO_EXAMPLES = "def sq(x):\n    '''Square x.'''\n"
CHECK = TestSuite(format="humaneval", code="def check(candidate):\n    assert candidate(2) == 4\n")
SETTINGS = Settings(generated_inputs=0, mutated_inputs=0, self_consistency_min_agreement=0.5)


class TableRunner:
    """Stand-in for sandbox.run_inputs: fingerprints from a table; records its calls."""

    def __init__(self, table: dict[str, dict[str, str]]) -> None:
        self.table, self.calls = table, 0

    def __call__(self, codes, inputs, entry_point, *, io=False, limits=None):  # noqa: ANN001
        self.calls += 1
        return [[self.table[c].get(i, "exc:ValueError") for i in inputs] for c in codes]


RIGHT = {"(2,)": "ok:4", "(3,)": "ok:9"}
TABLE = {"right_a": RIGHT, "right_b": RIGHT, "right_c": RIGHT, "plus": {"(2,)": "ok:4", "(3,)": "ok:5"},
         "double": {"(2,)": "ok:4", "(3,)": "ok:6"}, "crash": {}}


def _cands(*codes: str) -> list[Candidate]:
    return [Candidate(index=i, code=c) for i, c in enumerate(codes)]


def _passed(n: int, of: int, ms: float) -> ExecutionResult:
    return ExecutionResult(status="passed" if n == of else "failed", all_passed=n == of, tests_passed=n,
                           tests_total=of, runtime_ms=ms)


def _ctx(problem: Problem, cands: list[Candidate], results: dict, runner: TableRunner | None = None,
         settings: Settings = SETTINGS) -> Context:
    return Context(problem, cands, results, settings, None, runner or TableRunner(TABLE), None)


def test_a_unique_top_on_tests_decides_without_running_anything_more() -> None:
    runner = TableRunner(TABLE)
    ctx = _ctx(Problem(prompt=PROMPT, entry_point="sq", tests=CHECK), _cands("plus", "right_a"),
               {0: _passed(0, 1, 5), 1: _passed(1, 1, 9)}, runner)
    d = decide_with(ctx)
    assert (d.method, d.winner, d.runner_up, d.confidence) == ("tests", 1, 0, 1.0)
    assert [c.outcome for c in d.details.chain] == ["decided"] and runner.calls == 0


def test_ties_on_tests_that_behave_identically_are_broken_by_runtime() -> None:
    ctx = _ctx(Problem(prompt=PROMPT, entry_point="sq", tests=CHECK), _cands("right_a", "right_b"),
               {0: _passed(1, 1, 9), 1: _passed(1, 1, 5)})
    d = decide_with(ctx)
    assert (d.method, d.winner, d.agreement_rate) == ("tests", 1, 1.0)
    assert "behave identically on 2 inputs" in d.reason


def test_ties_on_tests_that_behave_differently_go_to_self_consistency() -> None:
    cands = _cands("plus", "right_a", "right_b", "double")
    ctx = _ctx(Problem(prompt=PROMPT, entry_point="sq", tests=CHECK), cands,
               {i: _passed(1, 1, 10 - i) for i in range(4)})
    d = decide_with(ctx)
    assert (d.method, d.winner, d.runner_up) == ("self_consistency", 2, 3)
    assert d.agreement_rate == 1.0  # only the two that reproduce sq(3) == 9 vote
    assert [c.method for c in d.details.chain] == ["tests", "self_consistency"]
    assert d.ranking[0].index == 2 and d.ranking[0].score["cluster_size"] == 2
    assert d.details.self_consistency.clusters[0].members == [2, 1]


def test_without_tests_a_clear_majority_decides() -> None:
    cands = _cands("plus", "right_a", "right_b", "right_c", "crash")
    d = decide_with(_ctx(Problem(prompt=NO_EXAMPLES + "# try sq(2) and sq(3)\n", entry_point="sq"), cands, {}))
    assert (d.method, d.winner, d.agreement_rate) == ("self_consistency", 1, 0.6)
    assert d.no_passing_candidate is False
    assert d.details.chain[0] == ChainStep(method="tests", outcome="skipped", why="the task has no tests")


def test_no_clear_majority_and_no_client_keeps_the_largest_cluster_with_low_confidence() -> None:
    settings = Settings(generated_inputs=0, mutated_inputs=0, self_consistency_min_agreement=0.9)
    prompt = "def sq(x):\n    '''e.g. sq(3) == 9'''\n"
    cands = _cands("plus", "right_a", "right_b", "double")
    d = decide_with(_ctx(Problem(prompt=prompt.replace("== 9", ""), entry_point="sq"), cands, {}, settings=settings))
    assert (d.method, d.winner) == ("self_consistency", 1)
    assert d.agreement_rate == 0.5 and d.confidence == 0.25
    assert "judge skipped: no LLM client" in d.reason and "low confidence" in d.reason
    assert [c.method for c in d.details.chain] == ["tests", "self_consistency", "judge"]


def test_nothing_to_compare_on_and_no_client_keeps_the_first_candidate_and_says_so() -> None:
    d = decide_with(_ctx(Problem(prompt=NO_EXAMPLES, entry_point="sq"), _cands("plus", "right_a"), {}))
    assert (d.method, d.winner) == ("single", 0)
    assert "no probe inputs" in d.reason and "no LLM client" in d.reason


def test_explicit_strategies() -> None:
    cands = _cands("plus", "right_a", "right_b")
    results = {0: _passed(1, 1, 1), 1: _passed(1, 1, 2), 2: _passed(1, 1, 3)}
    tests = decide_with(_ctx(Problem(prompt=PROMPT, entry_point="sq", tests=CHECK, strategy="tests"), cands, results))
    assert (tests.method, tests.winner) == ("tests", 0)
    sc = decide_with(_ctx(Problem(prompt=PROMPT, entry_point="sq", tests=CHECK, strategy="self_consistency"),
                          cands, results))
    assert (sc.method, sc.winner) == ("self_consistency", 1)
    single = decide_with(_ctx(Problem(prompt=PROMPT, entry_point="sq", strategy="single"), cands, {}))
    assert (single.method, single.winner) == ("single", 0)
    codet = decide_with(_ctx(Problem(prompt=PROMPT, entry_point="sq", tests=CHECK, strategy="codet"), cands, results))
    assert codet.details.chain[0].method == "codet" and "falling back" in codet.details.chain[0].why
    assert codet.method == "self_consistency" and codet.winner == 1


def test_no_usable_candidate_and_a_lone_candidate() -> None:
    none = decide_with(_ctx(Problem(prompt=PROMPT), [Candidate(index=0, error="llm_timeout: x")], {}))
    assert (none.method, none.winner, none.no_passing_candidate) == ("none", None, True)
    one = decide_with(_ctx(Problem(prompt=PROMPT), [Candidate(index=0, code="x = 1"), Candidate(index=1)], {}))
    assert (one.method, one.winner) == ("single", 0)


def test_value_tasks_vote_on_final_answers() -> None:
    cands = [Candidate(index=i, raw=r, error="no_code: prose") for i, r in
             enumerate(["It is 42.", "answer: 41", "\\boxed{42}", "The answer is 42.0"])]
    d = decide_with(_ctx(Problem(prompt="What is 6*7?"), cands, {}))
    assert (d.method, d.winner, d.agreement_rate) == ("majority_vote", 0, 0.75)
    split = [Candidate(index=i, raw=r) for i, r in enumerate(["1", "2", "3"])]
    low = decide_with(_ctx(Problem(prompt="Pick", strategy="majority_vote"), split, {}))
    assert low.method == "majority_vote" and low.winner == 0 and "low confidence" in low.reason


def test_a_failing_sandbox_is_recorded_and_the_chain_goes_on() -> None:
    def broken(*a, **k):  # noqa: ANN002, ANN003
        raise RuntimeError("engine gone")
    ctx = Context(Problem(prompt=PROMPT, entry_point="sq"), _cands("plus", "right_a"), {}, SETTINGS, None, broken, None)
    d = decide_with(ctx)
    assert d.winner == 0 and any("engine gone" in c.why for c in d.details.chain)


def test_same_inputs_same_decision() -> None:
    def run() -> dict:
        cands = _cands("plus", "right_a", "right_b", "double", "crash")
        return decide_with(_ctx(Problem(prompt=PROMPT, entry_point="sq"), cands, {})).model_dump()
    assert run() == run()


def test_strategy_tests_without_tests_falls_back_to_auto() -> None:
    cands = _cands("plus", "right_a", "right_b")
    d = decide_with(_ctx(Problem(prompt=PROMPT, entry_point="sq", strategy="tests"), cands, {}))
    assert (d.method, d.winner) == ("self_consistency", 1)
    assert d.details.chain[0].method == "tests" and "no tests" in d.details.chain[0].why
