"""What the model sees about a failing repository, cut to a token budget (pure).

Sections go in a fixed priority order: the failing output, the issue text, the
focus files, then the files the traceback touches (source before tests). Each
section goes in whole while it fits; the first that does not is cut to the room
left, with a marker, when that room is worth using (else it is left out and a
smaller later section may still fit); once one is cut the budget is spent and
the rest are listed as left out. The same inputs always give the same prompt.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

# "src/pkg/mod.py:12: in f", "tests/test_x.py:7: AssertionError", 'File "/work/repo/x.py", line 3'
_PYTEST_LOC = re.compile(r"^(?:_+ )?([^\s:\"'()<>]+\.py):\d+(?::|\b)", re.MULTILINE)
_TRACEBACK_LOC = re.compile(r'File "([^"]+\.py)", line \d+')
_NODEID = re.compile(r"^(?:FAILED|ERROR) ([^\s:]+\.py)(?:::|\s|$)", re.MULTILINE)
CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """A deterministic token estimate (about four characters a token), so budgets do not need a tokenizer."""
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def _repo_relative(raw: str, roots: tuple[str, ...]) -> str:
    path = raw.replace("\\", "/")
    for root in roots:
        root = root.rstrip("/") + "/"
        if path.startswith(root):
            return path[len(root):]
    return path.removeprefix("./")


def traceback_paths(output: str, known_files: set[str], roots: tuple[str, ...] = ("/work/repo",)) -> list[str]:
    """Repo files named in pytest output or Python tracebacks, source files first, each in order of appearance.

    ``roots`` are absolute prefixes where the repository lived when the output was made;
    only paths in ``known_files`` (the repository's files) are kept, so library frames drop out.
    """
    found: dict[str, None] = {}
    for pattern in (_TRACEBACK_LOC, _PYTEST_LOC, _NODEID):
        for m in pattern.finditer(output):
            rel = _repo_relative(m.group(1), roots)
            if rel in known_files:
                found.setdefault(rel, None)
    return [p for _, p in sorted(enumerate(found), key=lambda t: (is_test_file(t[1]), t[0]))]


_IMPORT = re.compile(r"^\s*(?:from\s+([A-Za-z_][\w.]*)\s+import|import\s+([A-Za-z_][\w.]*))", re.MULTILINE)


def imported_paths(source: str, known_files: set[str]) -> list[str]:
    """Repo files a Python source imports (``pkg.mod`` -> ``pkg/mod.py``, ``pkg/mod/__init__.py``,
    or the same under ``src/``), in order of appearance.

    A failing assertion's traceback often names only the test file; the code under
    test is what the test imports.
    """
    found: dict[str, None] = {}
    for m in _IMPORT.finditer(source):
        parts = (m.group(1) or m.group(2)).split(".")
        for n in range(len(parts), 0, -1):  # the longest prefix that is a repo file
            stem = "/".join(parts[:n])
            hits = [c for base in ("", "src/") for c in (f"{base}{stem}.py", f"{base}{stem}/__init__.py") if c in known_files]
            if hits:
                found.setdefault(hits[0], None)
                break
    return list(found)


def related_files(output: str, known_files: set[str], roots: tuple[str, ...],
                  read: Callable[[str], str | None]) -> list[str]:
    """Files worth showing for a failing run: source files in the traceback, then the repo
    modules the failing test files import, then the test files themselves."""
    traced = traceback_paths(output, known_files, roots)
    tests = [p for p in traced if is_test_file(p)]
    imported = [p for t in tests for p in imported_paths(read(t) or "", known_files) if not is_test_file(p)]
    return list(dict.fromkeys([p for p in traced if not is_test_file(p)] + imported + tests))


def is_test_file(path: str) -> bool:
    """True for pytest's usual test file names and anything under a tests/ folder."""
    name = path.rsplit("/", 1)[-1]
    return name.startswith("test_") or name.endswith("_test.py") or "/tests/" in f"/{path}" or name == "conftest.py"


@dataclass(frozen=True)
class Section:
    """One piece of context: a title and its text (a file's content, the failing output, the issue)."""

    title: str
    text: str
    path: str | None = None  # set for file sections


@dataclass
class Context:
    """The sections that fit the budget and what was cut or left out."""

    sections: list[Section] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)
    tokens: int = 0

    def render(self) -> str:
        """The sections as Markdown, files in fences headed by their path."""
        parts = []
        for s in self.sections:
            if s.path is not None:
                parts.append(f"### {s.title}\n\n{s.path}\n```\n{s.text}{'' if s.text.endswith(chr(10)) else chr(10)}```\n")
            else:
                parts.append(f"### {s.title}\n\n```\n{s.text.rstrip(chr(10))}\n```\n")
        if self.omitted:
            parts.append("(left out for length: " + ", ".join(self.omitted) + ")\n")
        return "\n".join(parts)


def _cut(text: str, max_chars: int, keep_tail: bool) -> str:
    """``text`` cut to about ``max_chars`` with a marker saying how much went."""
    if len(text) <= max_chars:
        return text
    dropped = len(text) - max_chars
    marker = f"\n... [{dropped} characters cut] ...\n"
    return marker.lstrip("\n") + text[-max_chars:] if keep_tail else text[:max_chars] + marker


def build_context(
    failing_output: str,
    issue_text: str,
    focus_files: dict[str, str],
    traceback_files: dict[str, str],
    budget_tokens: int,
) -> Context:
    """Fill the budget by priority: failing output, issue, focus files, traceback files.

    File dicts keep their insertion order (the caller's priority). A traceback file
    that is also a focus file appears once, as a focus file. The failing output is
    cut from the front (pytest's summary is at the end); files and the issue from the back.
    """
    wanted: list[tuple[Section, bool]] = []
    if failing_output.strip():
        wanted.append((Section("Failing test output", failing_output), True))
    if issue_text.strip():
        wanted.append((Section("Issue", issue_text), False))
    for path, text in focus_files.items():
        wanted.append((Section(f"Focus file {path}", text, path), False))
    for path, text in traceback_files.items():
        if path not in focus_files:
            wanted.append((Section(f"File from the traceback {path}", text, path), False))
    ctx = Context()
    remaining = max(0, budget_tokens)
    for section, keep_tail in wanted:
        need = estimate_tokens(section.text) + estimate_tokens(section.title) + 8
        if need <= remaining:
            ctx.sections.append(section)
            remaining -= need
            continue
        room_chars = (remaining - estimate_tokens(section.title) - 16) * CHARS_PER_TOKEN
        if room_chars >= 200 and not ctx.truncated:
            text = _cut(section.text, room_chars, keep_tail)
            ctx.sections.append(Section(section.title + " (cut)", text, section.path))
            ctx.truncated.append(section.title)
            remaining = 0
        else:
            ctx.omitted.append(section.title)
    ctx.tokens = budget_tokens - remaining if budget_tokens > 0 else 0
    return ctx
