"""webhook endpoint idle: its delivery workflow waits for new rows, to be woken by their writer

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 07:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhookendpoint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idle', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('webhookendpoint', schema=None) as batch_op:
        batch_op.drop_column('idle')
