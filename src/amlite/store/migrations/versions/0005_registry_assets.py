"""registry assets: registry asset containers and versions, replication tasks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 16:05:51.176669
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('registry_asset_containers',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('registry_key', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('name_lower', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('properties', sa.JSON(), nullable=False),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.Column('next_version', sa.Integer(), nullable=False),
    sa.Column('etag', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=256), nullable=False),
    sa.Column('created_by_type', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_by', sa.String(length=256), nullable=False),
    sa.Column('modified_by_type', sa.String(length=32), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registry_key'], ['registries.key'], name=op.f('fk_registry_asset_containers_registry_key_registries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_registry_asset_containers')),
    sa.UniqueConstraint('registry_key', 'kind', 'name_lower', name='uq_registry_asset_containers_reg_kind_name')
    )
    op.create_table('registry_asset_versions',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('container_key', sa.String(length=36), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('version_lower', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('manifest', sa.JSON(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.Column('etag', sa.String(length=64), nullable=False),
    sa.Column('lineage', sa.JSON(), nullable=True),
    sa.Column('created_by', sa.String(length=256), nullable=False),
    sa.Column('created_by_type', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_by', sa.String(length=256), nullable=False),
    sa.Column('modified_by_type', sa.String(length=32), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['container_key'], ['registry_asset_containers.key'], name=op.f('fk_registry_asset_versions_container_key_registry_asset_containers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_registry_asset_versions')),
    sa.UniqueConstraint('container_key', 'seq', name='uq_registry_asset_versions_container_seq'),
    sa.UniqueConstraint('container_key', 'version_lower', name='uq_registry_asset_versions_container_version')
    )
    op.create_table('replication_tasks',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('version_key', sa.String(length=36), nullable=False),
    sa.Column('registry_key', sa.String(length=36), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registry_key'], ['registries.key'], name=op.f('fk_replication_tasks_registry_key_registries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_key'], ['registry_asset_versions.key'], name=op.f('fk_replication_tasks_version_key_registry_asset_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_replication_tasks')),
    sa.UniqueConstraint('version_key', 'region', name='uq_replication_tasks_version_region')
    )
    with op.batch_alter_table('replication_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_replication_tasks_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_replication_tasks_registry_key'), ['registry_key'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('replication_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_replication_tasks_registry_key'))
        batch_op.drop_index(batch_op.f('ix_replication_tasks_next_attempt_at'))

    op.drop_table('replication_tasks')
    op.drop_table('registry_asset_versions')
    op.drop_table('registry_asset_containers')
