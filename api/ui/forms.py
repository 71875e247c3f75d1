"""The submit form as a ``Problem``: the same pydantic model and messages the JSON API uses.

Form fields are named by the error locations they answer to (``tests.code``), so a
422 from the model or from the service lands next to its field.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from pydantic import ValidationError

FIELDS = ("prompt", "entry_point", "tests.format", "tests.code", "n", "strategy")


def problem_body(form: dict[str, str]) -> dict[str, Any]:
    """The JSON body a client would POST: blank optional fields are left out, like an API call that omits them."""
    body: dict[str, Any] = {"prompt": form.get("prompt", "")}
    for name in ("entry_point", "n", "strategy"):
        if form.get(name, "").strip():
            body[name] = form[name].strip()
    if form.get("tests.code", "").strip():
        body["tests"] = {"format": form.get("tests.format", ""), "code": form["tests.code"]}
    return body


def _field(loc: list[Any] | tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc if p != "body") or "body"


def errors_from_validation(exc: ValidationError) -> dict[str, list[str]]:
    """pydantic's errors by field, with the message the API's 422 carries."""
    out: dict[str, list[str]] = {}
    for e in exc.errors():
        out.setdefault(_field(e.get("loc", ())), []).append(e.get("msg", ""))
    return out


def errors_from_http(exc: HTTPException) -> dict[str, list[str]]:
    """A route's refusal by field (``field_error``'s shape), or under ``body`` when it names none (429)."""
    if isinstance(exc.detail, list):
        out: dict[str, list[str]] = {}
        for e in exc.detail:
            out.setdefault(_field(e.get("loc", ())), []).append(str(e.get("msg", "")))
        return out
    return {"body": [str(exc.detail)]}


def placed(errors: dict[str, list[str]]) -> tuple[dict[str, list[str]], list[str]]:
    """Errors next to a form field, and the rest (a field the form lacks, a quota) shown above the form."""
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for field, msgs in errors.items():
        # a whole-suite error ("tests") belongs next to its code
        target = "tests.code" if field == "tests" else field
        if target in FIELDS:
            by_field.setdefault(target, []).extend(msgs)
        else:
            general.extend(f"{field}: {m}" if field != "body" else m for m in msgs)
    return by_field, general
