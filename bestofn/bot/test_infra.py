"""Which paths are a repository's test infrastructure, never taken from a candidate patch (pure).

A patch is graded by the repository's own tests, so a patch must not bring its own: the
verdict has to come from the base checkout's test files and from everything pytest (or the
test command) loads that decides what runs and how it is reported. SWE-bench's harness does
the same by applying the gold test files after the model's patch; the bot drops the patch's
changes to these paths before it runs (``bestofn/bot/propose.py:prepare``).

Test infrastructure, for a path a patch adds, deletes, renames or changes:
- test files by ``is_test_file`` (``test_*``, ``*_test.py``, anything under ``tests/``,
  every ``conftest.py``), and any ``.py`` in a directory of the base checkout that is test
  code (``test/__init__.py``, ``test/util.py``: see ``_test_dirs``);
- pytest's own configuration files: ``pytest.ini``, ``.pytest.ini``, ``tox.ini`` (pytest's
  ``[pytest]``, and tox's commands); ``pyproject.toml`` and ``setup.cfg`` only when the change
  touches pytest's table (``[tool.pytest...]``, ``[tool:pytest]``), since a fix may
  legitimately change dependencies or metadata there;
- files Python runs at interpreter start-up: ``sitecustomize.py``, ``usercustomize.py``, ``*.pth``
  (the repository is on ``PYTHONPATH`` in the sandbox), and compiled bytecode (``*.pyc``,
  anything in ``__pycache__``), which Python may load instead of a test's source;
- a new top-level module (at the root or under ``src/``, both on ``PYTHONPATH`` ahead of the
  standard library) named like a standard-library module or pytest and its dependencies: a
  ``pytest.py`` there would be the test runner, an ``xml/`` package would write the JUnit
  report. A top-level module the base checkout already has is the repository's own code;
- modules the base checkout loads as pytest plugins (``pytest_plugins`` in a conftest or test
  file, ``-p NAME`` in pytest's ``addopts``);
- files the test command names (``./run_tests.sh``, ``python check.py``), and the
  Makefile or noxfile when the command runs ``make`` or ``nox``.
"""

from __future__ import annotations

import ast
import configparser
import shlex
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from bestofn import pyast
from bestofn.bot.context import is_test_file

PYTEST_FILES = frozenset({"pytest.ini", ".pytest.ini", "tox.ini"})
# what the test run imports from outside the repository: a repository module of that name comes first
RUNNER_MODULES = frozenset(sys.stdlib_module_names) | {
    "pytest", "_pytest", "pluggy", "py", "iniconfig", "packaging", "attr", "attrs", "exceptiongroup", "tomli"}
START_UP_FILES = frozenset({"sitecustomize.py", "usercustomize.py"})
RUNNER_FILES = {"make": ("Makefile", "makefile", "GNUmakefile"), "nox": ("noxfile.py",)}
_UNREADABLE = object()  # a config file that does not parse: any change to it counts as a change to pytest's part

Read = Callable[[str], str | None]


def pytest_table(name: str, text: str | None) -> object:
    """What pytest reads from ``pyproject.toml`` / ``setup.cfg`` text (None: nothing; absent file: None)."""
    if text is None:
        return None
    if name != "pyproject.toml":
        return _ini_section(text, "tool:pytest")
    try:
        return tomllib.loads(text).get("tool", {}).get("pytest")
    except (tomllib.TOMLDecodeError, AttributeError):
        return _UNREADABLE


def _plugin_names(path: str, text: str) -> list[str]:
    """Modules a conftest/test file (``pytest_plugins``) or a config file (``-p NAME`` in addopts) loads."""
    name = PurePosixPath(path).name
    if name.endswith(".py"):
        try:
            tree = pyast.parse(text)
        except (SyntaxError, ValueError):
            return []
        found: list[str] = []
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets):
                try:
                    value = pyast.literal_eval(node.value)
                except (ValueError, TypeError, SyntaxError, RecursionError):
                    continue
                values = [value] if isinstance(value, str) else value if isinstance(value, (list, tuple)) else []
                found += [v for v in values if isinstance(v, str)]
        return found
    table = pytest_table(name, text) if name in ("pyproject.toml", "setup.cfg") else _ini_section(text, "pytest")
    if not isinstance(table, dict):
        return []
    options = table.get("ini_options") if name == "pyproject.toml" else table
    addopts = options.get("addopts", "") if isinstance(options, dict) else ""
    words = addopts if isinstance(addopts, list) else _split(str(addopts))
    names = [b for a, b in zip(words, words[1:]) if a == "-p"] + [w[2:] for w in words if w.startswith("-p") and len(w) > 2]
    return [n for n in names if not n.startswith("no:")]


