"""eval_sample.base_passed: EvalPlus's base verdict beside the base + plus one (``passed``)

NULL for samples of sets without a base/plus split, which is every existing row.

Revision ID: 0011_eval_base_passed
Revises: 0010_execution_compile
Create Date: 2026-12-01 15:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_eval_base_passed'
down_revision = '0010_execution_compile'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('eval_sample') as batch:
        batch.add_column(sa.Column('base_passed', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('eval_sample') as batch:
        batch.drop_column('base_passed')
