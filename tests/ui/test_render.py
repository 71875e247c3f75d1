"""The pages' pure helpers on plain values: the decision in words, the diff, the form's errors."""

from __future__ import annotations

from fastapi import HTTPException
from pydantic import ValidationError

from api.ui import forms
from api.ui.render import code_html, diff_html, explain, unified_diff
from bestofn.schemas import Decision, Problem
from bestofn.trace import ChainStep, DecisionTrace, JudgeTrace, JudgeVerdict


def test_the_decision_reads_as_method_reason_runner_up_confidence_chain_and_judge() -> None:
    trace = DecisionTrace(chain=[ChainStep(method="tests", outcome="tied", why="2 candidates pass 4/4"),
                                 ChainStep(method="judge", outcome="decided", why="picked 3")],
                          judge=JudgeTrace(model="judge-m", verdicts=[
                              JudgeVerdict(order=[3, 1], choice=3, reason="handles empty lists"),
                              JudgeVerdict(order=[1, 3], error="no choice in reply")]))
    decision = Decision(winner=3, method="judge", reason="the judge preferred 3", runner_up=1, confidence=0.75,
                        agreement_rate=0.5, details=trace).model_dump()
    e = explain(decision)
    assert e.headline == "Candidate 3 won by judge: the judge preferred 3"
    assert e.facts == ["Runner-up: candidate 1.", "Confidence: 75%.", "Agreement between candidates: 50%."]
    assert e.chain == ["tests: tied (2 candidates pass 4/4)", "judge: decided (picked 3)"]
    assert e.verdicts == ["Judge (judge-m) saw 3, 1: picked 3: handles empty lists",
                          "Judge (judge-m) saw 1, 3: error no choice in reply"]


def test_no_winner_and_an_old_row_without_a_trace_still_read() -> None:
    e = explain({"winner": None, "method": "none", "reason": "no candidate produced code",
                 "no_passing_candidate": True, "details": {"unknown_key": 1}})
    assert e.headline == "No winner (none): no candidate produced code"
    assert e.facts == ["No candidate passed every test."] and e.chain == [] and e.verdicts == []


def test_diff_is_difflibs_unified_diff_highlighted_and_escaped() -> None:
    a, b = "def f(x):\n    return x\n", "def f(x):\n    return x < 1 and '<b>'\n"
    assert unified_diff(a, b, "winner", "cand") == (
        "--- winner\n+++ cand\n@@ -1,2 +1,2 @@\n def f(x):\n-    return x\n+    return x < 1 and '<b>'\n")
    html = str(diff_html(a, b, "winner", "cand"))
    assert 'class="hl"' in html and "&lt;b&gt;" in html and "<b>" not in html
    assert str(diff_html(a, a, "x", "y")) == ""
    assert "&lt;script&gt;" in str(code_html("s = '<script>'"))


def test_form_errors_land_next_to_their_fields() -> None:
    body = forms.problem_body({"prompt": "p", "entry_point": " ", "n": "0", "tests.format": "pytest",
                               "tests.code": "", "strategy": "tests"})
    assert body == {"prompt": "p", "n": "0", "strategy": "tests"}  # blank optional fields are omitted
    try:
        Problem.model_validate(body)
    except ValidationError as exc:
        errors = forms.errors_from_validation(exc)
    assert list(errors) == ["n"]
    by_field, general = forms.placed({"tests": ["collects no tests"], "n": ["too many"], "model": ["unknown"],
                                      "body": ["quota full"]})
    assert by_field == {"tests.code": ["collects no tests"], "n": ["too many"]}
    assert general == ["model: unknown", "quota full"]
    assert forms.errors_from_http(HTTPException(429, "quota: wait")) == {"body": ["quota: wait"]}
    assert forms.errors_from_http(HTTPException(422, [{"loc": ["body", "tests", "code"], "msg": "too long"}])) == {
        "tests.code": ["too long"]}
