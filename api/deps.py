"""Typed dependencies for the routes.

Every route reaches the database through ``get_db_engine``: one place, so an app under
test reaches one database on every route (its fixture points the process at it, or
overrides this one dependency) instead of a route building an engine of its own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.engine import Engine

from bestofn.db import get_engine
from bestofn.evals.store import EvalStore
from bestofn.settings import Settings, get_settings
from bestofn.store import TaskStore


def get_db_engine() -> Engine:
    """The process' engine, the same one API-key checks use (``bestofn.security.auth``)."""
    return get_engine()


EngineDep = Annotated[Engine, Depends(get_db_engine)]


def get_store(engine: EngineDep) -> TaskStore:
    return TaskStore(engine)


def get_eval_store(engine: EngineDep) -> EvalStore:
    return EvalStore(engine)


StoreDep = Annotated[TaskStore, Depends(get_store)]
EvalStoreDep = Annotated[EvalStore, Depends(get_eval_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
