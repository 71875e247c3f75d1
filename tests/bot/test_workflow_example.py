"""The example GitHub Actions workflow stays in step with the real CLI."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import typer.main
import yaml

from bestofn.cli_bot import app

WORKFLOW = Path(__file__).resolve().parents[2] / "examples" / "github-actions-bestofn-bot.yml"


def test_workflow_runs_on_failure_and_uses_only_real_flags() -> None:
    doc = yaml.safe_load(WORKFLOW.read_text())
    assert doc[True]["workflow_run"]["types"] == ["completed"]  # YAML 1.1 reads the key `on` as True
    job = doc["jobs"]["propose"]
    assert "failure" in job["if"]
    assert doc["permissions"]["pull-requests"] == "write"
    run = next(s["run"] for s in job["steps"] if s.get("id") == "bot")  # the "Propose a patch" step
    used = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", run))
    command = typer.main.get_command(app).commands["propose"]  # type: ignore[attr-defined]
    known = {opt for p in command.params for opt in p.opts}
    assert used <= known, f"unknown flags in the example: {used - known}"
    assert {"--github", "--repo-slug", "--out", "--report"} <= used
    uploads = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert "bestofn.patch.diff" in uploads["with"]["path"] and uploads["if"] == "always()"


def _install_step() -> dict:
    doc = yaml.safe_load(WORKFLOW.read_text())
    return next(s for s in doc["jobs"]["propose"]["steps"] if "pip install" in s.get("run", "")
                and "BESTOFN_SOURCE" in s.get("env", {}))


def test_workflow_never_installs_the_unrelated_pypi_project() -> None:
    """``pip install bestofn`` installs an unrelated PyPI project: the example installs from BESTOFN_SOURCE."""
    text = WORKFLOW.read_text()
    assert not re.search(r"pip install\s+['\"]?bestofn(?![\w.-])", text, re.IGNORECASE)
    assert "'bestofn'" not in text and '"bestofn"' not in text  # no bare-name default anywhere
    assert "BESTOFN_SOURCE" in text.split("name: bestofn bot")[0], "BESTOFN_SOURCE is not documented in the header"
    step = _install_step()
    assert step["env"]["BESTOFN_SOURCE"] == "${{ vars.BESTOFN_SOURCE }}"


def _run_install(tmp_path: Path, source: str | None) -> tuple[subprocess.CompletedProcess[str], str]:
    """The install step's script under bash, with stand-ins for python and bestofn that log their arguments."""
    stubs = tmp_path / "bin"
    stubs.mkdir(exist_ok=True)
    log = tmp_path / "calls.log"
    for name in ("python", "bestofn"):
        (stubs / name).write_text(f'#!/bin/sh\necho "{name} $*" >> {log}\n')
        (stubs / name).chmod(0o755)
    env = {"PATH": f"{stubs}:{os.environ['PATH']}", **({"BESTOFN_SOURCE": source} if source is not None else {})}
    out = subprocess.run(["bash", "-e", "-c", _install_step()["run"]], env=env, capture_output=True, text=True,
                         timeout=30)
    return out, log.read_text() if log.exists() else ""


@pytest.mark.parametrize("source", [None, "", "bestofn", "BestOfN", "bestofn==0.1.0", "bestofn>=0.1", "bestofn[demo]"])
def test_install_step_refuses_a_missing_or_bare_name(tmp_path: Path, source: str | None) -> None:
    out, calls = _run_install(tmp_path, source)
    assert out.returncode == 1 and "::error::" in out.stdout, out
    assert calls == ""  # pip never ran


@pytest.mark.parametrize("source", ["git+https://github.com/example/bestofn@v0.1.0",
                                    "https://example.invalid/bestofn-0.1.0-py3-none-any.whl"])
def test_install_step_installs_this_project_and_checks_it(tmp_path: Path, source: str) -> None:
    out, calls = _run_install(tmp_path, source)
    assert out.returncode == 0, out
    assert calls.splitlines() == [f"python -m pip install {source}", "bestofn bot propose --help"]
