"""on-call schedules: schedules, their layers and overrides

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-23 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'oncallschedule',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('facility_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('specialisation', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('time_zone', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_oncallschedule_facility_id'), 'oncallschedule', ['facility_id'])
    op.create_index(op.f('ix_oncallschedule_specialisation'), 'oncallschedule', ['specialisation'])
    op.create_table(
        'oncalllayer',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('schedule_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('members', sa.JSON(), nullable=True),
        sa.Column('rotation_start', sa.DateTime(timezone=False), nullable=False),
        sa.Column('turn', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('turn_hours', sa.Integer(), nullable=True),
        sa.Column('priority', sa.Integer(), nullable=False),
        sa.Column('windows', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_oncalllayer_schedule_id'), 'oncalllayer', ['schedule_id'])
    op.create_table(
        'oncalloverride',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('schedule_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('person', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_oncalloverride_schedule_id'), 'oncalloverride', ['schedule_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_oncalloverride_schedule_id'), table_name='oncalloverride')
    op.drop_table('oncalloverride')
    op.drop_index(op.f('ix_oncalllayer_schedule_id'), table_name='oncalllayer')
    op.drop_table('oncalllayer')
    op.drop_index(op.f('ix_oncallschedule_specialisation'), table_name='oncallschedule')
    op.drop_index(op.f('ix_oncallschedule_facility_id'), table_name='oncallschedule')
    op.drop_table('oncallschedule')
