"""The languages a problem may be written in, their accepted aliases, and the test formats each supports.

A pure contract shared by the core (``Problem.language``) and the sandbox (which image and
toolchain to use): one place says which (language, tests format) pairs exist, so the API,
the CLI and the sandbox refuse the same things. The toolchains themselves (packages,
compile and run commands) are the sandbox's: ``sandbox/languages.py``.
"""

from __future__ import annotations

from typing import Literal, get_args

Language = Literal["python", "javascript", "typescript", "go", "rust", "cpp", "java"]
LANGUAGES: tuple[str, ...] = get_args(Language)

ALIASES: dict[str, str] = {
    "py": "python", "python3": "python",
    "js": "javascript", "node": "javascript", "nodejs": "javascript",
    "ts": "typescript",
    "golang": "go",
    "rs": "rust",
    "c++": "cpp", "cxx": "cpp", "cc": "cpp",
}

# (language -> tests formats it can run); python's function formats run its code in-process
# behind the trusted grader, the others only as stdin/stdout programs so far
FORMATS: dict[str, tuple[str, ...]] = {
    "python": ("pytest", "humaneval", "io", "native"),
    **{name: ("io", "native") for name in LANGUAGES if name != "python"},
}


def canonical(name: object) -> object:
    """The canonical language name for ``name`` or one of its aliases (case-insensitive); anything
    else is returned unchanged, for the ``Language`` literal to refuse with the known names."""
    if not isinstance(name, str):
        return name
    key = name.strip().lower()
    return ALIASES.get(key, key if key in LANGUAGES else name)


def format_error(language: str, fmt: str) -> str | None:
    """Why ``fmt`` tests cannot run in ``language``, or None when they can."""
    allowed = FORMATS.get(language, ())
    if fmt in allowed:
        return None
    return f"{fmt!r} tests run only in {', '.join(n for n in LANGUAGES if fmt in FORMATS[n]) or 'no language'}; " \
           f"{language} supports {', '.join(repr(f) for f in allowed)}"
