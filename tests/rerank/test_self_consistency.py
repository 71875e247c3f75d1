"""Clustering behaviour vectors and choosing a cluster (pure, on fingerprints)."""

from __future__ import annotations

from bestofn.rerank.inputs import ProbeInput
from bestofn.rerank.self_consistency import abstainers, canonical, choose, cluster, matches_expected

INPUTS = [ProbeInput("(1,)"), ProbeInput("(2,)"), ProbeInput("(3,)")]


def test_float_noise_does_not_split_clusters() -> None:
    assert canonical("ok:0.30000000000000004") == canonical("ok:0.3")
    assert canonical("ok:[0.1, (2.0000000001, 'a')]") == "ok:[0.1, (2.0, 'a')]"
    assert canonical("exc:ValueError") == "exc:ValueError"
    assert canonical("ok:<object at 0x1>") == "ok:<object at 0x1>"


def test_expected_values_match_by_value_with_number_tolerance() -> None:
    assert matches_expected("ok:16", "16.0")
    assert matches_expected("ok:[1, 2]", "[1, 2]")
    assert not matches_expected("ok:(1, 2)", "[1, 2]")
    assert not matches_expected("ok:1", "True")
    assert not matches_expected("exc:TypeError", "1")
    assert not matches_expected("ok:1", None)


def test_largest_cluster_wins_and_its_members_keep_the_tests_order() -> None:
    fps = {0: ["ok:1", "ok:2", "ok:3"], 1: ["ok:1", "ok:2", "ok:4"], 2: ["ok:1", "ok:2", "ok:3"],
           3: ["ok:1", "ok:2", "ok:3"], 4: ["ok:9", "ok:9", "ok:9"]}
    clusters = cluster(fps, order=[3, 1, 0, 2, 4], inputs=INPUTS)
    assert [c.members for c in clusters] == [[3, 0, 2], [1], [4]]
    sc = choose(clusters, INPUTS)
    assert sc.winner == 3 and sc.runner_up == 1
    assert sc.agreement_rate == 0.6 and sc.confidence == 0.6 and sc.voters == 5
    assert "3 of 5" in sc.reason


def test_all_exception_clusters_lose_to_any_cluster_that_returns_values() -> None:
    fps = {0: ["exc:NameError"] * 3, 1: ["exc:NameError"] * 3, 2: ["ok:1", "timeout", "ok:3"]}
    clusters = cluster(fps, order=[0, 1, 2], inputs=INPUTS)
    assert clusters[0].members == [2] and clusters[1].all_failed
    only_failing = choose(cluster({0: ["timeout"] * 3, 1: ["timeout"] * 3}, [0, 1], INPUTS), INPUTS)
    assert only_failing.winner == 0 and only_failing.confidence == 0.0


def test_prompt_examples_filter_before_size_and_limit_the_voters() -> None:
    inputs = [ProbeInput("(1,)", "2"), ProbeInput("(2,)")]
    fps = {0: ["ok:0", "ok:0"], 1: ["ok:0", "ok:0"], 2: ["ok:0", "ok:0"], 3: ["ok:2", "ok:4"], 4: ["ok:2", "ok:5"]}
    sc = choose(cluster(fps, [0, 1, 2, 3, 4], inputs), inputs)
    assert sc.winner == 3 and sc.voters == 2 and sc.agreement_rate == 0.5
    assert sc.confidence == 0.25  # tied with candidate 4's cluster: halved
    assert "1/1 of the prompt's examples" in sc.reason and "tie" in sc.reason


def test_no_inputs_means_no_decision() -> None:
    sc = choose([], [])
    assert sc.winner is None and sc.agreement_rate is None and "no probe inputs" in sc.reason


def test_examples_compare_integers_exactly_at_any_size() -> None:
    """A candidate printing a huge int must not crash the comparison, and 1000001 is not 1000000."""
    huge = str(10**400)
    assert matches_expected("ok:" + huge, huge)
    assert not matches_expected("ok:" + huge, "1.5")
    assert not matches_expected("ok:1000001", "1000000")
    assert matches_expected("ok:0.30000000000000004", "0.3")
    assert matches_expected("ok:[1, 2.0000000001]", "[1, 2.0]")


def test_a_candidate_that_timed_out_where_others_answered_neither_forms_nor_joins_a_cluster() -> None:
    # 0, 1, 2 agree; 3 timed out on input 1 (a loaded machine) and 4 on inputs 1 and 2: no answer, not a behaviour.
    fps = {0: ["ok:1", "ok:2", "ok:3"], 1: ["ok:1", "ok:2", "ok:3"], 2: ["ok:1", "ok:2", "ok:3"],
           3: ["ok:1", "timeout", "ok:3"], 4: ["ok:1", "timeout", "timeout"]}
    assert abstainers(fps) == {3, 4}
    clusters = cluster(fps, order=[3, 4, 0, 1, 2], inputs=INPUTS)
    assert [c.members for c in clusters] == [[0, 1, 2]]
    sc = choose(clusters, INPUTS, sorted(abstainers(fps)))
    assert sc.winner == 0 and sc.voters == 3 and sc.agreement_rate == 1.0 and sc.abstained == [3, 4]
    assert "2 candidates timed out where others returned values and did not vote" in sc.reason
    # Two candidates timing out on the same input do not cluster on it either.
    twins = {0: ["ok:1", "ok:2", "ok:3"], 1: ["ok:1", "timeout", "ok:3"], 2: ["ok:1", "timeout", "ok:3"]}
    assert [c.members for c in cluster(twins, [1, 2, 0], INPUTS)] == [[0]]


def test_a_timeout_where_no_one_returned_a_value_hides_nothing() -> None:
    # Every candidate timed out on input 1: it splits no one.
    fps = {0: ["ok:1", "timeout", "ok:3"], 1: ["ok:1", "timeout", "ok:3"], 2: ["ok:5", "timeout", "ok:6"]}
    assert abstainers(fps) == set()
    assert [c.members for c in cluster(fps, [0, 1, 2], INPUTS)] == [[0, 1], [2]]
    # Correct but slow solutions time out on a large input on which the wrong ones crash at once:
    # they keep their cluster and still beat the crashing ones (HumanEval/39's mutated inputs).
    slow = {0: ["exc:SystemExit"] * 3, 1: ["ok:2", "timeout", "ok:5"], 2: ["ok:2", "timeout", "ok:5"],
            3: ["exc:SyntaxError"] * 3}
    assert abstainers(slow) == set()
    assert choose(cluster(slow, [0, 1, 2, 3], INPUTS), INPUTS).winner == 1


def test_everyone_abstaining_is_no_decision_and_says_why() -> None:  # each hides a value the other returned
    fps = {0: ["ok:1", "timeout", "ok:3"], 1: ["ok:1", "ok:2", "timeout"]}
    sc = choose(cluster(fps, [0, 1], INPUTS), INPUTS, sorted(abstainers(fps)))
    assert sc.winner is None and sc.abstained == [0, 1] and "a timeout is no answer" in sc.reason
