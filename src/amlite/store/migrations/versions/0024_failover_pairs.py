"""failover and failback of workspace pairs

Which side of a pair is active, its automatic failover setting and the reports of its switches
(domain/failover.py).

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('workspace_pairs', sa.Column('failed_over', sa.Boolean(), nullable=False,
                                               server_default=sa.false()))
    op.add_column('workspace_pairs', sa.Column('auto_failover', sa.Boolean(), nullable=False,
                                               server_default=sa.false()))
    op.add_column('workspace_pairs', sa.Column('failover_after_seconds', sa.Integer(), nullable=False,
                                               server_default='300'))
    op.add_column('workspace_pairs', sa.Column('history', sa.JSON(), nullable=True))


def downgrade() -> None:
    # Dropped in place, one by one (a batch rebuild of the table is not needed for added columns).
    op.drop_column('workspace_pairs', 'history')
    op.drop_column('workspace_pairs', 'failover_after_seconds')
    op.drop_column('workspace_pairs', 'auto_failover')
    op.drop_column('workspace_pairs', 'failed_over')
