"""policy assignments at subscriptions and resource groups

One row per assignment: its scope (as given and lower-cased), name, the built-in definition it
assigns, the parameters, enforcement mode and excluded scopes. Only adds a table.

Revision ID: 0015_movecheck_policies
Revises: 0014
Create Date: 2026-12-20 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('policy_assignments',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('subscription_id', sa.String(length=36), nullable=False),
    sa.Column('scope', sa.String(length=1024), nullable=False),
    sa.Column('scope_lower', sa.String(length=1024), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_lower', sa.String(length=128), nullable=False),
    sa.Column('definition_name', sa.String(length=64), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('display_name', sa.String(length=256), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('enforcement_mode', sa.String(length=32), nullable=False),
    sa.Column('not_scopes', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_policy_assignments_subscription_id_subscriptions')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_policy_assignments')),
    sa.UniqueConstraint('scope_lower', 'name_lower', name='uq_policy_assignments_scope_name'),
    )
    op.create_index(op.f('ix_policy_assignments_scope_lower'), 'policy_assignments', ['scope_lower'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_policy_assignments_scope_lower'), table_name='policy_assignments')
    op.drop_table('policy_assignments')
