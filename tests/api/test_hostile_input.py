"""Hostile input, route by route: never a 500, a traceback or SQL, and nothing stored is lost.

The sweep is driven by the app itself: every route it serves (REST, the UI's pages, the
docs) gets generated path ids, query values and bodies, so a route added later is swept
without anyone listing it here. A body is a valid one with one field (found from the
pydantic model, nested fields too) replaced by a hostile value, removed, or joined by an
unknown one. Every answer must be below 500, carry no Python or SQL text, and on the JSON
API a 4xx must be a JSON body naming what was wrong. A task and an evaluation run stored
before the sweep read back the same after it.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from api.main import create_app
from bestofn.db import get_engine
from bestofn.evals.models import EvalCreate
from bestofn.schemas import Problem
from bestofn.settings import Settings, get_settings

EXAMPLES = 20  # per route and per body model: the whole sweep stays within seconds
LEAKS = re.compile(r"Traceback \(most recent call last\)|sqlalchemy|psycopg|SELECT |INSERT |UPDATE |\bFile \"/")
SWEEP = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                 suppress_health_check=list(HealthCheck))

CHECK = "def check(candidate):\n    assert candidate(1) == 1\n"
VALID_TASK = {"prompt": "Return x.", "entry_point": "f", "tests": {"format": "humaneval", "code": CHECK},
              "n": 1, "limits": {"timeout_s": 5, "memory_mb": 256}}
VALID_EVAL = {"samples": [{"task_id": "HumanEval/0", "completion": "    return True\n"}], "ks": [1],
              "name": "sweep"}
BODIES: dict[type[BaseModel], dict[str, Any]] = {Problem: VALID_TASK, EvalCreate: VALID_EVAL}

# -- hostile values -------------------------------------------------------------------------------
TEXTS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "a\x00b", "\ud800", "x\udfff", "\n\r\t", "../../etc/passwd", "%00", "%ff",
                     "' OR 1=1 --", "\u202e", "NaN", "-1", "1e9", "0" * 40, "g" * 32, "HumanEval/0", "python"]),
    st.just("x" * 300_000),
)
NUMBERS = st.one_of(st.integers(), st.sampled_from([-1, 0, 1, 2**31, 2**63, -(2**63) - 1, 10**30]),
                    st.floats(allow_nan=True, allow_infinity=True))
LEAVES = st.one_of(st.none(), st.booleans(), NUMBERS, TEXTS)
HOSTILE = st.one_of(
    st.recursive(LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                 st.dictionaries(TEXTS, inner, max_size=3)), max_leaves=6),
    st.just([0] * 100_001),  # past every list limit, under the body limit
    st.just(["HumanEval/0"] * 200_000),  # past the body limit
)
URL_TEXTS = TEXTS.map(lambda s: s[:10_000])  # a client refuses URLs past 64 KiB before sending them
QUERY_VALUES = st.one_of(URL_TEXTS, NUMBERS.map(str), st.sampled_from(["-1", "0", "1e9", "abc", "", "NaN", "Infinity",
                                                                   "9" * 40, "done", "auto"]))
PATH_VALUES = st.one_of(URL_TEXTS, st.sampled_from(["0" * 32, "f" * 32, "A" * 32, "x" * 10_000, "..", "../..", "-1",
                                                "99999999999999999999999"]))


def _encode(value: str, safe: str = "") -> str:
    return quote(value, safe=safe, errors="surrogatepass")


def _json(body: Any) -> bytes:
    """JSON as a hostile client sends it: NaN and Infinity tokens, lone surrogates as \\ud800 escapes."""
    return json.dumps(body, allow_nan=True).encode()


# -- what a body model's fields are ---------------------------------------------------------------
def _models_in(annotation: Any) -> Iterator[tuple[tuple[Any, ...], type[BaseModel]]]:
    """Pydantic models inside an annotation: directly (``()``), or as list items (``(0,)``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield (), annotation
        return
    origin = typing.get_origin(annotation)
    for arg in typing.get_args(annotation):
        for prefix, model in _models_in(arg):
            yield ((0, *prefix) if origin is list else prefix), model


def field_paths(model: type[BaseModel]) -> list[tuple[Any, ...]]:
    """Every field of ``model`` and of the models nested in it, as paths into a body."""
    paths: list[tuple[Any, ...]] = []
    for name, info in model.model_fields.items():
        paths.append((name,))
        for prefix, inner in _models_in(info.annotation):
            paths += [(name, *prefix, *sub) for sub in field_paths(inner)]
    return paths


def _mutated(body: dict[str, Any], path: tuple[Any, ...], how: str, value: Any) -> Any:
    """A deep copy of ``body`` with the field at ``path`` set to ``value``, removed, or joined by an unknown one."""
    out = json.loads(json.dumps(body))
    parent: Any = out
    for step in path[:-1]:
        if isinstance(parent, dict):
            parent = parent.setdefault(step, {})
        elif isinstance(parent, list) and isinstance(step, int) and step < len(parent):
            parent = parent[step]
        else:
            return out
    last = path[-1]
    if isinstance(parent, list):
        if isinstance(last, int) and last < len(parent):
            parent[last] = value
        return out
    if how == "remove":
        parent.pop(last, None)
    elif how == "unknown":
        parent[f"{last}_unknown"] = value
    else:
        parent[last] = value
    return out


# -- the app and what it stores -------------------------------------------------------------------
def _app(pg_url: str, monkeypatch: pytest.MonkeyPatch, **settings: Any) -> Iterator[TestClient]:
    """The real app on this test's database (every engine of the process, the key checks' too);
    server exceptions become answers, as in production."""
    monkeypatch.setenv("BESTOFN_DATABASE_URL", pg_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    app = create_app(Settings(api_rate_per_s=0, api_max_active_tasks=0, **settings))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture
def client(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    yield from _app(pg_url, monkeypatch, require_api_key=False)


@pytest.fixture
def stored(client: TestClient) -> dict[str, dict[str, Any]]:
    """A task and an evaluation run stored before the sweep, as the API reads them back."""
    task = client.post("/v1/tasks", json=VALID_TASK)
    run = client.post("/v1/evals", json={**VALID_EVAL, "name": "kept"})
    assert task.status_code == 202 and run.status_code == 202, (task.text, run.text)
    return {f"/v1/tasks/{task.json()['id']}": client.get(f"/v1/tasks/{task.json()['id']}").json(),
            f"/v1/evals/{run.json()['id']}": client.get(f"/v1/evals/{run.json()['id']}").json()}


def _is_ui(path: str) -> bool:
    return path == "/ui" or path.startswith("/ui/")


def check_answer(response: Any, what: str) -> None:
    """Below 500, no traceback or SQL; on the JSON API a 4xx is JSON naming the field or saying what is wrong."""
    text = response.text
    assert response.status_code < 500, f"{what}: {response.status_code} {text[:300]}"
    assert not LEAKS.search(text), f"{what}: internals in the answer: {text[:500]}"
    if _is_ui(response.request.url.path) or not 400 <= response.status_code < 500:
        return
    body = response.json()
    assert body.get("detail"), f"{what}: a {response.status_code} without a detail: {text[:300]}"
    if response.status_code == 422:
        assert isinstance(body["detail"], list) and all(e.get("loc") and e.get("msg") for e in body["detail"]), text


def check_intact(client: TestClient, stored: dict[str, dict[str, Any]]) -> None:
    for url, before in stored.items():
        after = client.get(url)
        assert after.status_code == 200 and after.json() == before, f"{url} changed: {after.text[:300]}"


def _routes(routes: list[Any]) -> Iterator[Route]:
    """The app's routes, the docs' and included routers' too (newer FastAPI keeps those behind
    ``original_router``; every router here is included without a prefix, so each path is complete)."""
    for route in routes:
        if isinstance(route, Route):
            yield route
        elif (inner := getattr(route, "original_router", None)) is not None:
            yield from _routes(inner.routes)


def api_routes(client: TestClient) -> list[tuple[str, Route]]:
    routes = [(m, r) for r in _routes(client.app.routes) for m in sorted(r.methods)]
    assert len(routes) >= 20, "the sweep lost sight of the app's routes"
    return routes


# -- the sweeps -----------------------------------------------------------------------------------
def _params(dependant: Dependant, kind: str) -> list[Any]:
    """A route's query or body parameters, its dependencies' included (FastAPI keeps them per dependant)."""
    return [*getattr(dependant, kind), *(p for d in dependant.dependencies for p in _params(d, kind))]


def _request(data: st.DataObject, method: str, route: Route, keep: set[str]) -> dict[str, Any]:
    """A request to ``route`` with hostile path ids, query values and form or JSON body."""
    path = route.path_format
    for name in route.param_convertors:
        value = data.draw(st.one_of(PATH_VALUES, st.sampled_from(sorted(keep)) if keep else PATH_VALUES))
        path = path.replace("{" + name + "}", _encode(value, safe=data.draw(st.sampled_from(["", "/"]))))
    dependant = route.dependant if isinstance(route, APIRoute) else Dependant()
    params = [(q.alias, data.draw(QUERY_VALUES)) for q in _params(dependant, "query_params")
              if data.draw(st.booleans())]
    params += [("cursor", "garbage")] if data.draw(st.booleans()) else []
    query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in params)
    request: dict[str, Any] = {"method": method, "url": path + (f"?{query}" if query else "")}
    body = _params(dependant, "body_params")
    forms = [p.alias for p in body if p.field_info.__class__.__name__ == "Form"]
    if forms:
        fields = {name: data.draw(TEXTS) for name in forms if data.draw(st.booleans())}
        request["content"] = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in fields.items()).encode()
        request["headers"] = {"content-type": "application/x-www-form-urlencoded"}
    elif body:
        request["content"] = _json(data.draw(HOSTILE))
        request["headers"] = {"content-type": "application/json"}
    return request


def test_every_route_answers_hostile_paths_queries_and_bodies_below_500(
        client: TestClient, stored: dict[str, dict[str, Any]]) -> None:
    """Ids (non-hex, 10k chars, ``../``, surrogates), query values (-1, 1e9, abc, NaN, huge) and bodies on every route."""
    ids = {url.rsplit("/", 1)[1] for url in stored}
    for method, route in api_routes(client):
        keep = ids if method == "GET" else set()  # a POST with a stored id (cancel) would change what is kept

        @SWEEP
        @given(st.data())
        def sweep(data: st.DataObject) -> None:
            request = _request(data, method, route, keep)
            check_answer(client.request(**request), f"{method} {request['url'][:120]}")

        sweep()
    check_intact(client, stored)


@pytest.mark.parametrize("model,url", [(Problem, "/v1/tasks"), (EvalCreate, "/v1/evals")])
def test_every_body_field_refused_by_name_never_500(client: TestClient, stored: dict[str, dict[str, Any]],
                                                    model: type[BaseModel], url: str) -> None:
    """Each field, nested ones too, set to a wrong type, NUL, a lone surrogate, NaN, a huge value; removed; or
    joined by an unknown field: a 2xx when that is still valid, else a 4xx naming a field."""
    paths = field_paths(model)
    assert ("tests", "code") in paths or ("samples", 0, "completion") in paths  # nested fields are found

    @SWEEP
    @given(path=st.sampled_from(paths), how=st.sampled_from(["set", "set", "remove", "unknown"]), value=HOSTILE)
    def sweep(path: tuple[Any, ...], how: str, value: Any) -> None:
        body = _mutated(BODIES[model], path, how, value)
        response = client.post(url, content=_json(body), headers={"content-type": "application/json"})
        check_answer(response, f"{url} {how} {'.'.join(map(str, path))}")

    for path in paths:  # each field at least once, whatever the draws above chose
        for value in ("\x00", "\ud800", float("nan"), 2**63, ["x"], {"a": None}):
            body = _mutated(BODIES[model], path, "set", value)
            check_answer(client.post(url, content=_json(body), headers={"content-type": "application/json"}),
                         f"{url} {'.'.join(map(str, path))}={value!r}")
    sweep()
    check_intact(client, stored)


DEEP = b"[" * 100_000 + b"]" * 100_000
RAW_BODIES = [b"", b"{", b"null", b"[]", b"\"x\"", b"\xff\xfe\x00", b'{"prompt": "\xff"}', b'{"prompt": "\\ud800"}',
              b'{"prompt": "\\u0000", "n": NaN}', b'{"prompt": "x", "temperature": Infinity}', DEEP,
              b'{"prompt": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_000 + b"}", b'{"prompt": "x", "n": 1' + b"0" * 5000 + b"}"]
CONTENT_TYPES = ["application/json", "text/plain", None, "application/x-www-form-urlencoded",
                 "multipart/form-data", "multipart/form-data; boundary=x", "application/json; charset=latin-1"]


@pytest.mark.parametrize("url", ["/v1/tasks", "/v1/evals", "/ui/tasks/new", "/ui/login"])
def test_raw_bodies_of_any_shape_and_content_type_are_4xx(client: TestClient, stored: dict[str, dict[str, Any]],
                                                          url: str) -> None:
    """Empty, truncated, non-UTF-8, deeply nested bodies, under every Content-Type: never a 500."""
    for raw in RAW_BODIES:
        for ctype in CONTENT_TYPES:
            response = client.post(url, content=raw, headers={"content-type": ctype} if ctype else {})
            check_answer(response, f"{url} {ctype} {raw[:40]!r}")
    check_intact(client, stored)


@pytest.mark.parametrize("body,field", [
    ({"prompt": "x", "language": "\ud800"}, "language"),
    ({"samples": [{"task_id": "HumanEval/0", "completion": "\x00"}]}, "samples.0.completion"),
    ({"samples": [{"task_id": "HumanEval/0\x00", "completion": "x"}]}, "samples.0.task_id"),
    ({"n": 1, "model": "\x00"}, "model"),
    ({"n": 1, "model": "m" * 201}, "model"),
    ({"n": 1, "name": "\x00"}, "name"),
    ({"n": 1, "task_ids": []}, "task_ids"),
])
def test_found_by_the_sweep_each_a_422_naming_its_field(client: TestClient, body: dict[str, Any],
                                                         field: str) -> None:
    """Each of these was a 500 (or, for an empty task_ids, silently every problem) before it was fixed."""
    url = "/v1/tasks" if "prompt" in body else "/v1/evals"
    response = client.post(url, content=_json(body), headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    fields = [".".join(str(p) for p in e["loc"] if p != "body") for e in response.json()["detail"]]
    assert field in fields, fields


@pytest.mark.parametrize("key", ["\ufffd", "é", "bon_\x01", "k\x7f"])
def test_ui_login_refuses_a_key_no_cookie_can_carry(client: TestClient, key: str) -> None:
    """A key a cookie header cannot carry was a 500 at ``set_cookie``; it is a 401 page, as for a wrong key."""
    response = client.post("/ui/login", data={"key": key}, follow_redirects=False)
    assert response.status_code == 401, response.text[:300]
    assert "API key not valid" in response.text and "set-cookie" not in response.headers
    raw = client.post("/ui/login", content=b"key=%ff", follow_redirects=False,
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert raw.status_code == 401


@pytest.fixture
def keyed(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    yield from _app(pg_url, monkeypatch, require_api_key=True)


CREDENTIALS = [b"Bearer \x00", b"Bearer \xff\xfe", b"Bearer bon_" + b"a" * 10_000, b"Bearer bon_" + b"g" * 12 + b"_x",
               b"Bearer bon_%s_%s" % (b"0" * 12, b"A" * 43), b"Basic dXNlcjpwYXNz", b"Bearer", b"bearer  ", b"\x7f"]


@pytest.mark.parametrize("url", ["/v1/tasks", "/v1/stats", "/metrics", "/v1/evals", "/ui/", "/ui/stats"])
def test_hostile_credentials_are_a_401_never_a_500(keyed: TestClient, url: str) -> None:
    """NUL, non-UTF-8, 10k-character and malformed tokens in the header, X-API-Key or the UI's cookie."""
    for value in CREDENTIALS:
        token = value.split(b" ", 1)[-1]
        for headers in ({b"authorization": value}, {b"x-api-key": token}, {b"cookie": b"bestofn_key=" + token}):
            response = keyed.get(url, headers=headers, follow_redirects=False)
            check_answer(response, f"{url} {headers!r:.80}")
            assert response.status_code in (401, 303), (headers, response.status_code)  # 303: the UI's login
