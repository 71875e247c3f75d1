"""Starting a command, the API or a worker does not import ``openai`` (about 0.5 s of CPU, a
visible share of a short ``bestofn eval``): the modules that talk to an endpoint name it for type
checkers only and import it where a client is made or its errors are caught."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NO_MODEL_NEEDED = ["bestofn.cli", "bestofn.cli_eval", "bestofn.evals.runner", "bestofn.evals.execute",
                   "bestofn.rerank.policy", "bestofn.pipeline", "bestofn.generate", "bestofn.bot.propose",
                   "api.main", "worker.tasks"]


def openai_modules_after(code: str) -> list[str]:
    """The ``openai`` modules loaded once ``code`` has run in a fresh interpreter."""
    probe = f"import sys\n{code}\nprint(' '.join(m for m in sys.modules if m.split('.')[0] == 'openai'))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.split()


def test_importing_the_entry_points_leaves_openai_unloaded() -> None:
    assert openai_modules_after("\n".join(f"import {m}" for m in NO_MODEL_NEEDED)) == []


def test_making_a_client_loads_it() -> None:
    """Not vacuous: the same probe sees ``openai`` once a client is made."""
    code = "from bestofn.llm import make_client\nmake_client(base_url='http://127.0.0.1:9/v1')"
    assert "openai" in openai_modules_after(code)
