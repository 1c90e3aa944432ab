"""region outage drills

One row per region ever failed by ``amlite admin region fail``; failed while ``restored_at`` is
empty (domain/outages.py).

Revision ID: 0020_drills
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0020_drills'
down_revision = '0019'
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


def downgrade() -> None:
    op.drop_table('region_outages')
