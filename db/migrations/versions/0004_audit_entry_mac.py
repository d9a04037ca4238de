"""audit entry mac: a keyed MAC beside each entry's hash

Entries written before this revision keep mac NULL; the verifier reports them
as unanchored rather than inventing a MAC for entries it cannot vouch for.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 04:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('auditentry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mac', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('auditentry', schema=None) as batch_op:
        batch_op.drop_column('mac')
