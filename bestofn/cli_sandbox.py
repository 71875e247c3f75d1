"""``bestofn sandbox ...``: run one solution in the sandbox, build the image, reap leftovers.

Exit codes: 0 when the sandbox worked (whatever the candidate did), 1 for bad
input (one line on stderr), 2 when Docker or the image build is unavailable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from docker.errors import DockerException
from pydantic import ValidationError

from bestofn.errors import ProblemRejected
from bestofn.languages import LANGUAGES, canonical
from bestofn.schemas import Limits, TestSuite
from bestofn.settings import get_settings

app = typer.Typer(help="The hardened Docker sandbox: run a solution against tests, build the image, reap leftovers.")

FORMATS = ("pytest", "humaneval", "io")
ISOLATIONS = ("per_candidate", "per_task")


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        _fail(f"{what} file not found: {path}")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {what} file {path}: {exc}")
    raise AssertionError("unreachable")


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        exc = ProblemRejected.from_validation(exc)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


@app.command()
def run(
    solution: Path = typer.Option(..., "--solution", help="File with the candidate (full program text)."),
    tests: Path = typer.Option(..., "--tests", help="Test file: pytest source, HumanEval check(), or io JSON."),
    format: str = typer.Option(..., "--format", help="pytest | humaneval | io"),
    entry_point: Optional[str] = typer.Option(None, "--entry-point", help="Function under test (humaneval)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="Seconds for the whole test run."),
    memory: Optional[int] = typer.Option(None, "--memory", help="Memory limit in MB."),
    isolation: str = typer.Option("per_candidate", "--isolation", help="per_candidate | per_task"),
    language: str = typer.Option("python", "--language", help=f"{' | '.join(LANGUAGES)} (or an alias: js, ts, c++...)"),
) -> None:
    """Run SOLUTION against TESTS in a fresh sandbox; print the result as one JSON object."""
    from sandbox import SandboxUnavailable, run_candidate, run_many
    from sandbox.build import ImageBuildError

    if format not in FORMATS:
        _fail(f"--format must be one of {', '.join(FORMATS)} (got {format!r})")
    if isolation not in ISOLATIONS:
        _fail(f"--isolation must be one of {', '.join(ISOLATIONS)} (got {isolation!r})")
    code = _read(solution, "solution")
    test_code = _read(tests, "tests")
    try:
        suite = TestSuite(format=format, code=test_code)
        limits = Limits(timeout_s=timeout, memory_mb=memory)
        config = get_settings().sandbox_config()
        if isolation == "per_task":
            result = run_many([code], suite, entry_point, limits, mode="per_task", config=config,
                              language=language)[0]
        else:
            result = run_candidate(code, suite, entry_point, limits, config=config, language=language)
    except (ValidationError, ValueError) as exc:
        _fail(_one_line(exc))
    except (SandboxUnavailable, ImageBuildError, DockerException) as exc:
        _fail(f"sandbox unavailable: {_one_line(exc)}", 2)
    typer.echo(json.dumps(result.model_dump(mode="json")))


def _languages(names: list[str]) -> list[str]:
    """``--language`` values (repeatable; ``all``) as canonical names, or one line and exit 1."""
    if not names or "all" in names:
        return list(LANGUAGES)
    out = []
    for name in names:
        lang = canonical(name)
        if lang not in LANGUAGES:
            _fail(f"--language: unknown {name!r}; known: {', '.join(LANGUAGES)} or all")
        out.append(str(lang))
    return list(dict.fromkeys(out))


@app.command()
def build(
    language: list[str] = typer.Option([], "--language", help="A language to build (repeatable), or all (default)."),
    force: bool = typer.Option(False, "--force", help="Rebuild even if the image exists."),
) -> None:
    """Build the sandbox images of some languages ahead of first use, in parallel; print one tag per line."""
    from concurrent.futures import ThreadPoolExecutor

    from sandbox import SandboxUnavailable
    from sandbox.build import ImageBuildError, build_image

    wanted = _languages(language)
    config = get_settings().sandbox_config()
    try:
        with ThreadPoolExecutor(max_workers=len(wanted)) as threads:  # locked per tag: languages build side by side
            tags = list(threads.map(lambda lang: build_image(force=force, config=config, language=lang), wanted))
    except (SandboxUnavailable, ImageBuildError, DockerException) as exc:
        _fail(_one_line(exc), 2)
    for lang, tag in zip(wanted, tags):
        typer.echo(f"{lang}\t{tag}")


@app.command("build-image")
def build_image_cmd(force: bool = typer.Option(False, "--force", help="Rebuild even if the image exists.")) -> None:
    """Build the sandbox image offline (debootstrap + docker import); print its tag."""
    from sandbox import SandboxUnavailable
    from sandbox.build import ImageBuildError, build_image

    try:
        typer.echo(build_image(force=force, config=get_settings().sandbox_config()))
    except (SandboxUnavailable, ImageBuildError, DockerException) as exc:
        _fail(_one_line(exc), 2)


@app.command()
def reap(
    older_than: Optional[float] = typer.Option(None, "--older-than", min=0,
                                               help="Also remove sandboxes older than S seconds."),
) -> None:
    """Remove leftover sandbox containers past their deadline; print how many."""
    from sandbox import SandboxUnavailable
    from sandbox import reap as reap_containers

    try:
        typer.echo(reap_containers(older_than, config=get_settings().sandbox_config()))
    except (SandboxUnavailable, DockerException) as exc:
        _fail(_one_line(exc), 2)
