"""on-call swaps between colleagues, and each schedule's hand-off notice lead time

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 06:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('oncallschedule', sa.Column('handoff_notice_minutes', sa.Integer(),
                                              nullable=False, server_default='30'))
    op.create_table(
        'oncallswap',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('schedule_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('person', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('colleague', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('decision_reason', sa.Text(), nullable=True),
        sa.Column('override_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_oncallswap_schedule_id'), 'oncallswap', ['schedule_id'])
    op.create_index(op.f('ix_oncallswap_colleague'), 'oncallswap', ['colleague'])


def downgrade() -> None:
    op.drop_index(op.f('ix_oncallswap_colleague'), table_name='oncallswap')
    op.drop_index(op.f('ix_oncallswap_schedule_id'), table_name='oncallswap')
    op.drop_table('oncallswap')
    op.drop_column('oncallschedule', 'handoff_notice_minutes')
