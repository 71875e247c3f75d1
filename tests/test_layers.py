"""Dependencies point down: the core (``bestofn/``) and the sandbox never import an adapter
(``api/``, ``worker/``), the migrations, the benchmarks or the tests.

Read statically with ``ast`` (nothing is imported), so a lazy import inside a function counts too.
The one exception is written here with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ABOVE = {
    "bestofn": {"api", "worker", "migrations", "bench", "tests"},
    "sandbox": {"api", "worker", "migrations", "bench", "tests"},
}
# (importing file, imported package): why it may
ALLOWED = {
    ("bestofn/dispatch.py", "worker"): "sending work needs the adapter's Celery tasks; lazy, in celery_tasks()",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _upward() -> list[str]:
    bad = []
    for package, above in ABOVE.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("sandbox/image/"):
                continue  # runs inside the container: imports nothing of the project at all
            for target in _imports(path) & above:
                if (rel, target) in ALLOWED:
                    continue
                bad.append(f"{rel} imports {target}")
    return bad


def test_no_import_points_up() -> None:
    assert _upward() == []


def test_the_check_sees_lazy_imports() -> None:
    """Not vacuous: the allowed lazy import in dispatch.py is found by the same reader."""
    assert "worker" in _imports(ROOT / "bestofn" / "dispatch.py")
