"""storage paths: blobs by path in the storage accounts amlite serves

Adds ``storage_paths``: a container's blob paths, each naming the content-addressed blob holding
its bytes, with the metadata its client set; and ``storage_blocks``: the uncommitted blocks of
block uploads (Put Block), until Put Block List joins them.

Revision ID: 0010
Revises: 0009
Create Date: 2027-01-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "storage_paths",
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("container", sa.String(255), nullable=False),
        sa.Column("path_hash", sa.String(64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("blob_metadata", sa.JSON(), nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account", "container", "path_hash", name="pk_storage_paths"),
    )
    op.create_table(
        "storage_blocks",
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("container", sa.String(255), nullable=False),
        sa.Column("path_hash", sa.String(64), nullable=False),
        sa.Column("block_id", sa.String(128), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account", "container", "path_hash", "block_id", name="pk_storage_blocks"),
    )


def downgrade() -> None:
    op.drop_table("storage_blocks")
    op.drop_table("storage_paths")
