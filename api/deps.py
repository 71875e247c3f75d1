"""Typed dependencies for the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from bestofn.settings import Settings, get_settings
from worker.store import TaskStore


def get_store() -> TaskStore:
    return TaskStore()


StoreDep = Annotated[TaskStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
