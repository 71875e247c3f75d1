"""api_key.admin: keys that may see every key's totals (/v1/stats, /metrics)

Revision ID: 0007_admin_keys
Revises: 0006_eval_owner
Create Date: 2026-12-08 10:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_admin_keys'
down_revision = '0006_eval_owner'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('admin', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_column('admin')
