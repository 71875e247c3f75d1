"""/docs and /redoc render with no internet: headless Chromium that cannot resolve any host but 127.0.0.1.

Swagger UI and ReDoc are JavaScript apps: the served HTML is an empty shell, so only
the DOM after their scripts ran (operations listed) shows the assets really loaded.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bestofn.testing.procs import child_env, start_api

# Any host but 127.0.0.1 fails to resolve: a page needing a CDN would stay blank.
OFFLINE_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--virtual-time-budget=30000"]


@pytest.fixture
def api_url(pg_url: str, tmp_path: Path) -> Iterator[str]:
    """The real API as users run it (uvicorn on 127.0.0.1), API keys required: the docs stay public as before."""
    env = child_env(BESTOFN_DATABASE_URL=pg_url, BESTOFN_REQUIRE_API_KEY="true", BESTOFN_DATA_DIR=str(tmp_path))
    proc, url = start_api(env, tmp_path / "api.log")
    try:
        yield url
    finally:
        proc.stop()


def rendered_dom(url: str, profile: Path) -> str:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is missing: scripts/services.sh installs it"
    out = subprocess.run([chromium, *OFFLINE_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_pages_reference_only_their_own_assets(api_url: str) -> None:
    for path in ("/docs", "/redoc"):
        page = httpx.get(api_url + path)
        assert page.status_code == 200, (path, page.text[:200])
        refs = re.findall(r"""(?:src|href)\s*=\s*['"]([^'"]+)""", page.text) + re.findall(r"url: '([^']+)'", page.text)
        assert refs and all(r.startswith("/") for r in refs), (path, refs)
        for ref in refs:
            assert httpx.get(api_url + ref).status_code == 200, ref
    assert httpx.get(api_url + "/v1/tasks").status_code == 401  # the API itself still needs a key


def test_swagger_ui_renders_the_operations_offline(api_url: str, tmp_path: Path) -> None:
    dom = rendered_dom(api_url + "/docs", tmp_path / "profile")
    assert "opblock" in dom, dom[:2000]  # one block per operation, drawn by swagger-ui-bundle.js
    assert "/v1/tasks" in dom and "opblock-summary-method" in dom


def test_redoc_renders_the_operations_offline(api_url: str, tmp_path: Path) -> None:
    dom = rendered_dom(api_url + "/redoc", tmp_path / "profile")
    assert "redoc-wrap" in dom, dom[:2000]  # ReDoc's root, drawn by redoc.standalone.js
    assert "/v1/tasks" in dom and "Submit Task" in dom, dom[-2000:]
