"""The judge against the real embedded SmolLM2 server: a 135M model's verdicts are often unusable
(or slow, on a busy machine), and the decision must survive that by falling back, every attempt recorded.

Bounded for CI: one pass (no reversed second pass), a 25 s per-call timeout and
no client retries, so at most two calls (the answer and one retry) are made."""

from __future__ import annotations

import time

import pytest

from bestofn.llm import make_client
from bestofn.localmodel import MODEL_NAME, LocalModelServer
from bestofn.rerank import decide
from bestofn.schemas import Problem
from bestofn.settings import Settings
from tests.rerank import pool as P


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_judge_on_the_local_model_decides_or_falls_back_recorded() -> None:
    started = time.monotonic()
    settings = Settings(model=MODEL_NAME, generated_inputs=0, judge_top_k=3, judge_max_tokens=96,
                        judge_max_code_chars=400, judge_twice=False, llm_timeout_s=25, llm_max_retries=0)
    cands = P.candidates(P.WRONG_UNSORTED, P.RIGHT_SET, P.WRONG_EMPTY)
    problem = Problem(prompt=P.PROMPT, entry_point=P.ENTRY, strategy="judge", model=MODEL_NAME)
    with LocalModelServer(parallel=2, ctx=8192) as srv:
        d = decide(problem, cands, {}, client=make_client(base_url=srv.base_url, settings=settings), settings=settings)
    judged = d.details.judge
    assert judged is not None and judged.model == MODEL_NAME and len(judged.shown) == 3
    assert judged.verdicts and all(v.tokens_out > 0 or v.error for v in judged.verdicts)
    assert d.winner is not None
    if judged.fell_back:
        assert d.method != "judge"
        assert d.details.chain[0].method == "judge" and "no usable verdict" in d.details.chain[0].why
        assert all(v.error for v in judged.verdicts)
    else:
        assert d.method == "judge" and d.winner in judged.shown and d.confidence == 0.6
    assert time.monotonic() - started < 90
