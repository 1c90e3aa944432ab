"""standby endpoint definitions of paired workspaces

One row per pair and primary endpoint: the definition a failover deploys in the secondary
(domain/warm_endpoints.py); rows go with their pair.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'standby_endpoints',
        sa.Column('key', sa.String(length=36), nullable=False),
        sa.Column('pair_key', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('name_lower', sa.String(length=64), nullable=False),
        sa.Column('source_key', sa.String(length=36), nullable=False),
        sa.Column('definition', sa.JSON(), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('copied_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['pair_key'], ['workspace_pairs.key'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('key'),
        sa.UniqueConstraint('pair_key', 'name_lower', name='uq_standby_endpoints_name'),
    )
    op.create_index(op.f('ix_standby_endpoints_pair_key'), 'standby_endpoints', ['pair_key'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_standby_endpoints_pair_key'), table_name='standby_endpoints')
    op.drop_table('standby_endpoints')
