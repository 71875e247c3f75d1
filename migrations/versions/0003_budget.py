"""budget: task_budget table (admitted tier, reservation, downgrade reason, early-stop savings)

Revision ID: 0003_budget
Revises: 0002_evals
Create Date: 2026-11-25 15:20:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0003_budget'
down_revision = '0002_evals'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('task_budget',
    sa.Column('task_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('route', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('probe_tier', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('probe_temperature', sa.Float(), nullable=True),
    sa.Column('probe_max_tokens', sa.Integer(), nullable=True),
    sa.Column('max_tokens', sa.Integer(), nullable=False),
    sa.Column('timeout_s', sa.Float(), nullable=False),
    sa.Column('budget_usd', sa.Float(), nullable=False),
    sa.Column('reserved_usd', sa.Float(), nullable=False),
    sa.Column('reserved_tokens', sa.Integer(), nullable=False),
    sa.Column('downgrade', sa.Text(), nullable=True),
    sa.Column('routed_tier', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('saved_usd', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id')
    )
    # spend queries filter candidates and decisions by time (bestofn.budget.spend)
    with op.batch_alter_table('candidate', schema=None) as batch_op:
        batch_op.create_index('ix_candidate_created_at', ['created_at'], unique=False)
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_index('ix_decision_created_at', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index('ix_decision_created_at')
    with op.batch_alter_table('candidate', schema=None) as batch_op:
        batch_op.drop_index('ix_candidate_created_at')
    op.drop_table('task_budget')
