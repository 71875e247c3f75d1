"""The pages over HTTP against the real API process and worker, API keys required."""

from __future__ import annotations

import html
import re

from sqlalchemy import create_engine

from bestofn.models import Task
from bestofn.security.auth import KEY_COOKIE
from bestofn.security.keys import verify_token
from bestofn.store import TaskStore
from tests.e2e.conftest import Stack
from tests.pipeline import problems as P
from tests.ui.conftest import browser_client, form_for, page_text


def test_pages_need_a_key_and_the_login_cookie_is_locked_down(ui_stack: Stack) -> None:
    anon = browser_client(ui_stack)
    r = anon.get("/ui/tasks/new")
    assert r.status_code == 303 and r.headers["location"] == "/ui/login?next=/ui/tasks/new"
    assert anon.get("/ui/login").status_code == 200
    bad = anon.post("/ui/login", data={"key": "bon_nope_nope", "next": "/ui/"})
    assert bad.status_code == 401 and "API key not valid" in bad.text
    ok = anon.post("/ui/login", data={"key": ui_stack.token, "next": "https://elsewhere.example/"})
    assert ok.status_code == 303 and ok.headers["location"] == "/ui/"  # no redirect off the site
    cookie = ok.headers["set-cookie"]
    assert cookie.startswith(f"{KEY_COOKIE}={ui_stack.token}")
    for attr in ("HttpOnly", "Secure", "SameSite=strict", "Path=/ui"):
        assert attr.lower() in cookie.lower(), (attr, cookie)
    me = browser_client(ui_stack, ui_stack.token)
    page = me.get("/ui/")
    assert page.status_code == 200 and "Tasks" in page.text
    # the cookie opens the pages only: the JSON API still wants the header, so no other site's form can use it
    assert me.get("/v1/tasks").status_code == 401
    assert browser_client(ui_stack, "bon_nope_nope").get("/ui/").status_code == 303


def test_every_page_sends_a_strict_csp_and_references_only_its_own_assets(ui_stack: Stack) -> None:
    me = browser_client(ui_stack, ui_stack.token)
    for path in ("/ui/", "/ui/tasks/new", "/ui/login"):
        r = me.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-security-policy"].startswith("default-src 'self'"), path
        refs = re.findall(r"""(?:src|href|action)\s*=\s*['"]([^'"]+)""", r.text)
        assert refs and all(ref.startswith("/") and not ref.startswith("//") for ref in refs), (path, refs)
        for ref in {ref for ref in refs if "/static/" in ref or ref.endswith(".css")}:
            assert me.get(ref).status_code == 200, ref
        assert "style=" not in r.text and "<script>" not in r.text  # nothing inline: the CSP would block it


def test_the_form_refuses_what_the_api_refuses_with_the_same_messages(ui_stack: Stack) -> None:
    me = browser_client(ui_stack, ui_stack.token)
    cases = [
        (form_for(prompt="   "), {"prompt": "   ", "entry_point": "running_max",
                                   "tests": {"format": "humaneval", "code": P.CHECK}, "n": "4", "strategy": "tests"}),
        (form_for(n="0"), None),
        (form_for(n="many"), None),
        (form_for(n="100000"), None),  # the service's limit (create_task), not the schema's
        (form_for(entry_point="not a name"), None),
        (form_for(entry_point=""), None),  # humaneval tests need one
        (form_for(**{"tests.format": "io"}), None),  # check() source is not JSON io pairs
        (form_for(strategy="best"), None),
    ]
    for form, body in cases:
        body = body or {k: v for k, v in {
            "prompt": form["prompt"], "entry_point": form["entry_point"] or None, "n": form["n"],
            "strategy": form["strategy"], "tests": {"format": form["tests.format"], "code": form["tests.code"]},
        }.items() if v is not None}
        api = ui_stack.http.post("/v1/tasks", json=body)
        assert api.status_code == 422, (form, api.text)
        expected = {(".".join(str(p) for p in e["loc"] if p != "body"), e["msg"]) for e in api.json()["detail"]}
        page = me.post("/ui/tasks/new", data=form)
        assert page.status_code == 422, (form, page.text[:500])
        shown = {(f, html.unescape(m)) for f, m in re.findall(r'data-field="([^"]+)">([^<]*)</p>', page.text)}
        general = {html.unescape(m) for m in re.findall(r'general-error">([^<]*)</p>', page.text)}
        for field, msg in expected:
            assert (("tests.code" if field == "tests" else field), msg) in shown or f"{field}: {msg}" in general, \
                (field, msg, shown, general)
        # what was typed stays in the form
        typed = re.search(r'<textarea id="prompt"[^>]*>(.*?)</textarea>', page.text, re.S)
        assert typed and html.unescape(typed.group(1)) == form["prompt"]
        assert f'id="n" name="n" value="{html.escape(form["n"])}"' in page.text
    assert ui_stack.http.get("/v1/tasks").json()["total"] == 0  # nothing refused was stored


