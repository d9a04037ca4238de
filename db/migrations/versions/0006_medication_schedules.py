"""medication schedules and their doses

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-29 03:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('medicationschedule',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('patient_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('medications', sa.JSON(), nullable=True),
    sa.Column('schedule', sa.JSON(), nullable=True),
    sa.Column('reminders', sa.JSON(), nullable=True),
    sa.Column('preferences', sa.JSON(), nullable=True),
    sa.Column('escalation_contacts', sa.JSON(), nullable=True),
    sa.Column('warnings', sa.JSON(), nullable=True),
    sa.Column('flags', sa.JSON(), nullable=True),
    sa.Column('next_dose_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_medicationschedule_patient_id'), 'medicationschedule', ['patient_id'], unique=False)
    op.create_index(op.f('ix_medicationschedule_status'), 'medicationschedule', ['status'], unique=False)
    op.create_table('doserecord',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('schedule_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('patient_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('dose_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('remind_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('medications', sa.JSON(), nullable=True),
    sa.Column('moves', sa.JSON(), nullable=True),
    sa.Column('reminders', sa.Integer(), nullable=False),
    sa.Column('escalated_to', sa.JSON(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('on_behalf', sa.Boolean(), nullable=False),
    sa.Column('via', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_doserecord_schedule_id'), 'doserecord', ['schedule_id'], unique=False)
    op.create_index('ix_doserecord_patient_due', 'doserecord', ['patient_id', 'due_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_doserecord_patient_due', table_name='doserecord')
    op.drop_index(op.f('ix_doserecord_schedule_id'), table_name='doserecord')
    op.drop_table('doserecord')
    op.drop_index(op.f('ix_medicationschedule_status'), table_name='medicationschedule')
    op.drop_index(op.f('ix_medicationschedule_patient_id'), table_name='medicationschedule')
    op.drop_table('medicationschedule')
