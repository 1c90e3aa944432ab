"""workspace-level vCPU quotas

One row per workspace and VM family with a limit of its own (Azure's ``workspaces/quotas``, set
through ``locations/{loc}/updateQuotas``): a hub's caps the hub and its projects together. Rows go
with their workspace.

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'workspace_quotas',
        sa.Column('workspace_key', sa.String(length=36), nullable=False),
        sa.Column('family', sa.String(length=64), nullable=False),
        sa.Column('vcpu_limit', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['workspace_key'], ['workspaces.key'],
                                name=op.f('fk_workspace_quotas_workspace_key_workspaces'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('workspace_key', 'family', name=op.f('pk_workspace_quotas')),
    )


def downgrade() -> None:
    op.drop_table('workspace_quotas')
