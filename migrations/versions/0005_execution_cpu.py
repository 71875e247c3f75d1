"""execution.cpu_ms: the candidate process's CPU time, measured by the sandbox's trusted side

Revision ID: 0005_execution_cpu
Revises: 0004_security
Create Date: 2026-12-01 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_execution_cpu'
down_revision = '0004_security'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('execution', sa.Column('cpu_ms', sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column('execution', 'cpu_ms')
