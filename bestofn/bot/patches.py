"""Turn a model's reply into one unified diff (pure: strings in, strings out).

Models answer in two shapes: a unified diff in a ```diff fence, or whole files,
each a fenced block headed by its path (in the fence's info string or on the
line above). Both become one unified diff so that applying, sizing and storing
a candidate work the same way whatever the model chose.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

_FENCE = re.compile(r"^```[ \t]*([^\n`]*)\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
_DIFF_LANGS = {"diff", "patch", "udiff"}
_PATH = re.compile(r"^[A-Za-z0-9_.\-][A-Za-z0-9_.\-/]*\.[A-Za-z0-9_]+$")
_DIFF_START = re.compile(r"^(diff --git |--- )", re.MULTILINE)


@dataclass(frozen=True)
class ParsedPatch:
    """A reply reduced to a diff, or the reason it could not be."""

    diff: str
    kind: str  # "diff" | "whole_file" | "none"
    error: str | None = None


def _clean_path(text: str) -> str | None:
    """A repo-relative path from a heading like ``**src/x.py**:`` or ``File: `a.py```; else None."""
    t = text.strip().strip("#*`:\"' ").strip()
    t = re.sub(r"^(?:file|path|filename)\s*[:=]\s*", "", t, flags=re.IGNORECASE).strip("`*\"' ")
    t = t.removeprefix("./")
    if not _PATH.match(t) or t.startswith(("/", "..")) or "/../" in t or t.startswith(".git/"):
        return None
    return t


def _fence_path(info: str, heading: str) -> str | None:
    """The path a fenced block replaces: from the info string (```python src/x.py, ```src/x.py) or the heading."""
    for token in re.split(r"[\s:]+", info.strip()):
        token = token.removeprefix("title=").strip("\"'")
        if "." in token and (path := _clean_path(token)):
            return path
    return _clean_path(heading) if heading else None


def diff_from_reply(reply: str) -> str:
    """The unified diff text in a reply: every ```diff fence joined, else a bare diff; "" if none."""
    fences = list(_FENCE.finditer(reply))
    blocks = [m.group(2) for m in fences if (m.group(1).strip().lower().split() or [""])[0] in _DIFF_LANGS]
    if not blocks:  # a fence without the language that holds a diff, or a diff with no fence at all
        blocks = [m.group(2) for m in fences if _DIFF_START.search(m.group(2))]
    if not blocks and (start := _DIFF_START.search(reply)):
        blocks = [reply[start.start():]]
    text = "".join(b if b.endswith("\n") else b + "\n" for b in blocks if b.strip())
    return text if ("+++ " in text or "diff --git" in text) else ""


def whole_files_from_reply(reply: str) -> dict[str, str]:
    """``{path: new content}`` for each fenced block headed by a file path (the last block per path wins)."""
    files: dict[str, str] = {}
    for m in _FENCE.finditer(reply):
        info = m.group(1)
        if info.strip().lower() in _DIFF_LANGS:
            continue
        before = reply[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        path = _fence_path(info, before)
        if path:
            files[path] = m.group(2)
    return files


def _mark_no_newline(lines: list[str]) -> list[str]:
    """Add git's ``\\ No newline at end of file`` after a last line without one."""
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return out


def file_diff(path: str, old: str | None, new: str) -> str:
    """A unified diff that turns ``old`` (None: the file is new) into ``new``; "" when equal."""
    if old == new:
        return ""
    a = (old or "").splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    fromfile = f"a/{path}" if old is not None else "/dev/null"
    lines = list(difflib.unified_diff(a, b, fromfile=fromfile, tofile=f"b/{path}", n=3))
    if not lines:
        return ""
    header = f"diff --git a/{path} b/{path}\n" + ("new file mode 100644\n" if old is None else "")
    return header + "".join(_mark_no_newline(lines[:2])) + "".join(_mark_no_newline(lines[2:]))


def whole_files_to_diff(files: dict[str, str], read_original: Callable[[str], str | None]) -> str:
    """One diff for whole-file replacements; ``read_original`` gives a file's text or None if absent."""
    return "".join(file_diff(path, read_original(path), new) for path, new in sorted(files.items()))


def parse_reply(reply: str, read_original: Callable[[str], str | None]) -> ParsedPatch:
    """A reply's patch: a diff if it holds one, else its whole-file blocks converted to a diff."""
    if not reply.strip():
        return ParsedPatch("", "none", "empty reply")
    diff = diff_from_reply(reply)
    if diff:
        return ParsedPatch(diff, "diff")
    files = whole_files_from_reply(reply)
    if files:
        converted = whole_files_to_diff(files, read_original)
        if not converted:
            return ParsedPatch("", "whole_file", "whole-file blocks equal the current files (no change)")
        return ParsedPatch(converted, "whole_file")
    return ParsedPatch("", "none", "no ```diff block and no fenced block headed by a file path")


def changed_lines(diff: str) -> int:
    """Lines added plus lines removed (the diff's size as a reviewer sees it), file headers excluded."""
    lines = diff.splitlines()
    count = 0
    for i, line in enumerate(lines):
        header = line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ ")
        header = header or (line.startswith("+++ ") and i > 0 and lines[i - 1].startswith("--- "))
        if not header and line.startswith(("+", "-")):
            count += 1
    return count
