"""Alembic migrations (packaged so ``bestofn.db.migrate`` finds them when installed)."""
