"""SandboxConfig: the sandbox's one input about its deployment, built from settings in one place (pure)."""

from __future__ import annotations

import dataclasses

import pytest

from bestofn.schemas import Limits
from bestofn.schemas import TestSuite as Suite
from bestofn.settings import Settings
from sandbox import RunnerPool, SandboxConfig, run_inputs, run_many
from sandbox.config import resolve, sandbox_labels


def _setting(field: str) -> str:
    """The settings field a config field comes from."""
    return field if field in ("run_id", "docker_host") else f"sandbox_{field}"


def test_the_defaults_are_the_settings_defaults() -> None:
    assert Settings.model_construct().sandbox_config() == SandboxConfig()  # model_construct: no environment read


def test_every_field_comes_from_its_setting() -> None:
    changed = {"image": "img:1", "isolation": "per_candidate", "parallelism": 7, "timeout_s": 3.0, "memory_mb": 99,
               "cpus": 0.5, "pids_limit": 33, "tmpfs_mb": 12, "output_limit_bytes": 1234, "probe_timeout_s": 0.7, "probe_max_timeouts": 5,
               "user": "1000:1000", "grader_user": "1001:1001", "run_id": "r1", "docker_host": "unix:///x.sock",
               "debian_mirror": "http://mirror.example/debian", "warm_runners": False, "warm_idle_s": 5.0,
               "warm_max_uses": 9}
    assert set(changed) == {f.name for f in dataclasses.fields(SandboxConfig)}  # a new field needs its setting here
    assert all(getattr(SandboxConfig(), k) != v for k, v in changed.items())  # every value differs from the default
    settings = Settings.model_construct().model_copy(update={_setting(k): v for k, v in changed.items()})
    assert dataclasses.asdict(settings.sandbox_config()) == changed


def test_limits_come_from_the_config_and_a_run_overrides_time_and_memory() -> None:
    config = SandboxConfig(timeout_s=4.0, memory_mb=100, cpus=2.0, probe_timeout_s=3.0, user="1000:1000")
    rl = resolve(None, config)
    assert (rl.timeout_s, rl.memory_mb, rl.cpus, rl.probe_timeout_s, rl.user) == (4.0, 100, 2.0, 3.0, "1000:1000")
    rl = resolve(Limits(timeout_s=1.0, memory_mb=64), config)
    assert (rl.timeout_s, rl.memory_mb, rl.probe_timeout_s) == (1.0, 64, 1.0)


def test_the_run_label_comes_from_the_config() -> None:
    assert sandbox_labels({"task": "t"}, 10, "run7")["bestofn.run"] == "run7"
    assert "bestofn.run" not in sandbox_labels({"task": "t"}, 10, "")


def test_a_pool_of_another_config_is_refused_before_any_container() -> None:
    suite = Suite(format="humaneval", code="def check(candidate):\n    assert candidate(1) == 1\n")
    pool = RunnerPool(config=SandboxConfig(run_id="a"))  # starts nothing until a call needs a runner
    with pytest.raises(ValueError, match="^pool: "):
        run_many(["def f(x):\n    return x\n"], suite, "f", pool=pool, config=SandboxConfig(run_id="b"))
    with pytest.raises(ValueError, match="^pool: "):
        run_inputs(["def f(x):\n    return x\n"], ["(1,)"], "f", pool=pool, config=SandboxConfig(run_id="b"))
    assert pool.started == 0


def test_a_pool_takes_its_warm_settings_from_the_config() -> None:
    pool = RunnerPool(config=SandboxConfig(warm_idle_s=3.0, warm_max_uses=5))
    assert (pool.idle_s, pool.max_uses) == (3.0, 5)
    assert RunnerPool(config=SandboxConfig(), idle_s=1.0).idle_s == 1.0  # an explicit value wins
    assert RunnerPool(config=SandboxConfig()).max_uses == 200
