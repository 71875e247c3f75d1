"""Import every table module so ``SQLModel.metadata`` is complete (for Alembic)."""

from sqlmodel import SQLModel

import bestofn.budget.models  # noqa: F401
import bestofn.evals.models  # noqa: F401
import bestofn.models  # noqa: F401
import bestofn.security.models  # noqa: F401

metadata = SQLModel.metadata
