"""delivery attempt dose: the dose a medication message is about, so a reply answers that dose

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 09:00:00.000000
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveryattempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dose_id', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deliveryattempt', schema=None) as batch_op:
        batch_op.drop_column('dose_id')
