"""delivery callbacks: the provider's status on each attempt, and receipts of inbound webhooks

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 00:40:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveryattempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_status', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=True))
    op.create_table('webhookreceipt',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade() -> None:
    op.drop_table('webhookreceipt')
    with op.batch_alter_table('deliveryattempt', schema=None) as batch_op:
        batch_op.drop_column('provider_status')
