"""server keys: the token signing key and the secrets key move from the data directory to the store

The keys themselves are imported by the server at its first start of this version (it reads the
data directory's ``signing-key.pem`` and ``secrets.key`` and stores the same keys), because only
the server knows the key-encryption key that may wrap them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('server_keys',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('material', sa.Text(), nullable=False),
    sa.Column('wrapped_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_server_keys'))
    )


def downgrade() -> None:
    op.drop_table('server_keys')
