"""asset version tag index: search a workspace's versions by tag across its assets

Adds ``asset_version_tags`` (one row per workspace asset version and tag, found by the digests
of the tag's name and value) and fills it from every stored version's tags.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _digest(text: str) -> str:
    """``store.asset_repos.tag_digest`` as of this revision."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def upgrade() -> None:
    op.create_table(
        "asset_version_tags",
        sa.Column("version_key", sa.String(36), sa.ForeignKey("asset_versions.key", ondelete="CASCADE",
                                                              name="fk_asset_version_tags_version_key_asset_versions"),
                  nullable=False),
        sa.Column("name_hash", sa.String(32), nullable=False),
        sa.Column("workspace_key", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value_hash", sa.String(32), nullable=False),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("value", sa.String(256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version_key", "name_hash", name="pk_asset_version_tags"),
    )
    op.create_index("ix_asset_version_tags_lookup", "asset_version_tags",
                    ["workspace_key", "kind", "name_hash", "value_hash", "created_at"])
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT v.key, v.tags, v.created_at, c.workspace_key, c.kind FROM asset_versions v "
        "JOIN asset_containers c ON c.key = v.container_key"))
    entries: list[dict[str, Any]] = []
    for key, tags, created_at, ws_key, kind in rows:
        if isinstance(tags, str):
            tags = json.loads(tags)
        for name, value in (tags or {}).items():
            entries.append({"version_key": key, "name_hash": _digest(name), "workspace_key": ws_key, "kind": kind,
                            "value_hash": _digest(str(value)), "name": name, "value": str(value),
                            "created_at": created_at})
    if entries:
        table = sa.table("asset_version_tags", *(sa.column(c) for c in entries[0]))
        op.bulk_insert(table, entries)


def downgrade() -> None:
    op.drop_index("ix_asset_version_tags_lookup", table_name="asset_version_tags")
    op.drop_table("asset_version_tags")
