"""reap(): labelled leftovers past their deadline are removed; live ones are not."""

from __future__ import annotations

import time

from sandbox import ensure_image, reap
from sandbox.client import get_client
from sandbox.config import COMMAND


def _leftover(expires: float, labels: dict[str, str]) -> str:
    """A created (never started) sandbox container, as a crashed worker would leave it."""
    api = get_client().api
    tags = {"bestofn.sandbox": "1", "bestofn.task": labels["task"], "bestofn.expires": str(int(expires))}
    return api.create_container(ensure_image(), command=COMMAND, labels=tags, network_disabled=True)["Id"]


def _exists(cid: str) -> bool:
    return any(c["Id"] == cid for c in get_client().api.containers(all=True, filters={"id": cid}))


def test_reaper_removes_expired_and_keeps_live(labels: dict[str, str]) -> None:
    expired = _leftover(time.time() - 5, labels)
    live = _leftover(time.time() + 3600, labels)
    try:
        assert reap() >= 1
        assert not _exists(expired)
        assert _exists(live)
        time.sleep(1.1)
        assert reap(older_than_s=0.5, labels=labels) == 1  # scoped: other sessions' live containers stay
        assert not _exists(live)
    finally:
        for cid in (expired, live):
            get_client().api.remove_container(cid, force=True) if _exists(cid) else None
