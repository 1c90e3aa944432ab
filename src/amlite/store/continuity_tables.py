"""The tables of business continuity: paired workspaces, the standby definitions of a pair's
endpoints, and region outage drills (``domain.pairs``, ``domain.warm_endpoints``,
``domain.outages``). Declared on the one ``tables.metadata`` and re-exported by ``tables``, so
``tables.workspace_pairs`` names them as it names every other table.
"""

from __future__ import annotations

import sqlalchemy as sa

from amlite.store.tables import UtcDateTime, metadata

# Paired workspaces (domain/pairs.py): names unique in the tenant; a pair goes with either workspace.
workspace_pairs = sa.Table(
    "workspace_pairs",
    metadata,
    sa.Column("key", sa.String(36), primary_key=True),
    sa.Column("tenant_id", sa.String(36), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("name_lower", sa.String(64), nullable=False),
    sa.Column("primary_key", sa.String(36), sa.ForeignKey("workspaces.key", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("secondary_key", sa.String(36), sa.ForeignKey("workspaces.key", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("per_kind", sa.JSON(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    # Failover (domain/failover.py): the active side, the automatic failover, the switches' reports.
    sa.Column("failed_over", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("auto_failover", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("failover_after_seconds", sa.Integer(), nullable=False, server_default="300"),
    sa.Column("history", sa.JSON(), nullable=True),
    sa.UniqueConstraint("tenant_id", "name_lower", name="uq_workspace_pairs_name"),
)

# Standby definitions of a pair's primary endpoints in its secondary (domain/warm_endpoints.py):
# one per pair and endpoint name; they go with the pair.
standby_endpoints = sa.Table(
    "standby_endpoints",
    metadata,
    sa.Column("key", sa.String(36), primary_key=True),
    sa.Column("pair_key", sa.String(36), sa.ForeignKey("workspace_pairs.key", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("name_lower", sa.String(64), nullable=False),
    sa.Column("source_key", sa.String(36), nullable=False),
    sa.Column("definition", sa.JSON(), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("copied_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("pair_key", "name_lower", name="uq_standby_endpoints_name"),
)

# Region outage drills (domain/outages.py): one row per region ever failed; failed while
# ``restored_at`` is empty. In the store so every server process sees the same drill.
region_outages = sa.Table(
    "region_outages",
    metadata,
    sa.Column("region", sa.String(64), primary_key=True),
    sa.Column("failed_at", UtcDateTime(), nullable=False),
    sa.Column("failed_by", sa.String(256), nullable=False),
    sa.Column("restored_at", UtcDateTime(), nullable=True),
    sa.Column("restored_by", sa.String(256), nullable=True),
)
