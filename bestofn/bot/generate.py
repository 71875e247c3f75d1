"""Ask the model for N candidate patches: one request each, seed ``base + i``, concurrently.

An endpoint failure becomes the candidate's ``error`` (the others go on); the
reply is kept raw here and turned into a diff later, against the repository.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import openai

from bestofn.llm import chat, cost_usd
from bestofn.schemas import Candidate
from bestofn.settings import Settings


def llm_error(exc: openai.OpenAIError) -> str:
    """A short, secret-free description of an endpoint failure."""
    if isinstance(exc, openai.APITimeoutError):
        return "llm_timeout: the endpoint did not answer in time"
    if isinstance(exc, openai.APIStatusError):
        return f"llm_error: HTTP {exc.status_code}"
    return f"llm_unreachable: {exc.__class__.__name__}"


def ask_one(client: openai.OpenAI, messages: list[dict[str, str]], index: int, *, model: str,
            temperature: float, max_tokens: int, seed: int, settings: Settings) -> Candidate:
    """One candidate's raw reply (``code`` is filled later with the canonical diff)."""
    try:
        reply = chat(client, model, messages, temperature=temperature, max_tokens=max_tokens, seed=seed)
    except openai.OpenAIError as exc:
        return Candidate(index=index, seed=seed, error=llm_error(exc))
    return Candidate(
        index=index, raw=reply.text, seed=seed, tokens_in=reply.tokens_in, tokens_out=reply.tokens_out,
        latency_ms=reply.latency_ms, cost_usd=cost_usd(model, reply.tokens_in, reply.tokens_out, settings),
    )


def ask_many(client: openai.OpenAI, messages: list[dict[str, str]], n: int, *, model: str, temperature: float,
             max_tokens: int, seed_base: int, settings: Settings) -> list[Candidate]:
    """``n`` candidates in index order, at most ``settings.llm_concurrency`` requests at a time."""
    if n <= 0:
        return []

    def one(i: int) -> Candidate:
        return ask_one(client, messages, i, model=model, temperature=temperature, max_tokens=max_tokens,
                       seed=seed_base + i, settings=settings)

    with ThreadPoolExecutor(max_workers=max(1, min(settings.llm_concurrency, n))) as pool:
        return list(pool.map(one, range(n)))
