"""The example GitHub Actions workflow stays in step with the real CLI."""

from __future__ import annotations

import re
from pathlib import Path

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
    run = next(s["run"] for s in job["steps"] if "bestofn bot propose" in s.get("run", ""))
    used = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", run))
    command = typer.main.get_command(app).commands["propose"]  # type: ignore[attr-defined]
    known = {opt for p in command.params for opt in p.opts}
    assert used <= known, f"unknown flags in the example: {used - known}"
    assert {"--github", "--repo-slug", "--out", "--report"} <= used
    uploads = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert "bestofn.patch.diff" in uploads["with"]["path"] and uploads["if"] == "always()"
