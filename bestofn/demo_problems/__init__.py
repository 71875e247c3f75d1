"""Bundled demo problems: each file is a ready ``POST /v1/tasks`` body.

Why these: they were picked so the embedded 135M demo model *sometimes*
solves them (measured, see the module's report in the project notes), so a
demo run shows N different candidates, some failing, and a tested winner
rather than all-pass or all-fail. They ship as package data, so
``bestofn solve --demo NAME`` works from an installed wheel.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

_DIR = Path(str(files(__name__)))


def list_demo_problems() -> list[Path]:
    """The bundled problem files, sorted by name."""
    return sorted(_DIR.glob("*.json"))


def load_demo_problem(name: str) -> dict[str, Any]:
    """The task body of the demo problem ``name`` (file stem, ``.json`` optional)."""
    stem = name.removesuffix(".json")
    path = _DIR / f"{stem}.json"
    if not path.is_file():
        known = ", ".join(p.stem for p in list_demo_problems())
        raise LookupError(f"no demo problem {name!r}; known: {known}")
    return json.loads(path.read_text())
