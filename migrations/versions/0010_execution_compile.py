"""execution.compile_ms: compiling the candidate once (compiled languages), kept apart from runtime_ms

Revision ID: 0010_execution_compile
Revises: 0009_candidate_lineage
Create Date: 2026-12-01 14:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_execution_compile'
down_revision = '0009_candidate_lineage'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('execution', sa.Column('compile_ms', sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column('execution', 'compile_ms')
