"""assets: versioned asset containers and versions, datastore credentials, the secret namespace

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 15:25:58.593920
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('asset_containers',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('workspace_key', sa.String(length=36), nullable=False),
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
    sa.ForeignKeyConstraint(['workspace_key'], ['workspaces.key'], name=op.f('fk_asset_containers_workspace_key_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_asset_containers')),
    sa.UniqueConstraint('workspace_key', 'kind', 'name_lower', name='uq_asset_containers_ws_kind_name')
    )
    op.create_table('secrets',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('workspace_key', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('name_lower', sa.String(length=255), nullable=False),
    sa.Column('ciphertext', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_key'], ['workspaces.key'], name=op.f('fk_secrets_workspace_key_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_secrets')),
    sa.UniqueConstraint('workspace_key', 'name_lower', name='uq_secrets_ws_name')
    )
    op.create_table('asset_versions',
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
    sa.Column('created_by', sa.String(length=256), nullable=False),
    sa.Column('created_by_type', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_by', sa.String(length=256), nullable=False),
    sa.Column('modified_by_type', sa.String(length=32), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['container_key'], ['asset_containers.key'], name=op.f('fk_asset_versions_container_key_asset_containers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_asset_versions')),
    sa.UniqueConstraint('container_key', 'seq', name='uq_asset_versions_container_seq'),
    sa.UniqueConstraint('container_key', 'version_lower', name='uq_asset_versions_container_version')
    )
    with op.batch_alter_table('datastores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credentials_type', sa.String(length=32), server_default='None', nullable=False))
        batch_op.add_column(sa.Column('secret_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('description', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('tags', sa.JSON(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('datastores', schema=None) as batch_op:
        batch_op.drop_column('tags')
        batch_op.drop_column('description')
        batch_op.drop_column('secret_name')
        batch_op.drop_column('credentials_type')

    op.drop_table('asset_versions')
    op.drop_table('secrets')
    op.drop_table('asset_containers')
