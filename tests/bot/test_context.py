"""Context gathering (pure): paths from tracebacks, imports, and the token budget."""

from __future__ import annotations

from bestofn.bot.context import build_context, estimate_tokens, imported_paths, related_files, traceback_paths

KNOWN = {"pkg/core.py", "pkg/__init__.py", "src/lib/util.py", "tests/test_core.py", "conftest.py"}

PYTEST_OUT = """\
F                                                                        [100%]
___________________________________ test_it ____________________________________

    def test_it():
>       assert core.f() == 2

tests/test_core.py:5:
_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _
pkg/core.py:3: in f
    return helper()
/usr/lib/python3/dist-packages/_pytest/python.py:10: in call
E   ValueError
FAILED tests/test_core.py::test_it - ValueError
"""

PY_TRACEBACK = '''Traceback (most recent call last):
  File "/work/repo/src/lib/util.py", line 4, in <module>
  File "/usr/lib/python3.11/json/__init__.py", line 1, in loads
'''


def test_traceback_paths_are_repo_files_source_first() -> None:
    assert traceback_paths(PYTEST_OUT, KNOWN) == ["pkg/core.py", "tests/test_core.py"]
    assert traceback_paths(PY_TRACEBACK, KNOWN) == ["src/lib/util.py"]
    assert traceback_paths(PY_TRACEBACK, KNOWN, roots=("/elsewhere",)) == []


def test_imported_paths_map_modules_to_files() -> None:
    source = "import os\nfrom pkg.core import f\nimport lib.util as u\nfrom pkg import thing\n"
    assert imported_paths(source, KNOWN) == ["pkg/core.py", "src/lib/util.py", "pkg/__init__.py"]


def test_related_files_put_the_code_under_test_before_the_tests() -> None:
    out = "tests/test_core.py:5: AssertionError\nFAILED tests/test_core.py::test_it\n"
    read = {"tests/test_core.py": "from pkg.core import f\n"}.get
    assert related_files(out, KNOWN, ("/work/repo",), read) == ["pkg/core.py", "tests/test_core.py"]


def test_everything_fits_a_large_budget_in_priority_order() -> None:
    ctx = build_context("FAILED x", "the issue", {"a.py": "A"}, {"b.py": "B", "a.py": "A"}, 10_000)
    assert [s.title for s in ctx.sections] == ["Failing test output", "Issue", "Focus file a.py", "File from the traceback b.py"]
    assert ctx.truncated == [] and ctx.omitted == []
    assert "a.py\n```\nA\n```" in ctx.render()


def test_a_section_with_no_useful_room_is_left_out_and_a_smaller_later_one_still_fits() -> None:
    ctx = build_context("o" * 3800, "", {"a.py": "A" * 8000}, {"b.py": "B"}, 1000)
    assert [s.title for s in ctx.sections] == ["Failing test output", "File from the traceback b.py"]
    assert ctx.omitted == ["Focus file a.py"]


def test_budget_cuts_the_first_overflowing_section_and_leaves_out_the_rest() -> None:
    output = "head\n" + "x" * 4000 + "\nFAILED tests/test_core.py::test_it\n"
    ctx = build_context(output, "issue " * 100, {"a.py": "A" * 8000}, {"b.py": "B"}, 1500)
    titles = [s.title for s in ctx.sections]
    assert titles == ["Failing test output", "Issue", "Focus file a.py (cut)"]
    assert ctx.truncated == ["Focus file a.py"] and ctx.omitted == ["File from the traceback b.py"]
    assert sum(len(s.text) for s in ctx.sections) <= 1500 * 4
    assert "characters cut" in ctx.sections[2].text
    assert "(left out for length: File from the traceback b.py)" in ctx.render()


def test_failing_output_keeps_its_tail_when_cut() -> None:
    output = "noise\n" * 2000 + "FAILED tests/test_core.py::test_it - boom\n"
    ctx = build_context(output, "", {}, {}, 500)
    assert ctx.sections[0].text.endswith("FAILED tests/test_core.py::test_it - boom\n")
    assert estimate_tokens(ctx.sections[0].text) <= 500


def test_context_is_deterministic() -> None:
    args = ("out " * 500, "issue " * 300, {"a.py": "A" * 3000}, {"b.py": "B" * 3000}, 1500)
    assert build_context(*args).render() == build_context(*args).render()
