"""Step 1: generate N candidates concurrently through an OpenAI-compatible client.

One request per candidate (llama.cpp's server rejects n>1), each with its own
seed ``seed_base + index`` so a rerun asks for the same samples. A failed or
empty request is recorded on the candidate, never raised: the task goes on
with the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import openai

from bestofn.extract import complete_program, extract_code
from bestofn.llm import chat, cost_usd
from bestofn.prompts import solve_messages
from bestofn.schemas import Candidate, Problem
from bestofn.settings import Settings, get_settings


def generate_one(
    client: openai.OpenAI,
    problem: Problem,
    index: int,
    *,
    model: str,
    temperature: float,
    max_tokens: int,
    seed: int,
    settings: Settings,
) -> Candidate:
    """Ask for one candidate; any endpoint failure becomes ``Candidate.error``."""
    io_program = problem.tests is not None and problem.tests.format == "io"
    messages = solve_messages(problem.prompt, problem.entry_point, io_program=io_program)
    try:
        reply = chat(client, model, messages, temperature=temperature, max_tokens=max_tokens, seed=seed)
    except openai.APITimeoutError:
        return Candidate(index=index, seed=seed, error="llm_timeout: the endpoint did not answer in time")
    except openai.APIStatusError as exc:
        return Candidate(index=index, seed=seed, error=f"llm_error: HTTP {exc.status_code}")
    except openai.APIConnectionError as exc:
        return Candidate(index=index, seed=seed, error=f"llm_unreachable: {exc.__class__.__name__}")
    code = extract_code(reply.text, problem.entry_point)
    if code:
        code = complete_program(problem.prompt, code, problem.entry_point)
    return Candidate(
        index=index,
        code=code,
        raw=reply.text,
        tokens_in=reply.tokens_in,
        tokens_out=reply.tokens_out,
        latency_ms=reply.latency_ms,
        cost_usd=cost_usd(model, reply.tokens_in, reply.tokens_out, settings),
        seed=seed,
        error=None if code else "no_code: the reply held no Python code",
    )


def generate_candidates(
    client: openai.OpenAI,
    problem: Problem,
    indices: Iterable[int],
    *,
    model: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    seed_base: int | None = None,
    on_candidate: Callable[[Candidate], None] | None = None,
    settings: Settings | None = None,
) -> list[Candidate]:
    """Generate the candidates with the given indices concurrently, in index order.

    ``on_candidate`` is called as each arrives (from pool threads), so the
    caller can store it at once.
    """
    s = settings or get_settings()
    model = model or problem.model or s.model
    temperature = problem.temperature if temperature is None else temperature
    max_tokens = max_tokens or problem.max_tokens or s.llm_max_tokens
    base = s.seed if seed_base is None else seed_base
    wanted = list(indices)
    if not wanted:
        return []

    def one(i: int) -> Candidate:
        cand = generate_one(client, problem, i, model=model, temperature=temperature, max_tokens=max_tokens, seed=base + i, settings=s)
        if on_candidate is not None:
            on_candidate(cand)
        return cand

    with ThreadPoolExecutor(max_workers=max(1, min(s.llm_concurrency, len(wanted)))) as pool:
        return list(pool.map(one, wanted))
