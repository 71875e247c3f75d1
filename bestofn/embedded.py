"""What ``bestofn solve`` runs on: configured services, or embedded fallbacks it names.

Fallbacks, each announced: SQLite under data_dir when no database URL is set;
in-process execution (Celery's eager mode) when no Redis is set; the bundled
tiny SmolLM2 model on 127.0.0.1 when no OpenAI-compatible endpoint is set.
The Docker sandbox is never optional: its image is built offline if missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Console

from bestofn.llm import make_client
from bestofn.migrate import migrate, missing_tables
from bestofn.settings import get_settings

if TYPE_CHECKING:  # openai takes ~0.5 s to import; code that calls the endpoint imports it there
    import openai


@dataclass
class Runtime:
    client: openai.OpenAI
    model: str
    demo_model: bool


@contextmanager
def embedded_runtime(console: Console) -> Iterator[Runtime]:
    """Set up storage, sandbox image and LLM endpoint; stop what it started on exit."""
    s = get_settings()
    if s.database_url:
        console.print(f"database: {s.database_url.split('@')[-1]}")
    else:
        console.print(f"database: none configured (BESTOFN_DATABASE_URL) -> embedded SQLite at {s.data_dir / 'bestofn.sqlite3'}")
    console.print("queue: running the task in this process" + ("" if s.redis_url else " (no BESTOFN_REDIS_URL: Celery eager mode)"))
    migrate()
    if missing := missing_tables():
        where = s.database_url.split("@")[-1] if s.database_url else str(s.data_dir / "bestofn.sqlite3")
        raise RuntimeError(f"the database at {where} claims the current schema but lacks the table(s) "
                           f"{', '.join(missing)} (left by an older build?); move it aside or point "
                           "BESTOFN_DATA_DIR / BESTOFN_DATABASE_URL elsewhere")

    import sandbox

    try:
        image = sandbox.ensure_image(config=s.sandbox_config())
    except Exception as exc:  # docker missing or image build failed: say what to do
        raise RuntimeError(f"the Docker sandbox is not available ({exc}); run scripts/services.sh as root "
                           "to install and start Docker") from exc
    console.print(f"sandbox: Docker image {image}, network none, read-only, non-root")

    if s.openai_base_url:
        console.print(f"LLM: {s.openai_base_url}")
        yield Runtime(client=make_client(s), model=s.model, demo_model=False)
        return

    from bestofn.localmodel import LocalModelServer

    console.print("LLM: no OPENAI_BASE_URL set -> starting the bundled tiny demo model "
                  "SmolLM2-135M-Instruct (llama.cpp, CPU) on 127.0.0.1; expect mostly wrong samples")
    with LocalModelServer() as server:
        yield Runtime(client=make_client(s, base_url=server.base_url), model=server.model_name, demo_model=True)
