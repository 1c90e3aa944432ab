"""region outage drills and paired workspaces

One row per region ever failed by ``amlite admin region fail``; failed while ``restored_at`` is
empty (domain/outages.py).

Revision ID: 0020_drills
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'region_outages',
        sa.Column('region', sa.String(length=64), nullable=False),
        sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('failed_by', sa.String(length=256), nullable=False),
        sa.Column('restored_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('restored_by', sa.String(length=256), nullable=True),
        sa.PrimaryKeyConstraint('region'),
    )


    op.create_table(
        'workspace_pairs',
        sa.Column('key', sa.String(length=36), nullable=False),
        sa.Column('tenant_id', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('name_lower', sa.String(length=64), nullable=False),
        sa.Column('primary_key', sa.String(length=36), nullable=False),
        sa.Column('secondary_key', sa.String(length=36), nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('per_kind', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['primary_key'], ['workspaces.key'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['secondary_key'], ['workspaces.key'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('key'),
        sa.UniqueConstraint('tenant_id', 'name_lower', name='uq_workspace_pairs_name'),
    )
    op.create_index(op.f('ix_workspace_pairs_primary_key'), 'workspace_pairs', ['primary_key'], unique=False)
    op.create_index(op.f('ix_workspace_pairs_secondary_key'), 'workspace_pairs', ['secondary_key'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_workspace_pairs_secondary_key'), table_name='workspace_pairs')
    op.drop_index(op.f('ix_workspace_pairs_primary_key'), table_name='workspace_pairs')
    op.drop_table('workspace_pairs')
    op.drop_table('region_outages')
