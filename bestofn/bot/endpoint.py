"""The bot's LLM endpoint: the configured one, or the bundled demo model, as ``bestofn solve`` does.

Why: with no ``OPENAI_BASE_URL`` the bot used to stop at "no LLM endpoint"
although the project ships a local model. It now starts that model on
127.0.0.1 for the run (saying so) and stops it afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Console

from bestofn.llm import make_client
from bestofn.settings import Settings

if TYPE_CHECKING:  # openai takes ~0.5 s to import; code that calls the endpoint imports it there
    import openai

DEMO_MODEL_TRAINED_CTX = 8192  # SmolLM2's training context: no point in a larger slot


@dataclass(frozen=True)
class Endpoint:
    client: openai.OpenAI
    model: str | None  # the model to ask for; None: --model or settings.model
    demo_model: bool


def demo_slots(settings: Settings) -> tuple[int, int]:
    """(total context, slots) for the demo model: the solve default's memory, in slots big enough for a patch prompt."""
    per_slot = min(DEMO_MODEL_TRAINED_CTX, settings.bot_context_tokens + settings.bot_max_tokens + 1024)
    slots = max(1, min(settings.local_model_parallel, settings.local_model_ctx // per_slot))
    return slots * per_slot, slots


@contextmanager
def bot_endpoint(settings: Settings, console: Console) -> Iterator[Endpoint]:
    """Yield the endpoint for one bot run; raises ``LocalModelError`` when the demo model cannot start."""
    if settings.openai_base_url:
        yield Endpoint(make_client(settings), None, demo_model=False)
        return
    from bestofn.localmodel import LocalModelServer

    console.print("LLM: no OPENAI_BASE_URL set -> starting the bundled tiny demo model SmolLM2-135M-Instruct "
                  "(llama.cpp, CPU) on 127.0.0.1; expect mostly wrong patches", highlight=False, soft_wrap=True)
    ctx, slots = demo_slots(settings)
    with LocalModelServer(ctx=ctx, parallel=slots) as server:
        yield Endpoint(make_client(settings, base_url=server.base_url), server.model_name, demo_model=True)
