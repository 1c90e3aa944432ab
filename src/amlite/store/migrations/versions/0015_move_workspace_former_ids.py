"""workspace moves: the ids a workspace had before a move

A move re-roots a workspace by changing its group pointer; references written with the old ids
(``azureml://subscriptions/<old>/resourcegroups/<old>/workspaces/<ws>/...``) resolve through this
table to the workspace. No other table changes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-15 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
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


def downgrade() -> None:
    op.drop_index('ix_workspace_former_ids_lookup', table_name='workspace_former_ids')
    op.drop_index(op.f('ix_workspace_former_ids_workspace_key'), table_name='workspace_former_ids')
    op.drop_table('workspace_former_ids')
