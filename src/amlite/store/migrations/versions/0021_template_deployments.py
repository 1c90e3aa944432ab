"""template deployments (``Microsoft.Resources/deployments``)

One row per deployment name in a resource group: its state, parameters, the resources it made and
its error; deleted with its group.

Revision ID: 0020_iac
Revises: 0019
Create Date: 2026-12-06 05:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'template_deployments',
        sa.Column('key', sa.String(length=36), nullable=False),
        sa.Column('resource_group_key', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('name_lower', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('parameters', sa.JSON(), nullable=False),
        sa.Column('template_hash', sa.String(length=64), nullable=False),
        sa.Column('output_resources', sa.JSON(), nullable=False),
        sa.Column('error', sa.JSON(), nullable=True),
        sa.Column('duration_seconds', sa.Float(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['resource_group_key'], ['resource_groups.key'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('key'),
        sa.UniqueConstraint('resource_group_key', 'name_lower', name='uq_template_deployments_rg_name'),
    )
    op.create_index(op.f('ix_template_deployments_resource_group_key'), 'template_deployments',
                    ['resource_group_key'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_template_deployments_resource_group_key'), table_name='template_deployments')
    op.drop_table('template_deployments')
