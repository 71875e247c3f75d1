"""candidate lineage and reasoning knobs: parent, round, reasoning_effort, max_completion_tokens, reasoning_tokens

A revision round's candidate names the candidate it revises (``parent``, an index within the
same task) and its round; fresh samples are round 0 with no parent, which the server defaults
give every existing row. The reasoning knobs are what the request carried (NULL: not sent).

Revision ID: 0009_candidate_lineage
Revises: 0008_decision_llm_call
Create Date: 2026-12-12 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0009_candidate_lineage'
down_revision = '0008_decision_llm_call'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('candidate') as batch:
        batch.add_column(sa.Column('parent', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('round', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('reasoning_effort', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch.add_column(sa.Column('max_completion_tokens', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('reasoning_tokens', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('candidate') as batch:
        for name in ('reasoning_tokens', 'max_completion_tokens', 'reasoning_effort', 'round', 'parent'):
            batch.drop_column(name)
