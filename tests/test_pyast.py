"""Every parse of ours goes through ``bestofn.pyast``, one thread at a time (CPython 3.11's AST
constructor shares its recursion count between threads: python/cpython#106905)."""

from __future__ import annotations

import ast
import threading
import time
from pathlib import Path

import pytest

from bestofn import pyast

ROOT = Path(__file__).resolve().parent.parent
GUARDED = {"parse", "literal_eval"}


def test_parses_from_many_threads_run_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    real, inside, most, lock = ast.parse, [0], [0], threading.Lock()

    def slow_parse(source: str, *args: object, **kwargs: object) -> ast.AST:
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.01)  # long enough for the other threads to arrive
        with lock:
            inside[0] -= 1
        return real(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ast, "parse", slow_parse)
    calls = [threading.Thread(target=lambda: [pyast.parse("x = [1, (2, 3)]") for _ in range(5)]) for _ in range(4)]
    for t in calls:
        t.start()
    for t in calls:
        t.join()
    assert most[0] == 1


@pytest.mark.parametrize("text", ["(1, 'a', [2.5, None])", "  {1: 2}", "\t-3", "b'x'"])
def test_literal_eval_is_the_standard_one(text: str) -> None:
    assert pyast.literal_eval(text) == ast.literal_eval(text)
    assert pyast.literal_eval(ast.parse(text.strip(), mode="eval")) == ast.literal_eval(text)
    with pytest.raises(ValueError):
        pyast.literal_eval("__import__('os')")


def _unguarded(path: Path) -> list[str]:
    """Calls of ``ast.parse``/``ast.literal_eval`` in ``path``, as ``file:line``."""
    tree = ast.parse(path.read_text(), str(path))
    return [f"{path.relative_to(ROOT)}:{n.lineno}" for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in GUARDED
            and isinstance(n.func.value, ast.Name) and n.func.value.id == "ast"]


def test_the_service_parses_only_through_pyast() -> None:
    files = [p for pkg in ("bestofn", "api", "worker", "sandbox") for p in sorted((ROOT / pkg).rglob("*.py"))
             if "sandbox/image" not in p.as_posix() and p.name != "pyast.py"]
    assert [hit for p in files for hit in _unguarded(p)] == []
    assert _unguarded(ROOT / "bestofn" / "pyast.py")  # not vacuous: the reader finds the guarded calls
