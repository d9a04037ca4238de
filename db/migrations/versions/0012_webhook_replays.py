"""webhook replays: when an event was last replayed to its endpoint, and how often

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 05:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhookdelivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replays', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('replayed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('webhookdelivery', schema=None) as batch_op:
        batch_op.drop_column('replayed_at')
        batch_op.drop_column('replays')
