"""soft delete of workspaces, registries and asset versions

A deleted workspace, registry or asset version keeps its row (and so its name, its assets and its storage) with
``deleted_at`` and ``purge_at`` set; reads and lists skip it, and it is purged when ``purge_at``
passes or on demand. ``purge_dependents`` remembers ``deleteDependentResources`` for that purge.

Revision ID: 0015_softdel
Revises: 0014
Create Date: 2026-12-06 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

TABLES = ("workspaces", "registries")


VERSIONS = ("asset_versions", "registry_asset_versions")


def upgrade() -> None:
    for table in VERSIONS:
        op.add_column(table, sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
        op.add_column(table, sa.Column('purge_at', sa.DateTime(timezone=True), nullable=True))
        op.create_index(op.f(f'ix_{table}_purge_at'), table, ['purge_at'], unique=False)
    for table in TABLES:
        op.add_column(table, sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
        op.add_column(table, sa.Column('purge_at', sa.DateTime(timezone=True), nullable=True))
        op.add_column(table, sa.Column('purge_dependents', sa.Boolean(), nullable=False, server_default=sa.false()))
        op.create_index(op.f(f'ix_{table}_purge_at'), table, ['purge_at'], unique=False)


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN in place (SQLite 3.35+ and PostgreSQL), as 0018 does: a batch
    # rebuild drops and re-creates the table, and on SQLite the drop runs the ON DELETE CASCADE of
    # every foreign key to it, emptying its children (a workspace's datastores, a container's versions).
    for table in VERSIONS:
        op.drop_index(op.f(f'ix_{table}_purge_at'), table_name=table)
        for column in ('purge_at', 'deleted_at'):
            op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
    for table in TABLES:
        op.drop_index(op.f(f'ix_{table}_purge_at'), table_name=table)
        for column in ('purge_dependents', 'purge_at', 'deleted_at'):
            op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
