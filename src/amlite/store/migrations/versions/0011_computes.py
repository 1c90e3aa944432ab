"""computes: a workspace's compute clusters and instances, and the node slots jobs hold on them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-14 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('computes',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('workspace_key', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('name_lower', sa.String(length=32), nullable=False),
    sa.Column('compute_type', sa.String(length=32), nullable=False),
    sa.Column('location', sa.String(length=64), nullable=False),
    sa.Column('vm_size', sa.String(length=64), nullable=False),
    sa.Column('family', sa.String(length=64), nullable=False),
    sa.Column('vcpus', sa.Integer(), nullable=False),
    sa.Column('min_nodes', sa.Integer(), nullable=False),
    sa.Column('max_nodes', sa.Integer(), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('idle_seconds', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('provisioning_state', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=True),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('last_operation', sa.JSON(), nullable=True),
    sa.Column('created_by', sa.String(length=256), nullable=False),
    sa.Column('created_by_type', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_by', sa.String(length=256), nullable=False),
    sa.Column('modified_by_type', sa.String(length=32), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_key'], ['workspaces.key'], name=op.f('fk_computes_workspace_key_workspaces'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_computes')),
    sa.UniqueConstraint('workspace_key', 'name_lower', name='uq_computes_ws_name')
    )
    with op.batch_alter_table('computes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_computes_location'), ['location'], unique=False)
    op.create_table('compute_node_slots',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('compute_key', sa.String(length=36), nullable=False),
    sa.Column('slot_index', sa.Integer(), nullable=False),
    sa.Column('holder', sa.String(length=256), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['compute_key'], ['computes.key'], name=op.f('fk_compute_node_slots_compute_key_computes'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_compute_node_slots')),
    sa.UniqueConstraint('compute_key', 'slot_index', name='uq_compute_node_slots_compute_slot')
    )


def downgrade() -> None:
    op.drop_table('compute_node_slots')
    with op.batch_alter_table('computes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_computes_location'))
    op.drop_table('computes')
