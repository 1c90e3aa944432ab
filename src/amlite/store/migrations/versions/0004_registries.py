"""registries: registries and their replication regions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 16:04:38.357331
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('registries',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('resource_group_key', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('name_lower', sa.String(length=32), nullable=False),
    sa.Column('location', sa.String(length=64), nullable=False),
    sa.Column('registry_id', sa.String(length=36), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('etag', sa.String(length=64), nullable=False),
    sa.Column('provisioning_state', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.String(length=256), nullable=False),
    sa.Column('created_by_type', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_by', sa.String(length=256), nullable=False),
    sa.Column('modified_by_type', sa.String(length=32), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resource_group_key'], ['resource_groups.key'], name=op.f('fk_registries_resource_group_key_resource_groups')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_registries_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_registries')),
    sa.UniqueConstraint('registry_id', name='uq_registries_registry_id'),
    sa.UniqueConstraint('tenant_id', 'name_lower', name='uq_registries_tenant_name')
    )
    with op.batch_alter_table('registries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registries_resource_group_key'), ['resource_group_key'], unique=False)

    op.create_table('registry_regions',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('registry_key', sa.String(length=36), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('storage_account_name', sa.String(length=64), nullable=False),
    sa.Column('storage_account_type', sa.String(length=64), nullable=False),
    sa.Column('hns', sa.Boolean(), nullable=False),
    sa.Column('resource_key', sa.String(length=36), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registry_key'], ['registries.key'], name=op.f('fk_registry_regions_registry_key_registries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_registry_regions')),
    sa.UniqueConstraint('registry_key', 'region', name='uq_registry_regions_registry_region')
    )
    with op.batch_alter_table('registry_regions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_regions_registry_key'), ['registry_key'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('registry_regions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_regions_registry_key'))

    op.drop_table('registry_regions')
    with op.batch_alter_table('registries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registries_resource_group_key'))

    op.drop_table('registries')
