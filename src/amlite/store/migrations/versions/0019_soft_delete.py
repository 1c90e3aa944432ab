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
    for table in VERSIONS:
        op.drop_index(op.f(f'ix_{table}_purge_at'), table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column('purge_at')
            batch.drop_column('deleted_at')
    for table in TABLES:
        op.drop_index(op.f(f'ix_{table}_purge_at'), table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column('purge_dependents')
            batch.drop_column('purge_at')
            batch.drop_column('deleted_at')
