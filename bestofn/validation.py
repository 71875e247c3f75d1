"""Static checks that a test suite would collect tests in its declared format.

Why: HumanEval's ``check(candidate)`` code sent as ``pytest`` runs, collects
nothing, scores every candidate ``error 0/0`` and the task silently falls back
to self-consistency. A suite that cannot collect a test is a mistake of the
request, so it is refused up front, naming the format that would fit. Nothing
is run: Python suites are read with ``ast``, io suites with ``json``.

``TestSuite`` calls ``suite_error`` in its validator, so the API (422), the CLI
(one line, exit 2), the sandbox and the eval loaders share this one rule.
"""

from __future__ import annotations

import ast
import json
import threading
import warnings
from collections.abc import Iterator

from bestofn import pyast

IO_SHAPE = 'a non-empty JSON list of {"input": str, "output": str}'
_USE_IO = "looks like a JSON list of input/output pairs: use format io"
_USE_HUMANEVAL = "looks like HumanEval's check(candidate): use format humaneval"
_USE_PYTEST = "looks like a pytest file (test_* functions): use format pytest"


def suite_error(fmt: str, code: str) -> str | None:
    """Why ``code`` would collect no tests as format ``fmt`` (one line), or None when it would."""
    if fmt == "io":
        return _io_error(code)
    if fmt == "native":
        return _native_error(code)
    if _is_io_suite(code):
        return f"format {fmt} collects no tests from this: {_USE_IO}"
    tree = _parse(code)
    if isinstance(tree, str):
        return tree
    if fmt == "pytest" and not _has_pytest_tests(tree):
        hint = _USE_HUMANEVAL if _has_check(tree) else "add a module-level test_* function or Test* class"
        return f"format pytest collects no tests (no test_* function or Test* class with test methods): {hint}"
    if fmt == "humaneval" and not _has_check(tree):
        hint = _USE_PYTEST if _has_pytest_tests(tree) else "HumanEval's tests are def check(candidate) with asserts"
        return f"format humaneval needs a module-level def check(candidate): {hint}"
    return None


def _native_error(code: str) -> str | None:
    """native suites are programs in the problem's language: only the obviously empty is refused here
    (the language's instrumentation counts the assertions, see ``native_tests_error``)."""
    if not code.strip():
        return "format native needs the test program (MultiPL-E's tests field): this is blank"
    if _is_io_suite(code):
        return f"format native collects no tests from this: {_USE_IO}"
    return None


def native_tests_error(language: str, code: str) -> str | None:
    """Why ``code`` holds no assertion the sandbox can report on in ``language``, or None.

    Reads the test program with the sandbox's own instrumentation (pure functions, nothing is run),
    imported here on use: the sandbox imports this module's contracts at its own import.
    """
    from sandbox.native import NativeTestsError, count

    try:
        count(language, code)
    except NativeTestsError as exc:
        return str(exc).removeprefix("tests.code: ")
    return None


_NOT_JSON = object()


def _json(code: str) -> object:
    """The decoded value, or ``_NOT_JSON`` (absurd nesting included: that is not an io suite either)."""
    try:
        return json.loads(code)
    except (json.JSONDecodeError, RecursionError):
        return _NOT_JSON


def _io_error(code: str) -> str | None:
    """io suites: JSON of the right shape; Python code gets a hint at its format."""
    data = _json(code)
    if data is _NOT_JSON:
        tree = _parse(code)
        if not isinstance(tree, str) and _has_check(tree):
            return f"io tests must be JSON, this is Python: {_USE_HUMANEVAL}"
        if not isinstance(tree, str) and _has_pytest_tests(tree):
            return f"io tests must be JSON, this is Python: {_USE_PYTEST}"
        return f"io tests must be {IO_SHAPE}: {_json_problem(code)}"
    if _pairs_ok(data):
        return None
    return f"io tests must be {IO_SHAPE}"


def _json_problem(code: str) -> str:
    try:
        json.loads(code)
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg} at line {exc.lineno})"
    except RecursionError:
        return "not JSON (nested too deeply)"
    return "not JSON"


def _is_io_suite(code: str) -> bool:
    """True when ``code`` is an io suite (Python would also parse a JSON list as a list display)."""
    return _pairs_ok(_json(code))


_PARSE_LOCK = threading.Lock()


def _pairs_ok(data: object) -> bool:
    return isinstance(data, list) and bool(data) and all(
        isinstance(p, dict) and isinstance(p.get("input"), str) and isinstance(p.get("output"), str) for p in data
    )


def _parse(code: str) -> ast.Module | str:
    """The module, or a one-line reason naming the line it does not parse at."""
    try:
        # one parse at a time: warnings.catch_warnings is process-global, and CPython 3.11's ast
        # constructor is not thread-safe on its error path (gh-106905: "AST constructor recursion depth
        # mismatch" seen here when the sandbox validated suites from a thread pool)
        with _PARSE_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. invalid escape sequences: the sandbox will say so, not us
            return pyast.parse(code)
    except SyntaxError as exc:
        text = (exc.text or "").strip()[:80]
        where = f"line {exc.lineno}: " if exc.lineno else ""  # None for a NUL byte (Python 3.12)
        return f"{where}{exc.msg}" + (f" in {text!r}" if text else "") + " (the tests are not valid Python)"
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, lone surrogates, absurd nesting
        return f"the tests are not valid Python ({type(exc).__name__}: {str(exc)[:100] or 'nested too deeply'})"


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, including those under if/try/with (still module level at run time)."""
    for node in body:
        yield node
        if isinstance(node, (ast.If, ast.With, ast.AsyncWith)):
            yield from _top_level(node.body + getattr(node, "orelse", []))
        elif isinstance(node, (ast.Try, ast.TryStar)):
            handlers = [s for h in node.handlers for s in h.body]
            yield from _top_level(node.body + handlers + node.orelse + node.finalbody)


def _bound_names(node: ast.stmt) -> list[str]:
    """Names a statement binds at module level (defs, classes, ``from`` imports, plain assignments);
    ``import x`` binds a module, which pytest never collects as a test."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.ImportFrom):
        return [a.asname or a.name for a in node.names]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _has_pytest_tests(tree: ast.Module) -> bool:
    """What pytest's defaults collect: ``test*`` functions, ``Test*`` classes with ``test*`` methods.

    Lenient where a static read cannot know: imported or assigned ``test*`` names,
    and classes with base classes (their test methods may be inherited) count.
    """
    for node in _top_level(tree.body):
        if isinstance(node, ast.ClassDef):
            if _is_test_class(node):
                return True
        elif any(name.startswith("test") for name in _bound_names(node)):
            return True
    return False


def _is_test_class(node: ast.ClassDef) -> bool:
    bases = [ast.unparse(b) for b in node.bases if ast.unparse(b) != "object"]
    if not (node.name.startswith("Test") or any(b.endswith("TestCase") for b in bases)):
        return False
    methods = any(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name.startswith("test") for s in node.body)
    return methods or bool(bases)


def _has_check(tree: ast.Module) -> bool:
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == "check" for n in _top_level(tree.body))
