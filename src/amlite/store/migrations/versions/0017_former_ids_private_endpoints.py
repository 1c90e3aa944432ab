"""workspace moves: the ids a workspace had before a move, and private endpoint connections

A move re-roots a workspace by changing its group pointer; references written with the old ids
(``azureml://subscriptions/<old>/resourcegroups/<old>/workspaces/<ws>/...``) resolve through
``workspace_former_ids`` to the workspace. ``private_endpoint_connections`` holds a workspace's
private endpoint connections (a move recreates them pending approval). No other table changes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-15 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('workspace_former_ids',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('workspace_key', sa.String(length=36), nullable=False),
    sa.Column('subscription_id', sa.String(length=36), nullable=False),
    sa.Column('resource_group_lower', sa.String(length=90), nullable=False),
    sa.Column('name_lower', sa.String(length=33), nullable=False),
    sa.Column('moved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_key'], ['workspaces.key'],
                            name=op.f('fk_workspace_former_ids_workspace_key_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_workspace_former_ids'))
    )
    op.create_index(op.f('ix_workspace_former_ids_workspace_key'), 'workspace_former_ids', ['workspace_key'], unique=False)
    op.create_index('ix_workspace_former_ids_lookup', 'workspace_former_ids',
                    ['subscription_id', 'resource_group_lower', 'name_lower'], unique=False)
    op.create_table('private_endpoint_connections',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('workspace_key', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_lower', sa.String(length=128), nullable=False),
    sa.Column('private_endpoint_id', sa.String(length=1024), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('actions_required', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_key'], ['workspaces.key'],
                            name=op.f('fk_private_endpoint_connections_workspace_key_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_private_endpoint_connections')),
    sa.UniqueConstraint('workspace_key', 'name_lower', name='uq_private_endpoint_connections_ws_name')
    )
    op.create_index(op.f('ix_private_endpoint_connections_workspace_key'), 'private_endpoint_connections',
                    ['workspace_key'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_private_endpoint_connections_workspace_key'), table_name='private_endpoint_connections')
    op.drop_table('private_endpoint_connections')
    op.drop_index('ix_workspace_former_ids_lookup', table_name='workspace_former_ids')
    op.drop_index(op.f('ix_workspace_former_ids_workspace_key'), table_name='workspace_former_ids')
    op.drop_table('workspace_former_ids')
