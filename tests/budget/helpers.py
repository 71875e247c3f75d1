"""Policy text and settings for the budget tests: a priced model and a policy file per test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bestofn.budget.policy import DEFAULT_POLICY, Policy, parse_policy
from bestofn.schemas import Problem
from bestofn.schemas import TestSuite as Suite
from bestofn.settings import Settings
from tests.pipeline import problems as P

PRICED = "priced-model"
# USD per 1M tokens (input, output): high enough that single requests cost visible amounts
PRICES = {PRICED: (10.0, 30.0)}


def policy_text(**replace: str) -> str:
    """The shipped policy with whole lines replaced: ``daily_budget_usd="daily_budget_usd = 1.0"``."""
    lines = DEFAULT_POLICY.read_text().splitlines()
    for key, line in replace.items():
        hits = [i for i, old in enumerate(lines) if old.split("=")[0].strip() == key]
        assert hits, f"no line for {key}"
        lines[hits[0]] = line
    return "\n".join(lines) + "\n"


def policy(**replace: str) -> Policy:
    return parse_policy(policy_text(**replace), "test.toml")


def settings(tmp_path: Path, text: str | None = None, **overrides: Any) -> Settings:
    """Settings with the priced model and a policy file written to ``tmp_path``."""
    path = tmp_path / "policy.toml"
    path.write_text(text if text is not None else policy_text())
    values: dict[str, Any] = {"price_table": PRICES, "model": PRICED, "policy_file": path}
    values.update(overrides)
    return Settings(**values)


def problem(**fields: Any) -> Problem:
    """running_max with its HumanEval check; no tier, n, temperature or strategy unless given."""
    data: dict[str, Any] = {"prompt": P.PROMPT, "entry_point": "running_max",
                            "tests": Suite(format="humaneval", code=P.CHECK)}
    data.update(fields)
    return Problem.model_validate(data)
