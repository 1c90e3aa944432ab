"""labeling projects of workspaces; resources found by type

One row per labeling project (``.../workspaces/{ws}/labelingJobs/{id}``, domain/labeling.py):
its accepted spec and its status; rows go with their workspace. ``resources`` gets an index on
its type, to find the Azure Databricks workspaces linked to a workspace (domain/databricks.py).

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'labeling_projects',
        sa.Column('key', sa.String(length=36), nullable=False),
        sa.Column('workspace_key', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('name_lower', sa.String(length=255), nullable=False),
        sa.Column('project_id', sa.String(length=36), nullable=False),
        sa.Column('spec', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(['workspace_key'], ['workspaces.key'],
                                name=op.f('fk_labeling_projects_workspace_key_workspaces'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_labeling_projects')),
        sa.UniqueConstraint('workspace_key', 'name_lower', name='uq_labeling_projects_ws_name'),
    )
    op.create_index(op.f('ix_labeling_projects_workspace_key'), 'labeling_projects', ['workspace_key'], unique=False)
    op.create_index('ix_resources_type_lower', 'resources', ['type_lower'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_resources_type_lower', table_name='resources')
    op.drop_index(op.f('ix_labeling_projects_workspace_key'), table_name='labeling_projects')
    op.drop_table('labeling_projects')
