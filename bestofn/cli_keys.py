"""``bestofn keys``: create, list and revoke API keys on the configured database.

The token is printed once by ``create`` and never stored; lists show key ids,
names, limits and state only.
"""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from bestofn.cli_common import fail
from bestofn.db import get_engine
from bestofn.errors import ProblemRejected
from bestofn.migrate import migrate
from bestofn.security.keys import create_key, list_keys, revoke_key

app = typer.Typer(help="API keys: create (token shown once), list, revoke.", no_args_is_help=True,
                  add_completion=False)
out = Console()
OPTIONS = {"name": "--name", "rate_per_s": "--rate", "burst": "--burst", "max_active_tasks": "--max-tasks"}
"""The option that sets each of ``create_key``'s fields, for naming it in an error."""


@app.command()
def create(
    name: str = typer.Option("", help="A label for the key's owner or use."),
    rate: Optional[float] = typer.Option(None, help="Requests per second (default: settings.api_rate_per_s)."),
    burst: Optional[int] = typer.Option(None, help="Requests at once (default: settings.api_burst)."),
    max_tasks: Optional[int] = typer.Option(None, help="Tasks and evaluations not yet ended "
                                                      "(default: settings.api_max_active_tasks)."),
    admin: bool = typer.Option(False, "--admin", help="May see every key's totals (/v1/stats, /metrics)."),
    as_json: bool = typer.Option(False, "--json", help="Print {id, token} as JSON."),
) -> None:
    """Create a key and print its token (the only time it is shown)."""
    migrate()
    try:
        new = create_key(get_engine(), name, rate_per_s=rate, burst=burst, max_active_tasks=max_tasks, admin=admin)
    except ProblemRejected as exc:
        fail(f"{OPTIONS.get(exc.field, exc.field)}: {exc.message}")
    if as_json:
        print(json.dumps({"id": new.key.id, "name": new.key.name, "admin": new.key.admin, "token": new.token}))
        return
    out.print(f"key {new.key.id} created; its token (shown once, store it now):")
    print(new.token)


@app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every key with its limits and state (never a token or hash)."""
    migrate()
    keys = list_keys(get_engine())
    rows = [{"id": k.id, "name": k.name, "rate_per_s": k.rate_per_s, "burst": k.burst,
             "max_active_tasks": k.max_active_tasks, "admin": k.admin, "created_at": k.created_at.isoformat(),
             "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None} for k in keys]
    if as_json:
        print(json.dumps(rows))
        return
    table = Table("id", "name", "rate/s", "burst", "max tasks", "admin", "created", "state")
    for r in rows:
        table.add_row(r["id"], r["name"], *(("default" if r[c] is None else str(r[c])) for c in
                                            ("rate_per_s", "burst", "max_active_tasks")),
                      "yes" if r["admin"] else "", r["created_at"][:19], "revoked" if r["revoked_at"] else "active")
    out.print(table)


@app.command()
def revoke(key_id: str = typer.Argument(..., help="The key id (the part after 'bon_').")) -> None:
    """Revoke a key at once; its tasks stay readable in the database."""
    migrate()
    row = revoke_key(get_engine(), key_id)
    if row is None:
        shown = repr(key_id) if len(key_id) <= 64 else f"{key_id[:64]!r}... ({len(key_id)} characters)"
        fail(f"no key {shown}; see 'bestofn keys list'")
    out.print(f"key {key_id} revoked")