def test_a_task_submitted_through_the_form_shows_its_decision_candidates_and_diff(ui_stack: Stack) -> None:
    ui_stack.fake.add("running_max", P.WRONG, P.SLOW_OK, P.FAST_OK, P.PARTLY_WRONG)
    me = browser_client(ui_stack, ui_stack.token)
    r = me.post("/ui/tasks/new", data=form_for())
    assert r.status_code == 303, r.text[:500]
    task_id = r.headers["location"].rsplit("/", 1)[1]
    view = ui_stack.wait(task_id)
    assert view["status"] == "done", view
    winner = view["winner"]["index"]
    page = me.get(f"/ui/tasks/{task_id}")
    assert page.status_code == 200
    text = page_text(page.text)
    assert view["decision"]["reason"] in text
    assert f"Candidate {winner} won by tests" in text
    assert f'href="/ui/tasks/{task_id}/candidates/{winner}"' in page.text
    for c in view["candidates"]:
        assert f'id="cand-{c["index"]}"' in page.text
    assert "generation" in text and "ranking" in text  # usage split
    assert 'class="hl"' in page.text  # highlighted code
    assert page.text.count('data-final="yes"') == 1
    # the failing candidate's failing test output is on the page
    wrong = next(c for c in view["candidates"] if "sorted(xs)" in c["code"])
    failing = [t for t in wrong["execution"]["tests"] if t["outcome"] != "passed"]
    assert failing and all(html.escape(t["message"]) in page.text for t in failing if t["message"])
    # the live fragment is the same view
    live = me.get(f"/ui/tasks/{task_id}/live")
    assert live.status_code == 200 and view["decision"]["reason"] in page_text(live.text)
    # a diff of the wrong candidate against the winner
    diff = me.get(f"/ui/tasks/{task_id}/candidates/{wrong['index']}")
    assert diff.status_code == 200
    dtext = page_text(diff.text)
    assert f"--- candidate {winner}" in dtext and f"+++ candidate {wrong['index']}" in dtext
    assert "+    return sorted(xs)" in dtext
    assert f"Diff against candidate {winner} (the winner)" in dtext
    assert me.get(f"/ui/tasks/{task_id}/candidates/99").status_code == 404
    # listed, and filtered out by another status
    listing = me.get("/ui/")
    assert task_id[:8] in listing.text and "100%" in listing.text
    assert task_id[:8] not in me.get("/ui/", params={"status": "failed"}).text
    assert task_id[:8] in me.get("/ui/", params={"status": "done", "strategy": "tests"}).text


def test_another_keys_task_is_a_404_on_every_page(ui_stack: Stack) -> None:
    ui_stack.fake.add("running_max", P.FAST_OK)
    task_id = ui_stack.submit(P.problem(n=1).model_dump(mode="json", exclude_none=True))
    ui_stack.wait(task_id)
    mine = browser_client(ui_stack, ui_stack.token)
    assert mine.get(f"/ui/tasks/{task_id}").status_code == 200
    theirs = browser_client(ui_stack, ui_stack.extra["other"])
    for path in (f"/ui/tasks/{task_id}", f"/ui/tasks/{task_id}/live", f"/ui/tasks/{task_id}/candidates/0"):
        r = theirs.get(path)
        assert r.status_code == 404, (path, r.status_code)
        assert "not found" in r.text and "<html" in r.text  # an HTML page, not the API's JSON
    assert task_id[:8] not in theirs.get("/ui/").text
    assert theirs.get("/ui/tasks/not-an-id").status_code == 404


def test_pagination_walks_every_task_once(ui_stack: Stack) -> None:
    engine = create_engine(ui_stack.env["BESTOFN_DATABASE_URL"])
    key_id = verify_token(engine, ui_stack.token).id  # type: ignore[union-attr]
    ids = []
    with TaskStore(engine).session() as s:  # rows only: no worker runs them
        for i in range(23):
            t = Task(status="failed", strategy="single", model="m", n=1, problem={"prompt": f"p{i}"}, api_key_id=key_id)
            s.add(t)
            ids.append(t.id)
        s.commit()
    engine.dispose()
    me = browser_client(ui_stack, ui_stack.token)
    seen = []
    for page in (1, 2):
        text = me.get("/ui/", params={"page": page, "strategy": "single"}).text
        seen += re.findall(r'href="/ui/tasks/([0-9a-f]{32})"', text)
        assert f"page {page} of 2" in text
    assert sorted(seen) == sorted(ids)
    bad = me.get("/ui/", params={"page": 0})  # a bad query is a page naming the field, not the API's JSON
    assert bad.status_code == 422 and "<html" in bad.text and "invalid field(s): page" in bad.text
    assert me.get("/v1/tasks", params={"limit": 0}, headers={"Authorization": f"Bearer {ui_stack.token}"}).json()[
        "message"].startswith("invalid field(s)")