def _ini_section(text: str, section: str) -> object:
    """An ini file's ``section`` as a dict (None: no such section; ``_UNREADABLE``: not an ini file)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return _UNREADABLE
    return dict(parser[section]) if parser.has_section(section) else None


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # unbalanced quotes: read what we can
        return text.split()


def module_files(module: str, known: set[str]) -> list[str]:
    """The repository files a dotted module name imports as (``a.b``: ``a/b.py``, ``a/b/__init__.py``, under ``src/`` too)."""
    stem = module.replace(".", "/")
    return [p for base in ("", "src/") for p in (f"{base}{stem}.py", f"{base}{stem}/__init__.py") if p in known]


def top_module(path: str) -> str | None:
    """The top-level module a ``.py`` path at the root or under ``src/`` belongs to (``src/a/b.py``: ``a``), else None."""
    parts = PurePosixPath(path).parts
    parts = parts[1:] if parts[:1] == ("src",) and len(parts) > 1 else parts
    if not path.endswith(".py") or not parts:
        return None
    return parts[0].removesuffix(".py")


def _test_dirs(files: list[str]) -> frozenset[str]:
    """Directories of the base checkout that hold tests directly and are test code themselves: named
    ``test``/``testing`` (``tests`` is ``is_test_file``'s), or with no Python file but tests and ``__init__.py``.

    A package directory with a test module next to its code (``pkg/test_x.py`` beside
    ``pkg/core.py``) is not one, and neither is a library's ``testing``/``test`` package without
    tests of its own (Django's ``django/test/``, NumPy's ``numpy/testing/``).
    """
    by_dir: dict[str, list[str]] = {}
    for f in files:
        if f.endswith(".py"):
            by_dir.setdefault(str(PurePosixPath(f).parent), []).append(f)
    return frozenset(d for d, fs in by_dir.items()
                     if any(is_test_file(f) for f in fs)
                     and (PurePosixPath(d).name in ("test", "testing")
                          or all(is_test_file(f) or PurePosixPath(f).name == "__init__.py" for f in fs)))


@dataclass(frozen=True)
class TestInfra:
    """The base checkout's test infrastructure rules; built once per run, asked once per changed path."""

    __test__ = False  # not a pytest test class, despite the name

    test_dirs: frozenset[str] = frozenset()
    plugin_files: frozenset[str] = frozenset()
    command_files: frozenset[str] = frozenset()
    own_modules: frozenset[str] = frozenset()  # the base checkout's top-level modules

    @classmethod
    def of(cls, files: list[str], read: Read, command: str) -> TestInfra:
        """The rules for a checkout with ``files`` (``read`` gives a file's text) tested by ``command``."""
        known = set(files)
        plugins: set[str] = set()
        for f in files:
            name = PurePosixPath(f).name
            if is_test_file(f) or name in PYTEST_FILES or name in ("pyproject.toml", "setup.cfg"):
                text = read(f) if f.endswith((".py", ".ini", ".toml", ".cfg")) else None
                for module in _plugin_names(f, text or ""):
                    plugins.update(module_files(module, known))
        words = {w.removeprefix("./") for w in _split(command)}
        runners = {w.rsplit("/", 1)[-1] for w in words}
        named = {f for r, fs in RUNNER_FILES.items() if r in runners for f in fs}
        return cls(test_dirs=_test_dirs(files), plugin_files=frozenset(plugins),
                   command_files=frozenset((words | named) & known),
                   own_modules=frozenset(m for f in files if (m := top_module(f))))

    def covers(self, path: str, old: str | None, new: str | None) -> bool:
        """Whether a change of ``path`` from ``old`` to ``new`` text (None: absent or binary) is test infrastructure."""
        p = PurePosixPath(path)
        if is_test_file(path) or p.name in PYTEST_FILES or p.name in START_UP_FILES or p.suffix == ".pth":
            return True
        if p.suffix in (".pyc", ".pyo") or "__pycache__" in p.parts:  # an unchecked-hash .pyc is loaded whatever the source says
            return True
        if p.suffix == ".py" and str(p.parent) in self.test_dirs:
            return True
        if path in self.plugin_files or path in self.command_files:
            return True
        if (top := top_module(path)) in RUNNER_MODULES and top not in self.own_modules:
            return True
        if p.name in ("pyproject.toml", "setup.cfg"):
            return pytest_table(p.name, old) != pytest_table(p.name, new)
        return False

    def dropped(self, changed: list[str], read_old: Read, read_new: Read) -> list[str]:
        """The changed paths (sorted) that are test infrastructure, judged on their base and patched text."""
        return sorted(p for p in changed if self.covers(p, read_old(p), read_new(p)))
