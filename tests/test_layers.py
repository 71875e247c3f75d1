"""Dependencies point down: the core (``bestofn/``) and the sandbox never import an adapter
(``api/``, ``worker/``), the migrations, the benchmarks or the tests; the sandbox takes its
configuration as arguments: it imports only the core's pure contracts, never its settings, and
every caller hands it a ``config``.

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


# what sandbox/ may import from the core: pure contracts, no settings, no state
# (and bestofn.pyast: the one lock every parse takes, stateless otherwise)
CORE_CONTRACTS = {"bestofn.schemas", "bestofn.validation", "bestofn.errors", "bestofn.languages", "bestofn.pyast"}
# the sandbox's functions that take ``config`` (a SandboxConfig): a call without it would fall back on
# the dataclass defaults, so a deployment's engine, image, limits and run label would be silently lost
TAKES_CONFIG = {"run_candidate", "run_many", "run_inputs", "RunnerPool", "ensure_image", "build_image", "reap",
                "get_client"}


def _core_modules(path: Path) -> set[str]:
    """Modules of ``bestofn`` that ``path`` imports (``from bestofn import x`` counts as ``bestofn.x``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {node.module} if node.module != "bestofn" else {f"bestofn.{a.name}" for a in node.names}
    return {m for m in found if m.split(".")[0] == "bestofn"}


def _sandbox_files() -> list[Path]:
    return [p for p in sorted((ROOT / "sandbox").rglob("*.py")) if "image" not in p.relative_to(ROOT / "sandbox").parts]


def test_the_sandbox_imports_only_the_cores_contracts_never_its_settings() -> None:
    bad = {f"{p.relative_to(ROOT).as_posix()} imports {m}"
           for p in _sandbox_files() for m in _core_modules(p) if m not in CORE_CONTRACTS}
    assert sorted(bad) == []
    assert not [p for p in _sandbox_files() if "get_settings" in p.read_text() or "bestofn.settings" in p.read_text()]


def test_the_import_reader_sees_the_cores_modules() -> None:
    """Not vacuous: the sandbox's one use of the contracts, and the core's own settings import, are found."""
    assert "bestofn.schemas" in _core_modules(ROOT / "sandbox" / "api.py")
    assert "bestofn.settings" in _core_modules(ROOT / "bestofn" / "execute.py")


def calls_without_config(source: str, where: str = "<source>") -> list[str]:
    """Calls of the sandbox's ``TAKES_CONFIG`` functions (imported by name, or as ``sandbox.<name>``)
    with no ``config=``."""
    tree = ast.parse(source, where)
    names: dict[str, str] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "sandbox":
            names |= {a.asname or a.name: a.name for a in node.names if a.name in TAKES_CONFIG}
        elif isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name == "sandbox"}
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func, name = node.func, None
        if isinstance(func, ast.Name):
            name = names.get(func.id)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in modules:
            name = func.attr if func.attr in TAKES_CONFIG else None
        if name and not any(k.arg == "config" for k in node.keywords):
            bad.append(f"{where}:{node.lineno} {name}")
    return bad


def test_every_call_into_the_sandbox_hands_it_a_config() -> None:
    """The core, the adapters, the benchmarks, the tests (so every container a test makes carries its run's
    label) and the sandbox's own modules."""
    bad = []
    for package in ("bestofn", "api", "worker", "bench", "tests"):
        for path in sorted((ROOT / package).rglob("*.py")):
            bad += calls_without_config(path.read_text(), path.relative_to(ROOT).as_posix())
    for path in _sandbox_files():
        bad += calls_without_config(path.read_text(), path.relative_to(ROOT).as_posix())
    assert bad == []


def test_the_call_check_sees_a_missing_config() -> None:
    source = ("import sandbox\nfrom sandbox import run_many as rm\nfrom sandbox.client import get_client\n"
              "sandbox.run_inputs([], [], None)\nrm([], t, config=c)\nrm([], t)\nget_client().api\n")
    assert calls_without_config(source) == ["<source>:4 run_inputs", "<source>:6 run_many", "<source>:7 get_client"]
