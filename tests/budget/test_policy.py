"""Policy file: the shipped default loads; every mistake names the file and the key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bestofn.budget.policy import DEFAULT_POLICY, PolicyError, load_policy, parse_policy, policy_path
from bestofn.settings import Settings
from tests.budget.helpers import policy_text


def test_shipped_default_loads_with_three_tiers() -> None:
    p = load_policy(Settings(policy_file=None))
    assert list(p.tiers) == ["easy", "standard", "hard"]
    assert p.routing.default_tier == "standard" and p.routing.probe_tier == "easy"
    assert p.tier("easy").temperature == 0.0 and p.tier("easy").n == 1
    assert p.tier("standard").n is None  # follows settings.default_n
    assert p.guardrails.on_over_budget == "downgrade"


def test_setting_points_at_another_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(policy_text(daily_budget_usd="daily_budget_usd = 3.5"))
    s = Settings(policy_file=path)
    assert policy_path(s) == path
    assert load_policy(s).guardrails.daily_budget_usd == 3.5


def test_env_var_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "env.toml"
    path.write_text(policy_text())
    monkeypatch.setenv("BESTOFN_POLICY_FILE", str(path))
    assert policy_path(Settings()) == path


def test_edit_is_picked_up_without_restart(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(policy_text())
    s = Settings(policy_file=path)
    assert load_policy(s).guardrails.daily_budget_usd == 25.0
    path.write_text(policy_text(daily_budget_usd="daily_budget_usd = 7.0"))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert load_policy(s).guardrails.daily_budget_usd == 7.0


@pytest.mark.parametrize("replace,needle", [
    ({"on_over_budget": 'on_over_budget = "spend_anyway"'}, "key 'guardrails.on_over_budget'"),
    ({"daily_budget_usd": "daily_budget_usd = -1"}, "key 'guardrails.daily_budget_usd'"),
    ({"alert_threshold": "alert_threshold = 1.5"}, "key 'guardrails.alert_threshold'"),
    ({"n": "n = 0"}, "key 'tiers.easy.n'"),
    ({"temperature": "temperature = 3"}, "key 'tiers.easy.temperature'"),
    ({"strategy": 'strategy = "best_guess"'}, "key 'tiers.easy.strategy'"),
    ({"default_tier": 'default_tier = "ultra"'}, "routing.default_tier: no tier 'ultra'"),
    ({"probe_tier": 'probe_tier = "nope"'}, "routing.probe_tier: no tier 'nope'"),
])
def test_bad_values_name_file_and_key(replace: dict[str, str], needle: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(policy_text(**replace), "/etc/bestofn/policy.toml")
    message = str(info.value)
    assert message.startswith("/etc/bestofn/policy.toml: "), message
    assert needle in message, message


def test_unknown_key_is_an_error_not_ignored() -> None:
    text = policy_text(max_tokens_per_task="max_token_per_task = 100")  # typo
    with pytest.raises(PolicyError, match=r"key 'guardrails\.(max_tokens_per_task|max_token_per_task)'"):
        parse_policy(text, "p.toml")


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"^p\.toml: not valid TOML"):
        parse_policy("[routing\n", "p.toml")
    missing = tmp_path / "absent.toml"
    with pytest.raises(PolicyError, match=r"absent\.toml: cannot read the policy file.*BESTOFN_POLICY_FILE"):
        load_policy(Settings(policy_file=missing))


def test_the_shipped_file_is_package_data() -> None:
    assert DEFAULT_POLICY.is_file() and DEFAULT_POLICY.parent.name == "policies"
