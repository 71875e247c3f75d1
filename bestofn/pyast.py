"""``ast.parse`` and ``ast.literal_eval`` behind one lock, for code that parses on several threads.

Why: CPython 3.11 counts the AST constructor's recursion depth in state the threads share, and a
thread switch while one thread builds its tree (a finalizer run by the garbage collector is
enough) makes another thread's parse fail with "SystemError: AST constructor recursion depth
mismatch" (python/cpython#106905; seen in CI, where an eval's pool threads checked a suite while
the main thread keyed programs). The service parses on pool threads (candidates' code as it
arrives, suites in ``sandbox.run_many``), so every parse of ours goes through here. A parse is
short, so one lock costs little; a tree once built is read without it (``ast.dump``, ``walk``).
"""

from __future__ import annotations

import ast
import threading
from typing import Any

_LOCK = threading.Lock()


def parse(source: str, mode: str = "exec") -> ast.AST:
    """``ast.parse(source, mode=mode)``, one thread at a time."""
    with _LOCK:
        return ast.parse(source, mode=mode)


def literal_eval(node_or_string: str | ast.AST) -> Any:
    """``ast.literal_eval``: a string is parsed through ``parse`` (as the standard one does, less
    its leading spaces and tabs), a tree is evaluated as it is."""
    if isinstance(node_or_string, str):
        node_or_string = parse(node_or_string.lstrip(" \t"), mode="eval")
    return ast.literal_eval(node_or_string)
