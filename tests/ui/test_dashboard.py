"""The dashboard and the evaluation pages over HTTP, against the real API and worker."""

from __future__ import annotations

import re
import time

from bestofn.evals.datasets import load_dataset
from tests.e2e.conftest import Stack
from tests.pipeline import problems as P
from tests.ui.conftest import browser_client, page_text


def test_the_dashboard_shows_the_keys_own_day_per_strategy_with_charts(ui_stack: Stack) -> None:
    ui_stack.fake.add("running_max", P.FAST_OK, P.WRONG)
    for strategy in ("tests", "single"):
        task_id = ui_stack.submit(P.problem(n=2, strategy=strategy).model_dump(mode="json", exclude_none=True))
        assert ui_stack.wait(task_id)["status"] == "done"
    api = ui_stack.http.get("/v1/stats", params={"days": 3}).json()["rows"]
    assert {r["strategy"] for r in api} == {"tests", "single"}
    me = browser_client(ui_stack, ui_stack.token)
    page = me.get("/ui/stats", params={"days": 3})
    assert page.status_code == 200
    rows = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d)</td><td>(\w+)</td><td class=\"num\">(\d+)</td>", page.text)
    assert sorted((s, int(n)) for _, s, n in rows) == sorted((r["strategy"], r["tasks"]) for r in api)
    tests_row = next(r for r in api if r["strategy"] == "tests")
    assert f"{tests_row['accuracy'] * 100:.0f}%" in page_text(page.text)
    chart = me.get("/ui/stats/chart.svg", params={"days": 3})
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in chart.content and b"Accuracy" in chart.content
    # another key has no tasks: its dashboard is empty
    theirs = browser_client(ui_stack, ui_stack.extra["other"]).get("/ui/stats", params={"days": 3})
    assert "No tasks in these days." in theirs.text


def test_an_evaluation_run_shows_pass_at_k_reranked_pass1_and_its_curve(ui_stack: Stack) -> None:
    he = load_dataset("humaneval")
    samples = [{"task_id": t, "completion": he[t].canonical_solution if j == 0 else "    return None\n"}
               for t in ("HumanEval/0", "HumanEval/2") for j in range(2)]
    r = ui_stack.http.post("/v1/evals", json={"dataset": "humaneval", "samples": samples, "ks": [1, 2],
                                              "timeout_s": 5, "name": "ui-run"})
    assert r.status_code == 202, r.text
    run_id = r.json()["id"]
    deadline = time.monotonic() + 300
    while (view := ui_stack.http.get(f"/v1/evals/{run_id}").json())["status"] not in {"done", "failed"}:
        assert time.monotonic() < deadline, view
        time.sleep(0.5)
    assert view["status"] == "done", view
    report = view["report"]
    me = browser_client(ui_stack, ui_stack.token)
    listing = me.get("/ui/evals/")
    assert listing.status_code == 200 and f'href="/ui/evals/{run_id}"' in listing.text and "ui-run" in listing.text
    page = me.get(f"/ui/evals/{run_id}")
    assert page.status_code == 200
    text = page_text(page.text)
    for k, v in report["pass_at_k"].items():
        assert re.search(rf"\b{k}\s+{v:.3f}\b", text), (k, v)
    assert report["rerank_pass_at_1"]
    for name, v in report["rerank_pass_at_1"].items():
        assert re.search(rf"\b{name}\s+{v:.3f}\b", text), (name, v)
    curve = me.get(f"/ui/evals/{run_id}/curve.png")
    assert curve.status_code == 200 and curve.content.startswith(b"\x89PNG")
    theirs = browser_client(ui_stack, ui_stack.extra["other"])
    assert theirs.get(f"/ui/evals/{run_id}").status_code == 404
    assert theirs.get(f"/ui/evals/{run_id}/curve.png").status_code == 404
    assert "ui-run" not in theirs.get("/ui/evals/").text
    assert ui_stack.http.get("/v1/evals").json()["total"] == 1
