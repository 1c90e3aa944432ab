"""initial schema: tenants, principals, subscriptions, providers, groups, workspaces, operations

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 14:55:29.424170
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('operations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('subscription_id', sa.String(length=36), nullable=False),
    sa.Column('namespace', sa.String(length=128), nullable=False),
    sa.Column('location', sa.String(length=64), nullable=False),
    sa.Column('target_id', sa.String(length=1024), nullable=False),
    sa.Column('target_key', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('error_code', sa.String(length=128), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operations'))
    )
    with op.batch_alter_table('operations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operations_status'), ['status'], unique=False)

    op.create_table('tenants',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('display_name', sa.String(length=256), nullable=False),
    sa.Column('default_domain', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenants'))
    )
    op.create_table('principals',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('display_name', sa.String(length=256), nullable=False),
    sa.Column('user_principal_name', sa.String(length=256), nullable=True),
    sa.Column('upn_lower', sa.String(length=256), nullable=True),
    sa.Column('app_id', sa.String(length=36), nullable=True),
    sa.Column('secret_hash', sa.String(length=512), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_principals_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_principals')),
    sa.UniqueConstraint('app_id', name='uq_principals_app_id'),
    sa.UniqueConstraint('tenant_id', 'upn_lower', name='uq_principals_tenant_upn')
    )
    op.create_table('subscriptions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('display_name', sa.String(length=256), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_subscriptions_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions'))
    )
    op.create_table('provider_registrations',
    sa.Column('subscription_id', sa.String(length=36), nullable=False),
    sa.Column('namespace_lower', sa.String(length=128), nullable=False),
    sa.Column('namespace', sa.String(length=128), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_provider_registrations_subscription_id_subscriptions')),
    sa.PrimaryKeyConstraint('subscription_id', 'namespace_lower', name=op.f('pk_provider_registrations'))
    )
    op.create_table('resource_groups',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('subscription_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=90), nullable=False),
    sa.Column('name_lower', sa.String(length=90), nullable=False),
    sa.Column('location', sa.String(length=64), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('etag', sa.String(length=64), nullable=False),
    sa.Column('managed_by', sa.String(length=512), nullable=True),
    sa.Column('provisioning_state', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.String(length=256), nullable=False),
    sa.Column('created_by_type', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_by', sa.String(length=256), nullable=False),
    sa.Column('modified_by_type', sa.String(length=32), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_resource_groups_subscription_id_subscriptions')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_resource_groups')),
    sa.UniqueConstraint('subscription_id', 'name_lower', name='uq_resource_groups_sub_name')
    )
    op.create_table('role_assignments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('principal_id', sa.String(length=36), nullable=False),
    sa.Column('role_definition_id', sa.String(length=36), nullable=False),
    sa.Column('scope', sa.String(length=1024), nullable=False),
    sa.Column('scope_lower', sa.String(length=1024), nullable=False),
    sa.Column('created_by', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['principal_id'], ['principals.id'], name=op.f('fk_role_assignments_principal_id_principals')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_role_assignments_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_assignments')),
    sa.UniqueConstraint('principal_id', 'role_definition_id', 'scope_lower', name='uq_role_assignments_triple')
    )
    with op.batch_alter_table('role_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_assignments_principal_id'), ['principal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_role_assignments_scope_lower'), ['scope_lower'], unique=False)

    op.create_table('subscription_aliases',
    sa.Column('name_lower', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('subscription_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_subscription_aliases_subscription_id_subscriptions')),
    sa.PrimaryKeyConstraint('name_lower', name=op.f('pk_subscription_aliases'))
    )
    op.create_table('workspaces',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('resource_group_key', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=33), nullable=False),
    sa.Column('name_lower', sa.String(length=33), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('location', sa.String(length=64), nullable=False),
    sa.Column('workspace_id', sa.String(length=36), nullable=False),
    sa.Column('friendly_name', sa.String(length=256), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('etag', sa.String(length=64), nullable=False),
    sa.Column('identity_principal_id', sa.String(length=36), nullable=False),
    sa.Column('provisioning_state', sa.String(length=32), nullable=False),
    sa.Column('associated', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=256), nullable=False),
    sa.Column('created_by_type', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_by', sa.String(length=256), nullable=False),
    sa.Column('modified_by_type', sa.String(length=32), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resource_group_key'], ['resource_groups.key'], name=op.f('fk_workspaces_resource_group_key_resource_groups')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_workspaces')),
    sa.UniqueConstraint('resource_group_key', 'name_lower', name='uq_workspaces_rg_name'),
    sa.UniqueConstraint('workspace_id', name='uq_workspaces_workspace_id')
    )
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workspaces_resource_group_key'), ['resource_group_key'], unique=False)

    op.create_table('datastores',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('workspace_key', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('name_lower', sa.String(length=255), nullable=False),
    sa.Column('datastore_type', sa.String(length=64), nullable=False),
    sa.Column('account_name', sa.String(length=64), nullable=False),
    sa.Column('container_name', sa.String(length=255), nullable=False),
    sa.Column('endpoint', sa.String(length=255), nullable=False),
    sa.Column('protocol', sa.String(length=16), nullable=False),
    sa.Column('subscription_id', sa.String(length=36), nullable=False),
    sa.Column('resource_group_name', sa.String(length=90), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_key'], ['workspaces.key'], name=op.f('fk_datastores_workspace_key_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_datastores')),
    sa.UniqueConstraint('workspace_key', 'name_lower', name='uq_datastores_ws_name')
    )
    op.create_table('resources',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('resource_group_key', sa.String(length=36), nullable=False),
    sa.Column('namespace', sa.String(length=128), nullable=False),
    sa.Column('type', sa.String(length=128), nullable=False),
    sa.Column('type_lower', sa.String(length=260), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_lower', sa.String(length=128), nullable=False),
    sa.Column('location', sa.String(length=64), nullable=False),
    sa.Column('properties', sa.JSON(), nullable=False),
    sa.Column('workspace_key', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['resource_group_key'], ['resource_groups.key'], name=op.f('fk_resources_resource_group_key_resource_groups')),
    sa.ForeignKeyConstraint(['workspace_key'], ['workspaces.key'], name=op.f('fk_resources_workspace_key_workspaces'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_resources')),
    sa.UniqueConstraint('resource_group_key', 'type_lower', 'name_lower', name='uq_resources_rg_type_name')
    )
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resources_resource_group_key'), ['resource_group_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_resources_workspace_key'), ['workspace_key'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resources_workspace_key'))
        batch_op.drop_index(batch_op.f('ix_resources_resource_group_key'))

    op.drop_table('resources')
    op.drop_table('datastores')
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workspaces_resource_group_key'))

    op.drop_table('workspaces')
    op.drop_table('subscription_aliases')
    with op.batch_alter_table('role_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_assignments_scope_lower'))
        batch_op.drop_index(batch_op.f('ix_role_assignments_principal_id'))

    op.drop_table('role_assignments')
    op.drop_table('resource_groups')
    op.drop_table('provider_registrations')
    op.drop_table('subscriptions')
    op.drop_table('principals')
    op.drop_table('tenants')
    with op.batch_alter_table('operations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operations_status'))

    op.drop_table('operations')

