"""Import every table module so ``SQLModel.metadata`` is complete (for Alembic)."""

from sqlmodel import SQLModel

import bestofn.models  # noqa: F401

metadata = SQLModel.metadata
