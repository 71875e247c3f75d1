"""reap(): labelled leftovers past their deadline are removed; live ones are not."""

from __future__ import annotations

import time

from sandbox import SandboxConfig, ensure_image, reap
from sandbox.client import get_client
from sandbox.config import COMMAND


def _leftover(expires: float, labels: dict[str, str], config: SandboxConfig) -> str:
    """A created (never started) sandbox container, as a crashed worker would leave it (with the run's label)."""
    api = get_client(config=config).api
    tags = {"bestofn.sandbox": "1", "bestofn.task": labels["task"], "bestofn.expires": str(int(expires)),
            **({"bestofn.run": config.run_id} if config.run_id else {})}
    return api.create_container(ensure_image(config=config), command=COMMAND, labels=tags, network_disabled=True)["Id"]


def _exists(cid: str, config: SandboxConfig) -> bool:
    return any(c["Id"] == cid for c in get_client(config=config).api.containers(all=True, filters={"id": cid}))


def test_reaper_removes_expired_and_keeps_live(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    expired = _leftover(time.time() - 5, labels, sandbox_config)
    live = _leftover(time.time() + 3600, labels, sandbox_config)
    try:
        assert reap(config=sandbox_config) >= 1
        assert not _exists(expired, sandbox_config)
        assert _exists(live, sandbox_config)
        time.sleep(1.1)
        # scoped: other sessions' live containers stay
        assert reap(older_than_s=0.5, labels=labels, config=sandbox_config) == 1
        assert not _exists(live, sandbox_config)
    finally:
        for cid in (expired, live):
            if _exists(cid, sandbox_config):
                get_client(config=sandbox_config).api.remove_container(cid, force=True)
