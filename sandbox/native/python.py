"""Python: MultiPL-E's tests are HumanEval's ``check(candidate)`` plus a call, so they go to the trusted grader.

MultiPL-E's shape: ``def check(candidate):\\n    assert ...\\n\\ndef test_check():\\n    check(f)\\n\\ntest_check()``.
Python is the one language whose tests the sandbox can run away from the candidate (the
``humaneval`` grader, each assertion its own test, ``trust: "trusted"``), so "native" Python tests
are that suite: the driver that calls ``check`` is dropped and the function it passes becomes
the entry point.
"""

from __future__ import annotations

import ast

from bestofn import pyast
from sandbox.native.program import NativeTestsError


def as_humaneval(tests: str) -> tuple[str, str]:
    """(HumanEval ``check(candidate)`` code, the entry point the tests pass to ``check``)."""
    try:
        tree = pyast.parse(tests)
    except (SyntaxError, ValueError) as exc:
        raise NativeTestsError(f"the Python tests do not parse ({type(exc).__name__}: {exc})") from None
    if not any(isinstance(n, ast.FunctionDef) and n.name == "check" for n in tree.body):
        raise NativeTestsError("Python native tests need a def check(candidate) (MultiPL-E's shape)")
    entry = None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "check"
                and len(node.args) == 1 and isinstance(node.args[0], ast.Name)):
            entry = node.args[0].id
    if entry is None:
        raise NativeTestsError("the Python tests never call check(<function>)")
    drivers = {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name != "check"
               and _calls_check(n)}
    kept = [n for n in tree.body if not (
        (isinstance(n, ast.FunctionDef) and n.name in drivers)
        or (isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Name)
            and n.value.func.id in drivers | {"check"}))]
    return ast.unparse(ast.Module(body=kept, type_ignores=[])) + "\n", entry


def _calls_check(fn: ast.FunctionDef) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "check" for n in ast.walk(fn))
