"""eval_run.api_key_id (owner), names unique per owner, reserved_usd (budget held by a generate-mode run)

Revision ID: 0006_eval_owner
Revises: 0005_execution_cpu
Create Date: 2026-12-08 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006_eval_owner'
down_revision = '0005_execution_cpu'
branch_labels = None
depends_on = None

# Runs made without keys (api_key_id NULL) share one namespace: coalesce, since NULLs are distinct in a unique index.
OWNER_NAME = [sa.text("coalesce(api_key_id, '')"), 'name']


def upgrade() -> None:
    with op.batch_alter_table('eval_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('api_key_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('reserved_usd', sa.Float(), nullable=False, server_default='0'))
        batch_op.drop_index('ix_eval_run_name')
        batch_op.create_index('ix_eval_run_api_key_id', ['api_key_id'], unique=False)
    op.create_index('uq_eval_run_owner_name', 'eval_run', OWNER_NAME, unique=True)


def downgrade() -> None:
    op.drop_index('uq_eval_run_owner_name', table_name='eval_run')
    with op.batch_alter_table('eval_run', schema=None) as batch_op:
        batch_op.drop_index('ix_eval_run_api_key_id')
        batch_op.create_index('ix_eval_run_name', ['name'], unique=True)
        batch_op.drop_column('reserved_usd')
        batch_op.drop_column('api_key_id')
