"""rbac and audit: custom role definitions, group members, audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 15:19:33.280648
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('audit_log',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('principal_id', sa.String(length=36), nullable=False),
    sa.Column('principal_name', sa.String(length=256), nullable=False),
    sa.Column('action', sa.String(length=256), nullable=False),
    sa.Column('scope', sa.String(length=1024), nullable=False),
    sa.Column('scope_lower', sa.String(length=1024), nullable=False),
    sa.Column('subscription_id', sa.String(length=36), nullable=True),
    sa.Column('resource_group_lower', sa.String(length=1024), nullable=True),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('correlation_id', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('http_method', sa.String(length=16), server_default='', nullable=False),
    sa.Column('client_ip', sa.String(length=64), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_principal_id'), ['principal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('role_definitions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('name_lower', sa.String(length=256), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('actions', sa.JSON(), nullable=False),
    sa.Column('not_actions', sa.JSON(), nullable=False),
    sa.Column('data_actions', sa.JSON(), nullable=False),
    sa.Column('not_data_actions', sa.JSON(), nullable=False),
    sa.Column('assignable_scopes', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_role_definitions_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_definitions')),
    sa.UniqueConstraint('tenant_id', 'name_lower', name='uq_role_definitions_tenant_name')
    )
    op.create_table('group_members',
    sa.Column('group_id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['principals.id'], name=op.f('fk_group_members_group_id_principals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['principals.id'], name=op.f('fk_group_members_member_id_principals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'member_id', name=op.f('pk_group_members'))
    )
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_members_member_id'), ['member_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_members_member_id'))

    op.drop_table('group_members')
    op.drop_table('role_definitions')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_principal_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')

