"""workspace connections: the ``workspace_connections`` table

One row per connection of a workspace: its category, auth type, target, metadata and the name of
its sealed credentials in the workspace's secret namespace (the ``secrets`` table), which holds
the ciphertext. No other table changes.

Revision ID: 0015_conn
Revises: 0014
Create Date: 2026-12-06 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('workspace_connections',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('workspace_key', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('name_lower', sa.String(length=255), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('auth_type', sa.String(length=32), nullable=False),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.Column('is_shared_to_all', sa.Boolean(), nullable=False),
    sa.Column('expiry_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('secret_name', sa.String(length=255), nullable=True),
    sa.Column('created_by', sa.String(length=256), nullable=False),
    sa.Column('created_by_type', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_by', sa.String(length=256), nullable=False),
    sa.Column('modified_by_type', sa.String(length=32), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_key'], ['workspaces.key'],
                            name=op.f('fk_workspace_connections_workspace_key_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_workspace_connections')),
    sa.UniqueConstraint('workspace_key', 'name_lower', name='uq_workspace_connections_ws_name')
    )


def downgrade() -> None:
    op.drop_table('workspace_connections')
