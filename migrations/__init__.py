"""Alembic migrations (packaged so ``bestofn.migrate`` finds them when installed)."""
