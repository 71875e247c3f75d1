"""Bring a database to the current schema with Alembic, and check it really has it.

``migrate()`` runs ``alembic upgrade head`` programmatically, so the embedded SQLite
default and a fresh PostgreSQL get the same schema the same way. This is the one core
module that knows about Alembic; ``bestofn.db`` (engines, sessions) knows nothing of it.
The scripts are found as the installed ``migrations`` package's directory, never
imported: ``migrations/env.py`` imports the core, not the other way round.
"""

from __future__ import annotations

from importlib.util import find_spec

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from bestofn.db import get_engine
from bestofn.settings import get_settings
from bestofn.tables import metadata


def script_location() -> str:
    """The directory of the packaged migrations (installed with bestofn, see pyproject.toml)."""
    spec = find_spec("migrations")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the 'migrations' package is not installed beside bestofn (pip install -e .)")
    return list(spec.submodule_search_locations)[0]


def alembic_config(url: str | None = None) -> Config:
    """Alembic config pointing at the packaged migrations, with the given URL."""
    cfg = Config()
    cfg.set_main_option("script_location", script_location())
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().effective_database_url).replace("%", "%%"))
    return cfg


def migrate(url: str | None = None, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent)."""
    command.upgrade(alembic_config(url), revision)


def missing_tables(url: str | None = None) -> list[str]:
    """Tables the models need that the database lacks after migrating.

    A database file left by an older development build can claim the head revision without
    holding its tables; callers turn this into one clear error instead of a failing query.
    """
    have = set(inspect(get_engine(url)).get_table_names())
    return sorted(set(metadata.tables) - have)
