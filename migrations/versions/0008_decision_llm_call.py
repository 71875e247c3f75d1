"""decision_llm_call: the ranking's LLM calls as rows, moved out of decision.details["llm_calls"]

Spend and stats then sum plain columns instead of parsing JSON with SQL written twice
(json_array_elements on PostgreSQL, json_each on SQLite). The move is done in Python
over the rows, so it runs the same on both; ``llm_usage`` (derived from the calls) goes too.

Revision ID: 0008_decision_llm_call
Revises: 0007_admin_keys
Create Date: 2026-12-10 09:00:00
"""
from collections.abc import Iterator
from typing import Any

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008_decision_llm_call'
down_revision = '0007_admin_keys'
branch_labels = None
depends_on = None

COLUMNS = ('purpose', 'model', 'tokens_in', 'tokens_out', 'error', 'requested', 'accepted', 'reply_head')
decision = sa.table('decision', sa.column('task_id', sa.String()), sa.column('details', sa.JSON()))
llm_call = sa.table('decision_llm_call', sa.column('task_id', sa.String()), sa.column('seq', sa.Integer()),
                    *(sa.column(name) for name in COLUMNS))


def upgrade() -> None:
    op.create_table('decision_llm_call',
    sa.Column('task_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('tokens_in', sa.Integer(), nullable=False),
    sa.Column('tokens_out', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('requested', sa.Integer(), nullable=True),
    sa.Column('accepted', sa.Integer(), nullable=True),
    sa.Column('reply_head', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['task_id'], ['decision.task_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'seq')
    )
    conn = op.get_bind()
    for task_id, details in _decisions(conn):
        if not isinstance(details, dict) or not {'llm_calls', 'llm_usage'} & details.keys():
            continue
        rows = [_row(task_id, seq, call) for seq, call in enumerate(details.get('llm_calls') or [])
                if isinstance(call, dict)]
        if rows:
            conn.execute(llm_call.insert(), rows)
        kept = {k: v for k, v in details.items() if k not in ('llm_calls', 'llm_usage')}
        conn.execute(decision.update().where(decision.c.task_id == task_id).values(details=kept))


def downgrade() -> None:
    conn = op.get_bind()
    calls: dict[str, list[dict[str, Any]]] = {}
    for row in conn.execute(sa.select(llm_call).order_by(llm_call.c.task_id, llm_call.c.seq)).mappings():
        calls.setdefault(row['task_id'], []).append(
            {k: row[k] for k in COLUMNS if row[k] is not None or k == 'error'})
    for task_id, details in _decisions(conn):
        if task_id in calls:
            moved = calls[task_id]
            usage = {'calls': len(moved), 'tokens_in': sum(c['tokens_in'] for c in moved),
                     'tokens_out': sum(c['tokens_out'] for c in moved)}
            conn.execute(decision.update().where(decision.c.task_id == task_id)
                         .values(details={**(details or {}), 'llm_calls': moved, 'llm_usage': usage}))
    op.drop_table('decision_llm_call')


def _decisions(conn: sa.Connection, batch: int = 500) -> Iterator[tuple[str, Any]]:
    """Every decision's (task_id, details), a batch at a time in key order (rows may be updated between)."""
    last = ''
    while True:
        rows = conn.execute(sa.select(decision.c.task_id, decision.c.details).where(decision.c.task_id > last)
                            .order_by(decision.c.task_id).limit(batch)).all()
        if not rows:
            return
        yield from ((r[0], r[1]) for r in rows)
        last = rows[-1][0]


def _row(task_id: str, seq: int, call: dict[str, Any]) -> dict[str, Any]:
    """One stored call as a row; PostgreSQL text cannot hold NUL, which JSON could."""
    def text(v: Any) -> str | None:
        return None if v is None else str(v).replace('\x00', '\ufffd')

    def num(v: Any) -> int | None:
        return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    return {'task_id': task_id, 'seq': seq, 'purpose': str(call.get('purpose') or '')[:32],
            'model': str(call.get('model') or '')[:200], 'tokens_in': num(call.get('tokens_in')) or 0,
            'tokens_out': num(call.get('tokens_out')) or 0, 'error': text(call.get('error')),
            'requested': num(call.get('requested')), 'accepted': num(call.get('accepted')),
            'reply_head': text(call.get('reply_head'))}
