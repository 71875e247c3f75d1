"""Headless Debian chromium driven by Selenium, recording every request its pages make.

The performance log (Chrome DevTools Network events) lists each request a page sent,
so a test can assert none left 127.0.0.1. Flags: headless, no sandbox (tests run as
root), no background networking; any host but 127.0.0.1 fails to resolve, and the
log still shows a request that tried.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-extensions", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--window-size=1280,1600"]


@dataclass
class Recorder:
    """Requests and responses seen so far (``get_log`` drains Chrome's buffer, so they are kept here)."""

    driver: webdriver.Chrome
    requests: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)

    def screenshot(self, name: str, phone: bool = False) -> None:
        """The whole page as PNG into $BESTOFN_UI_SCREENSHOTS (scripts/ui_screenshots.sh sets it for the README);
        ``phone``: at a phone's width (390 CSS pixels)."""
        folder = os.environ.get("BESTOFN_UI_SCREENSHOTS")
        if not folder:
            return
        if phone:
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                        {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
        size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 5000), "scale": 1}
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                                      "clip": clip})
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))
        if phone:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def drain(self) -> None:
        for entry in self.driver.get_log("performance"):
            msg: dict[str, Any] = json.loads(entry["message"])["message"]
            params = msg.get("params", {})
            if msg.get("method") == "Network.requestWillBeSent":
                self.requests.append(params["request"]["url"])
            elif msg.get("method") == "Network.responseReceived":
                self.statuses[params["response"]["url"]] = int(params["response"]["status"])


@contextmanager
def chromium(profile: Path, timeout_s: float = 60) -> Iterator[Recorder]:
    """A headless browser with page-load and script timeouts, always quit."""
    binary, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary and driver_path, "chromium and chromium-driver are missing: scripts/services.sh installs them"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(timeout_s)
    driver.set_script_timeout(timeout_s)
    try:
        yield Recorder(driver)
    finally:
        driver.quit()
