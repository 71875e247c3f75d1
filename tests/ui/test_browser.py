"""A real browser (Debian's chromium via Selenium) against the real API, worker and scripted LLM.

Log in, submit through the form, watch the page reach ``done`` without a reload, open
the winner and a diff, read the decision's reason; a bad form shows field errors;
another key's task page is a 404; and no page sent a request anywhere but 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from bestofn.testing.fake_llm import Reply
from tests.e2e.conftest import Stack
from tests.pipeline import problems as P
from tests.ui.browser import Recorder, chromium
from tests.ui.conftest import form_for

WAIT_S = 120


def _login(rec: Recorder, base: str, token: str, then: str) -> None:
    d = rec.driver
    d.get(base + then)
    WebDriverWait(d, WAIT_S).until(lambda d: "/ui/login" in d.current_url)  # the page asked for a key
    d.find_element(By.ID, "key").send_keys(token)
    d.find_element(By.ID, "login").click()
    WebDriverWait(d, WAIT_S).until(lambda d: d.current_url == base + then)


def _fill(rec: Recorder, form: dict[str, str]) -> None:
    d = rec.driver
    for name, value in form.items():
        el = d.find_element(By.NAME, name)
        if el.tag_name == "select":
            el.find_element(By.CSS_SELECTOR, f"option[value='{value}']").click()
        else:
            el.clear()
            el.send_keys(value)
    d.find_element(By.ID, "submit").click()


@pytest.mark.browser
@pytest.mark.timeout(420)
def test_submit_watch_inspect_and_stay_on_127_0_0_1(ui_stack: Stack, tmp_path: Path) -> None:
    slow = 2.0  # each scripted reply takes this long, so the page is seen before the task ends
    ui_stack.fake.add("running_max", *(Reply(content=c, delay_s=slow)
                                       for c in (P.WRONG, P.SLOW_OK, P.FAST_OK, P.PARTLY_WRONG)))
    base = ui_stack.url
    with chromium(tmp_path / "profile") as rec:
        d = rec.driver
        _login(rec, base, ui_stack.token, "/ui/tasks/new")

        # a bad form: its errors next to the fields, nothing stored
        _fill(rec, form_for(prompt=" ", n="0"))
        shown = WebDriverWait(d, WAIT_S).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".field-error"))
        errors = {e.get_attribute("data-field"): e.text for e in shown}
        assert set(errors) == {"prompt", "n"}, errors
        assert "greater than or equal to 1" in errors["n"]
        assert ui_stack.http.get("/v1/tasks").json()["total"] == 0

        # a good one: the task page, live until done, without reloading
        _fill(rec, form_for())
        WebDriverWait(d, WAIT_S).until(lambda d: "/ui/tasks/" in d.current_url and "/new" not in d.current_url)
        task_id = d.current_url.rsplit("/", 1)[1]
        first = d.find_element(By.ID, "task-status").text
        assert first != "done", "the page should open while the task still runs"
        d.execute_script("window.__loadedOnce = true")  # a reload would wipe it
        WebDriverWait(d, WAIT_S).until(lambda d: d.find_element(By.ID, "task-status").text in {"done", "failed"})
        assert d.find_element(By.ID, "task-status").text == "done"
        assert d.execute_script("return window.__loadedOnce === true"), "the page reloaded"
        rec.drain()
        polls = [u for u in rec.requests if u == f"{base}/ui/tasks/{task_id}/live"]
        assert polls, "the page was not updated through its fragment"

        view = ui_stack.http.get(f"/v1/tasks/{task_id}").json()
        assert view["decision"]["reason"] in d.find_element(By.ID, "decision-reason").text
        winner = view["winner"]["index"]
        rec.screenshot("task")
        rec.screenshot("task-phone", phone=True)
        # readable on a phone: at 390 CSS pixels nothing makes the page scroll sideways (wide tables scroll in their box)
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1,
                                                                 "mobile": True})
        assert d.execute_script("return document.documentElement.scrollWidth") <= 390
        d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

        # open the winner
        d.find_element(By.ID, "open-winner").click()
        WebDriverWait(d, WAIT_S).until(lambda d: d.current_url.endswith(f"/candidates/{winner}"))
        assert d.find_element(By.ID, "is-winner").text == "winner"
        assert "running_max" in d.find_element(By.CSS_SELECTOR, ".hl").text

        # open a diff of a losing candidate against the winner
        d.back()
        WebDriverWait(d, WAIT_S).until(lambda d: d.find_elements(By.CSS_SELECTOR, "a.diff-link"))
        link = d.find_element(By.CSS_SELECTOR, "a.diff-link")
        loser = int(link.get_attribute("href").split("/candidates/")[1].split("#")[0])
        link.click()
        WebDriverWait(d, WAIT_S).until(lambda d: d.find_elements(By.ID, "diff-body"))
        diff = d.find_element(By.ID, "diff-body").text
        assert f"--- candidate {winner}" in diff and f"+++ candidate {loser}" in diff, diff
        rec.screenshot("diff")

        # the dashboard: its chart is drawn by the server and loads under the page's policy
        d.get(base + "/ui/stats")
        chart = d.find_element(By.ID, "stats-chart")
        WebDriverWait(d, WAIT_S).until(lambda d: d.execute_script("return arguments[0].complete", chart))
        assert d.execute_script("return arguments[0].naturalWidth", chart) > 0
        assert "tests" in d.find_element(By.ID, "stats-table").text
        rec.screenshot("dashboard")

        # another key: the same task page is a 404
        d.get(base + "/ui/")
        d.find_element(By.CSS_SELECTOR, "header button.link").click()  # log out
        WebDriverWait(d, WAIT_S).until(lambda d: "/ui/login" in d.current_url)
        _login(rec, base, ui_stack.extra["other"], "/ui/")
        assert task_id[:8] not in d.page_source
        d.get(f"{base}/ui/tasks/{task_id}")
        assert d.find_element(By.TAG_NAME, "h1").text == "404"
        rec.drain()
        assert rec.statuses.get(f"{base}/ui/tasks/{task_id}") == 404

    # every request any page made went to this API on 127.0.0.1 (stylesheets, scripts, polls, forms)
    assert any(u.endswith("/ui/static/ui.css") for u in rec.requests)
    assert any(u.endswith("/ui/static/live.js") for u in rec.requests)
    # (the browser's own chrome://, about: and data: pages are drawn in-process, not sent anywhere)
    network = [u for u in rec.requests if u.split(":", 1)[0] in {"http", "https", "ws", "wss", "ftp"}]
    assert len(network) > len(polls)
    outside = [u for u in network if not u.startswith(base + "/")]
    assert not outside, outside
    assert all(u.split(":", 1)[0] in {"chrome", "about", "data"} for u in rec.requests if u not in network)
