"""The one place that builds the OpenAI-compatible client and makes a chat call.

Everything else takes the client as an argument, so tests hand in one pointed
at the project's local test server and production hands in the configured one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bestofn.schemas import storable
from bestofn.settings import Settings, get_settings

if TYPE_CHECKING:  # openai takes ~0.5 s to import; code that calls the endpoint imports it there
    import openai


def make_client(settings: Settings | None = None, base_url: str | None = None) -> openai.OpenAI:
    """An ``openai.OpenAI`` client for the configured (or given) endpoint."""
    s = settings or get_settings()
    url = base_url or s.openai_base_url
    if not url:
        raise ValueError("no LLM endpoint: set OPENAI_BASE_URL (or use the embedded demo model)")
    import openai  # here, not at the top: commands that never call a model skip its ~0.5 s import

    return openai.OpenAI(
        base_url=url,
        api_key=s.openai_api_key.get_secret_value() or "sk-local",
        timeout=s.llm_timeout_s,
        max_retries=s.llm_max_retries,
    )


@dataclass(frozen=True)
class ChatReply:
    """One completion: its text and what it cost in tokens and time."""

    text: str
    tokens_in: int
    tokens_out: int
    latency_ms: float
    finish_reason: str | None
    reasoning_tokens: int = 0


def chat(
    client: openai.OpenAI,
    model: str,
    messages: list[dict[str, str]],
    *,
    temperature: float = 0.0,
    max_tokens: int = 512,
    seed: int | None = None,
    json_mode: bool = False,
    reasoning_effort: str | None = None,
    max_completion_tokens: int | None = None,
) -> ChatReply:
    """One chat completion (n=1: llama.cpp's server rejects n>1, so callers fan out).

    ``reasoning_effort`` and ``max_completion_tokens`` are sent under the OpenAI API's names
    only when set; ``max_completion_tokens`` replaces ``max_tokens`` (reasoning models refuse
    both in one request). Raises the ``openai`` errors on failure; callers decide whether a
    failure is fatal (it rarely is: a missing candidate is recorded, not raised).
    """
    extra: dict = {}
    if seed is not None:
        extra["seed"] = seed
    if json_mode:
        extra["response_format"] = {"type": "json_object"}
    if reasoning_effort is not None:
        extra["reasoning_effort"] = reasoning_effort
    if max_completion_tokens is not None:
        extra["max_completion_tokens"] = max_completion_tokens
    else:
        extra["max_tokens"] = max_tokens
    started = time.perf_counter()
    resp = client.chat.completions.create(
        model=model,
        messages=messages,  # type: ignore[arg-type]
        temperature=temperature,
        n=1,
        **extra,
    )
    latency_ms = (time.perf_counter() - started) * 1000
    choice = resp.choices[0] if resp.choices else None
    text = storable(choice.message.content or "") if choice else ""  # a NUL or lone surrogate must not fail a write
    usage = resp.usage
    reasoning = reasoning_tokens(usage)
    completion = usage.completion_tokens if usage else 0
    return ChatReply(
        text=text,
        tokens_in=usage.prompt_tokens if usage else 0,
        # OpenAI counts reasoning inside completion_tokens; a server reporting fewer completion
        # tokens than reasoning ones clearly counted them apart, so they are added
        tokens_out=completion if completion >= reasoning else completion + reasoning,
        latency_ms=latency_ms,
        finish_reason=choice.finish_reason if choice else None,
        reasoning_tokens=reasoning,
    )


def reasoning_tokens(usage: object) -> int:
    """``usage.completion_tokens_details.reasoning_tokens`` when the endpoint reports it, else 0."""
    details = getattr(usage, "completion_tokens_details", None)
    value = getattr(details, "reasoning_tokens", None)
    return value if isinstance(value, int) and value > 0 else 0


def cost_usd(model: str, tokens_in: int, tokens_out: int, settings: Settings | None = None) -> float:
    """Spend for one call from the per-model price table (USD per 1M tokens); 0 if unpriced."""
    table = (settings or get_settings()).price_table
    price_in, price_out = table.get(model, (0.0, 0.0))
    return (tokens_in * price_in + tokens_out * price_out) / 1_000_000
