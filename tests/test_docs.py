"""The README stays in step with the code: every setting is documented, the commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from bestofn.cli import app
from bestofn.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_in_the_readme() -> None:
    missing = [f"BESTOFN_{name.upper()}" for name, field in Settings.model_fields.items()
               if field.validation_alias is None and f"BESTOFN_{name.upper()}" not in README]
    assert not missing, f"README lacks {missing}: regenerate with .venv/bin/python scripts/settings_table.py"


def test_readme_commands_exist() -> None:
    """Every `bestofn <cmd>` the README shows is a real command."""
    runner = CliRunner()
    blocks = "\n".join(re.findall(r"```[a-z]*\n(.*?)```", README, re.DOTALL))
    shown = set(re.findall(r"^\s*(?:\.venv/bin/)?bestofn ([a-z][a-z-]*(?: [a-z][a-z-]*)?)", blocks, re.MULTILINE))
    assert shown, "the README shows no bestofn command"
    unknown = {c for c in shown if runner.invoke(app, [*c.split()[:1], "--help"]).exit_code != 0}
    assert not unknown, unknown
