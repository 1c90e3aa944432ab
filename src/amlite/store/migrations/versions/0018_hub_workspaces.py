"""hub and project workspaces: a project's pointer to its hub and a hub's settings

``hub_key`` is a project's pointer to its hub (everything a project inherits is read through it);
``settings`` holds a hub's or Default workspace's network and encryption settings and a hub's
default project resource group. Both are added to the populated ``workspaces`` table without a
rebuild; existing rows are Default workspaces, whose settings read as amlite's defaults.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-20 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('workspaces', sa.Column('hub_key', sa.String(length=36), nullable=True))
    op.add_column('workspaces', sa.Column('settings', sa.JSON(), nullable=True))
    op.create_index(op.f('ix_workspaces_hub_key'), 'workspaces', ['hub_key'], unique=False)


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN in place (SQLite 3.35+ and PostgreSQL): a batch rebuild of the
    # workspaces table would drop it under foreign keys whose ON DELETE CASCADE empties its children.
    op.drop_index(op.f('ix_workspaces_hub_key'), table_name='workspaces')
    op.execute('ALTER TABLE workspaces DROP COLUMN settings')
    op.execute('ALTER TABLE workspaces DROP COLUMN hub_key')
