"""the access generation

One row whose number grows in the transaction of any change to principals, group members, role
assignments or custom role definitions, so a server may remember its authorization decisions and
check only this number on each request (services/authz.py).

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table('access_generation',
                            sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
                            sa.Column('value', sa.BigInteger(), nullable=False),
                            sa.PrimaryKeyConstraint('id', name=op.f('pk_access_generation')))
    op.bulk_insert(table, [{'id': 1, 'value': 0}])


def downgrade() -> None:
    op.drop_table('access_generation')
