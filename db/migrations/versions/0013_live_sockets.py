"""live sockets: who has an inbox WebSocket open now (a patient offline gets email too)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 06:05:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('livesocket',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_livesocket_person_id'), 'livesocket', ['person_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_livesocket_person_id'), table_name='livesocket')
    op.drop_table('livesocket')
