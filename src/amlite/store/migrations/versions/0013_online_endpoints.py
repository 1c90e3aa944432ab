"""online endpoints and their deployments

Revision ID: 0013
Revises: 0012
Create Date: 2027-01-20 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('online_endpoints',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('workspace_key', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('name_lower', sa.String(length=32), nullable=False),
    sa.Column('scoring_id', sa.String(length=36), nullable=False),
    sa.Column('auth_mode', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('properties', sa.JSON(), nullable=False),
    sa.Column('traffic', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_key'], ['workspaces.key'], name=op.f('fk_online_endpoints_workspace_key_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_online_endpoints')),
    sa.UniqueConstraint('scoring_id', name=op.f('uq_online_endpoints_scoring_id')),
    sa.UniqueConstraint('workspace_key', 'name_lower', name='uq_online_endpoints_ws_name')
    )
    op.create_table('online_deployments',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('endpoint_key', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('name_lower', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('model_id', sa.String(length=1024), nullable=False),
    sa.Column('model_ref', sa.String(length=1024), nullable=False),
    sa.Column('environment_id', sa.String(length=1024), nullable=True),
    sa.Column('scoring_script', sa.String(length=1024), nullable=False),
    sa.Column('code_manifest', sa.JSON(), nullable=False),
    sa.Column('instance_type', sa.String(length=64), nullable=False),
    sa.Column('instance_count', sa.Integer(), nullable=False),
    sa.Column('environment_variables', sa.JSON(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('properties', sa.JSON(), nullable=False),
    sa.Column('warnings', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('generation', sa.String(length=36), nullable=False),
    sa.Column('host_id', sa.String(length=64), nullable=True),
    sa.Column('port', sa.Integer(), nullable=True),
    sa.Column('secret', sa.String(length=64), nullable=True),
    sa.Column('created_by', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_key'], ['online_endpoints.key'], name=op.f('fk_online_deployments_endpoint_key_online_endpoints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_online_deployments')),
    sa.UniqueConstraint('endpoint_key', 'name_lower', name='uq_online_deployments_endpoint_name')
    )
    with op.batch_alter_table('online_deployments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_online_deployments_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('online_deployments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_online_deployments_state'))
    op.drop_table('online_deployments')
    op.drop_table('online_endpoints')
