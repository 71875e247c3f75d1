"""Which paths are test infrastructure (pure), and dropping them from an applied patch (real git)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from bestofn.bot.test_infra import TestInfra, pytest_table
from bestofn.bot.workspace import apply_patch, changed_paths, diff_without, make_baseline, read_text, repo_files
from tests.bot.conftest import make_repo

PYPROJECT = '[project]\nname = "x"\ndependencies = []\n\n[tool.pytest.ini_options]\naddopts = "-p pkg.plug"\n'
FILES = {
    "pkg/__init__.py": "", "pkg/core.py": "X = 1\n", "pkg/plug.py": "", "pkg/helpers.py": "",
    "test/__init__.py": "", "test/test_core.py": "pytest_plugins = ['pkg.helpers']\n", "test/util.py": "",
    "mixed/__init__.py": "", "mixed/test_inline.py": "", "mixed/code.py": "",
    "pyproject.toml": PYPROJECT, "setup.cfg": "[metadata]\nname = x\n\n[tool:pytest]\naddopts = -q\n",
    "lib/test/__init__.py": "", "lib/test/client.py": "", "run_tests.sh": "pytest\n", "Makefile": "test:\n\tpytest\n",
}


def _infra(command: str = "pytest -q") -> TestInfra:
    return TestInfra.of(sorted(FILES), FILES.get, command)


@pytest.mark.parametrize("path", [
    "tests/test_x.py", "tests/data/expected.json", "test/test_core.py", "conftest.py", "deep/dir/conftest.py",
    "x_test.py", "pytest.ini", "sub/.pytest.ini", "tox.ini", "sitecustomize.py", "src/usercustomize.py", "evil.pth",
    "test/__init__.py", "test/util.py", "test/new_helper.py",  # a test-only directory's modules
    "pkg/plug.py", "pkg/helpers.py",  # loaded as plugins by the config's -p and a test's pytest_plugins
    "__pycache__/test_x.cpython-311.pyc", "pkg/__pycache__/x", "stale.pyc",  # bytecode
    "pytest.py", "_pytest/junitxml.py", "src/pluggy/__init__.py", "xml/etree/ElementTree.py", "json.py",  # shadows
])
def test_test_infrastructure(path: str) -> None:
    assert _infra().covers(path, "old", "new")


@pytest.mark.parametrize("path", ["pkg/core.py", "pkg/__init__.py", "mixed/__init__.py", "mixed/code.py", "README.md",
                                  "run_tests.sh", "Makefile", "src/pkg/new.py",
                                  "lib/test/client.py",  # a library's test package, no tests in it
                                  "lib/json.py", "email/notes.txt",  # not top-level modules
                                  "src/pkg/queue.py"])
def test_not_test_infrastructure(path: str) -> None:
    assert not _infra().covers(path, "old", "new")


def test_a_top_level_module_the_checkout_already_has_is_its_own_code() -> None:
    files = {"calendar.py": "", "tests/test_calendar.py": ""}
    infra = TestInfra.of(sorted(files), files.get, "pytest")
    assert not infra.covers("calendar.py", "a", "b")
    assert infra.covers("xml/__init__.py", None, "")


def test_odd_configuration_reads_as_no_plugins() -> None:
    files = {"pyproject.toml": "[tool.pytest]\nini_options = 3\n", "tests/conftest.py": "pytest_plugins = 3\n",
             "tests/test_a.py": "pytest_plugins = f(x)\n", "tox.ini": "[pytest\n", "setup.cfg": "[tool:pytest]\naddopts = -p 'x\n"}
    assert TestInfra.of(sorted(files), files.get, "pytest").plugin_files == frozenset()


def test_files_the_test_command_runs() -> None:
    assert _infra("./run_tests.sh").covers("run_tests.sh", "a", "b")
    assert _infra("make -s test").covers("Makefile", "a", "b")
    assert not _infra("make -s test").covers("pkg/core.py", "a", "b")


def test_pyproject_and_setup_cfg_only_when_pytests_part_changes() -> None:
    infra = _infra()
    deps = PYPROJECT.replace("dependencies = []", 'dependencies = ["attrs"]')
    assert not infra.covers("pyproject.toml", PYPROJECT, deps)
    assert infra.covers("pyproject.toml", PYPROJECT, PYPROJECT.replace("-p pkg.plug", "-k 'not slow'"))
    assert infra.covers("pyproject.toml", PYPROJECT, PYPROJECT.replace("[tool.pytest.ini_options]", "[tool.pytest.ini_options]\nx = ["))
    assert infra.covers("sub/pyproject.toml", None, "[tool.pytest.ini_options]\naddopts = '-p x'\n")  # a new one with a table
    assert not infra.covers("sub/pyproject.toml", None, "[project]\nname = 'y'\n")
    cfg = FILES["setup.cfg"]
    assert not infra.covers("setup.cfg", cfg, cfg.replace("name = x", "name = y"))
    assert infra.covers("setup.cfg", cfg, cfg.replace("addopts = -q", "addopts = -q --deselect t.py::a"))
    assert infra.covers("setup.cfg", cfg, None)  # deleted: pytest's section goes with it
    assert pytest_table("setup.cfg", "no section header") != pytest_table("setup.cfg", "")


def test_dropping_test_infrastructure_from_an_applied_patch(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"pkg/core.py": "X = 1\n", "tests/test_core.py": "def test_x():\n    assert 0\n"})
    base = make_baseline(repo, repo_files(repo), tmp_path / "base")
    diff = ("diff --git a/pkg/core.py b/pkg/core.py\n--- a/pkg/core.py\n+++ b/pkg/core.py\n@@ -1 +1 @@\n-X = 1\n+X = 2\n"
            "diff --git a/tests/test_core.py b/tests/test_ok.py\nsimilarity index 100%\n"
            "rename from tests/test_core.py\nrename to tests/test_ok.py\n"
            "diff --git a/conftest.py b/conftest.py\nnew file mode 100644\n--- /dev/null\n+++ b/conftest.py\n@@ -0,0 +1 @@\n+x = 1\n")
    applied = apply_patch(base, diff, tmp_path / "c0")
    assert applied.ok and applied.copy is not None, applied.error
    changed = changed_paths(applied.copy)
    assert changed == ["conftest.py", "pkg/core.py", "tests/test_core.py", "tests/test_ok.py"]  # a pure rename: both sides
    infra = TestInfra.of(repo_files(base), partial(read_text, base), "pytest")
    dropped = infra.dropped(changed, partial(read_text, base), partial(read_text, applied.copy))
    assert dropped == ["conftest.py", "tests/test_core.py", "tests/test_ok.py"]
    kept = diff_without(applied.copy, dropped)
    assert "pkg/core.py" in kept and "+X = 2" in kept and "test" not in kept and "conftest" not in kept
    again = apply_patch(base, kept, tmp_path / "c1")
    assert again.ok and again.diff == kept and changed_paths(again.copy) == ["pkg/core.py"]
