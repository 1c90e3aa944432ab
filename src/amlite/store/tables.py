"""The metadata schema. Alembic migrations under ``migrations/versions`` create exactly this;
``tests/contract/test_migrations.py`` fails when the two drift apart.

Names are stored as given (case-preserving) next to a lower-cased copy that carries the unique
constraints and serves lookups (case-insensitive), as ARM requires.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Stores UTC and always hands back timezone-aware datetimes, on SQLite too."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _id(name: str = "key") -> sa.Column[str]:
    return sa.Column(name, sa.String(36), primary_key=True)


def _soft_delete(table: str) -> list[sa.Column[Any]]:
    """A soft-deleted row: when it was deleted (``NULL``: it is not), when its retention ends,
    and whether its purge also removes its associated resources."""
    return [
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.Column("purge_at", UtcDateTime(), nullable=True, index=True),
        sa.Column("purge_dependents", sa.Boolean(), nullable=False, server_default=sa.false()),
    ]


def _stamps() -> list[sa.Column[Any]]:
    return [
        sa.Column("created_by", sa.String(256), nullable=False),
        sa.Column("created_by_type", sa.String(32), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("modified_by", sa.String(256), nullable=False),
        sa.Column("modified_by_type", sa.String(32), nullable=False),
        sa.Column("modified_at", UtcDateTime(), nullable=False),
    ]


tenants = sa.Table(
    "tenants",
    metadata,
    _id("id"),
    sa.Column("display_name", sa.String(256), nullable=False),
    sa.Column("default_domain", sa.String(256), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

principals = sa.Table(
    "principals",
    metadata,
    _id("id"),
    sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("display_name", sa.String(256), nullable=False),
    sa.Column("user_principal_name", sa.String(256)),
    sa.Column("upn_lower", sa.String(256)),
    sa.Column("app_id", sa.String(36)),
    sa.Column("secret_hash", sa.String(512)),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("tenant_id", "upn_lower", name="uq_principals_tenant_upn"),
    sa.UniqueConstraint("app_id", name="uq_principals_app_id"),
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    _id("id"),
    sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("display_name", sa.String(256), nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

subscription_aliases = sa.Table(
    "subscription_aliases",
    metadata,
    sa.Column("name_lower", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("subscription_id", sa.String(36), sa.ForeignKey("subscriptions.id"), nullable=False),
)

provider_registrations = sa.Table(
    "provider_registrations",
    metadata,
    sa.Column("subscription_id", sa.String(36), sa.ForeignKey("subscriptions.id"), primary_key=True),
    sa.Column("namespace_lower", sa.String(128), primary_key=True),
    sa.Column("namespace", sa.String(128), nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
)

resource_groups = sa.Table(
    "resource_groups",
    metadata,
    _id(),
    sa.Column("subscription_id", sa.String(36), sa.ForeignKey("subscriptions.id"), nullable=False),
    sa.Column("name", sa.String(90), nullable=False),
    sa.Column("name_lower", sa.String(90), nullable=False),
    sa.Column("location", sa.String(64), nullable=False),
    sa.Column("tags", sa.JSON(), nullable=False),
    sa.Column("etag", sa.String(64), nullable=False),
    sa.Column("managed_by", sa.String(512)),
    sa.Column("provisioning_state", sa.String(32), nullable=False),
    *_stamps(),
    sa.UniqueConstraint("subscription_id", "name_lower", name="uq_resource_groups_sub_name"),
)

workspaces = sa.Table(
    "workspaces",
    metadata,
    _id(),
    sa.Column("resource_group_key", sa.String(36), sa.ForeignKey("resource_groups.key"), nullable=False, index=True),
    sa.Column("name", sa.String(33), nullable=False),
    sa.Column("name_lower", sa.String(33), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("location", sa.String(64), nullable=False),
    sa.Column("workspace_id", sa.String(36), nullable=False),
    sa.Column("friendly_name", sa.String(256), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("tags", sa.JSON(), nullable=False),
    sa.Column("etag", sa.String(64), nullable=False),
    sa.Column("identity_principal_id", sa.String(36), nullable=False),
    sa.Column("provisioning_state", sa.String(32), nullable=False),
    sa.Column("associated", sa.JSON(), nullable=False),
    *_stamps(),
    # A project's hub (domain/hubs.py); no foreign key: the column was added to a populated table
    # (no rebuild on SQLite), and a hub with projects cannot be deleted (services/workspaces.py).
    sa.Column("hub_key", sa.String(36), index=True),
    sa.Column("settings", sa.JSON()),
    *_soft_delete("workspaces"),
    sa.UniqueConstraint("resource_group_key", "name_lower", name="uq_workspaces_rg_name"),
    sa.UniqueConstraint("workspace_id", name="uq_workspaces_workspace_id"),
)

# The ids a workspace had before a move (seed 000): a reference written with them (a script, a
# YAML file, another workspace's version) still resolves to the workspace. A workspace that now
# holds the old name in the old group wins over the record.
workspace_former_ids = sa.Table(
    "workspace_former_ids",
    metadata,
    _id(),
    sa.Column("workspace_key", sa.String(36), sa.ForeignKey("workspaces.key", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("subscription_id", sa.String(36), nullable=False),
    sa.Column("resource_group_lower", sa.String(90), nullable=False),
    sa.Column("name_lower", sa.String(33), nullable=False),
    sa.Column("moved_at", UtcDateTime(), nullable=False),
    sa.Index("ix_workspace_former_ids_lookup", "subscription_id", "resource_group_lower", "name_lower"),
)

private_endpoint_connections = sa.Table(
    "private_endpoint_connections",
    metadata,
    _id(),
    sa.Column("workspace_key", sa.String(36), sa.ForeignKey("workspaces.key", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("name_lower", sa.String(128), nullable=False),
    sa.Column("private_endpoint_id", sa.String(1024), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("actions_required", sa.String(256), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("modified_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("workspace_key", "name_lower", name="uq_private_endpoint_connections_ws_name"),
)

labeling_projects = sa.Table(
    "labeling_projects",
    metadata,
    _id(),
    sa.Column("workspace_key", sa.String(36), sa.ForeignKey("workspaces.key", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("name_lower", sa.String(255), nullable=False),
    sa.Column("project_id", sa.String(36), nullable=False),
    sa.Column("spec", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("modified_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.String(256), nullable=False),
    sa.UniqueConstraint("workspace_key", "name_lower", name="uq_labeling_projects_ws_name"),
)

resources = sa.Table(
    "resources",
    metadata,
    _id(),
    sa.Column("resource_group_key", sa.String(36), sa.ForeignKey("resource_groups.key"), nullable=False, index=True),
    sa.Column("namespace", sa.String(128), nullable=False),
    sa.Column("type", sa.String(128), nullable=False),
    sa.Column("type_lower", sa.String(260), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("name_lower", sa.String(128), nullable=False),
    sa.Column("location", sa.String(64), nullable=False),
    sa.Column("properties", sa.JSON(), nullable=False),
    sa.Column("workspace_key", sa.String(36), sa.ForeignKey("workspaces.key", ondelete="SET NULL"), index=True),
    sa.UniqueConstraint("resource_group_key", "type_lower", "name_lower", name="uq_resources_rg_type_name"),
    # Records of one type across groups (``of_type``: the Databricks workspaces linked to ML workspaces).
    sa.Index("ix_resources_type_lower", "type_lower"),
)

datastores = sa.Table(
    "datastores",
    metadata,
    _id(),
    sa.Column("workspace_key", sa.String(36), sa.ForeignKey("workspaces.key", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("name_lower", sa.String(255), nullable=False),
    sa.Column("datastore_type", sa.String(64), nullable=False),
    sa.Column("account_name", sa.String(64), nullable=False),
    sa.Column("container_name", sa.String(255), nullable=False),
    sa.Column("endpoint", sa.String(255), nullable=False),
    sa.Column("protocol", sa.String(16), nullable=False),
    # The storage account's ids when given; NULL: it sits with the workspace (no copy of its ids).
    sa.Column("subscription_id", sa.String(36)),
    sa.Column("resource_group_name", sa.String(90)),
    sa.Column("is_default", sa.Boolean(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # Credentials live encrypted in the workspace's secret namespace (``secrets``), named here.
    sa.Column("credentials_type", sa.String(32), nullable=False, server_default="None"),
    sa.Column("secret_name", sa.String(255)),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.Column("tags", sa.JSON()),
    sa.UniqueConstraint("workspace_key", "name_lower", name="uq_datastores_ws_name"),
)

secrets = sa.Table(
    "secrets",
    metadata,
    _id(),
    sa.Column("workspace_key", sa.String(36), sa.ForeignKey("workspaces.key", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("name_lower", sa.String(255), nullable=False),
    sa.Column("ciphertext", sa.Text(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("workspace_key", "name_lower", name="uq_secrets_ws_name"),
)

def _asset_containers(name: str, owner_column: str, owner_table: str, unique_name: str) -> sa.Table:
    """Asset containers of one kind of owner (workspaces, registries): one definition, so the two
    owners' tables cannot drift apart; each keeps a real foreign key to its owner."""
    return sa.Table(
        name,
        metadata,
        _id(),
        sa.Column(owner_column, sa.String(36), sa.ForeignKey(f"{owner_table}.key", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("name_lower", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("is_archived", sa.Boolean(), nullable=False),
        sa.Column("next_version", sa.Integer(), nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        *_stamps(),
        sa.UniqueConstraint(owner_column, "kind", "name_lower", name=unique_name),
    )


def _asset_versions(name: str, containers: str, *extra: sa.Column[Any]) -> sa.Table:
    """Asset versions under the containers table ``containers``."""
    return sa.Table(
        name,
        metadata,
        _id(),
        sa.Column("container_key", sa.String(36), sa.ForeignKey(f"{containers}.key", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("version_lower", sa.String(64), nullable=False),
        # Creation order within the container: ``@latest`` is the highest ``seq`` not archived.
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("is_archived", sa.Boolean(), nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        *extra,
        *_stamps(),
        # Soft delete (amlite's addition): hidden while ``deleted_at`` is set, purged at ``purge_at``.
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.Column("purge_at", UtcDateTime(), nullable=True, index=True),
        sa.UniqueConstraint("container_key", "version_lower", name=f"uq_{name}_container_version"),
        sa.UniqueConstraint("container_key", "seq", name=f"uq_{name}_container_seq"),
    )


asset_containers = _asset_containers("asset_containers", "workspace_key", "workspaces", "uq_asset_containers_ws_kind_name")
asset_versions = _asset_versions("asset_versions", "asset_containers")

# The tag index of a workspace's asset versions: one row per (version, tag), kept in the unit of
# work that writes the version's tags, so a search by tag across every asset of a kind in a
# workspace (MLflow's ``search_model_versions``) reads index entries, not every version. Names
# and values are looked up by digest (a 512-character name and a 256-character value would not
# fit a PostgreSQL index entry); the text is kept beside it and compared too.
asset_version_tags = sa.Table(
    "asset_version_tags",
    metadata,
    sa.Column("version_key", sa.String(36), sa.ForeignKey("asset_versions.key", ondelete="CASCADE"), primary_key=True),
    sa.Column("name_hash", sa.String(32), primary_key=True),
    sa.Column("workspace_key", sa.String(36), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("value_hash", sa.String(32), nullable=False),
    sa.Column("name", sa.String(512), nullable=False),
    sa.Column("value", sa.String(256), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),  # the version's: the search's newest-first order
    sa.Index("ix_asset_version_tags_lookup", "workspace_key", "kind", "name_hash", "value_hash", "created_at"),
)

operations = sa.Table(
    "operations",
    metadata,
    _id("id"),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("subscription_id", sa.String(36), nullable=False),
    sa.Column("namespace", sa.String(128), nullable=False),
    sa.Column("location", sa.String(64), nullable=False),
    sa.Column("target_id", sa.String(1024), nullable=False),
    sa.Column("target_key", sa.String(36), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("payload", sa.JSON(), nullable=False),
    sa.Column("error_code", sa.String(128)),
    sa.Column("error_message", sa.Text()),
    sa.Column("created_by", sa.String(256), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("ended_at", UtcDateTime()),
)

role_assignments = sa.Table(
    "role_assignments",
    metadata,
    _id("id"),
    sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("principal_id", sa.String(36), sa.ForeignKey("principals.id"), nullable=False, index=True),
    sa.Column("role_definition_id", sa.String(36), nullable=False),
    sa.Column("scope", sa.String(1024), nullable=False),
    sa.Column("scope_lower", sa.String(1024), nullable=False, index=True),
    sa.Column("created_by", sa.String(256), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("principal_id", "role_definition_id", "scope_lower", name="uq_role_assignments_triple"),
)

role_definitions = sa.Table(
    "role_definitions",
    metadata,
    _id("id"),
    sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("name", sa.String(256), nullable=False),
    sa.Column("name_lower", sa.String(256), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("actions", sa.JSON(), nullable=False),
    sa.Column("not_actions", sa.JSON(), nullable=False),
    sa.Column("data_actions", sa.JSON(), nullable=False),
    sa.Column("not_data_actions", sa.JSON(), nullable=False),
    sa.Column("assignable_scopes", sa.JSON(), nullable=False),
    sa.Column("created_by", sa.String(256), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("tenant_id", "name_lower", name="uq_role_definitions_tenant_name"),
)

group_members = sa.Table(
    "group_members",
    metadata,
    sa.Column("group_id", sa.String(36), sa.ForeignKey("principals.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("member_id", sa.String(36), sa.ForeignKey("principals.id", ondelete="CASCADE"), primary_key=True, index=True),
)

# One row (id 1): a number that grows whenever something an access decision reads changes
# (principals, group members, role assignments, custom role definitions, region outages), in the
# same transaction as the change. Servers remember their decisions and the failed regions under it
# (``services.authz``, ``store.outage_repos``) and read only it.
access_generation = sa.Table(
    "access_generation",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("value", sa.BigInteger(), nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    _id("id"),
    sa.Column("tenant_id", sa.String(36), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False, index=True),
    sa.Column("principal_id", sa.String(36), nullable=False, index=True),
    sa.Column("principal_name", sa.String(256), nullable=False),
    sa.Column("action", sa.String(256), nullable=False),
    sa.Column("scope", sa.String(1024), nullable=False),
    sa.Column("scope_lower", sa.String(1024), nullable=False),
    sa.Column("subscription_id", sa.String(36), index=True),
    sa.Column("resource_group_lower", sa.String(1024)),
    sa.Column("result", sa.String(16), nullable=False),
    sa.Column("status_code", sa.Integer()),
    sa.Column("correlation_id", sa.String(64), nullable=False),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
    sa.Column("http_method", sa.String(16), nullable=False, server_default=""),
    sa.Column("client_ip", sa.String(64), nullable=False, server_default=""),
)

# Registries are unique by name in the tenant (across subscriptions), case-insensitively.
registries = sa.Table(
    "registries",
    metadata,
    _id(),
    sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("resource_group_key", sa.String(36), sa.ForeignKey("resource_groups.key"), nullable=False, index=True),
    sa.Column("name", sa.String(32), nullable=False),
    sa.Column("name_lower", sa.String(32), nullable=False),
    sa.Column("location", sa.String(64), nullable=False),
    sa.Column("registry_id", sa.String(36), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("tags", sa.JSON(), nullable=False),
    sa.Column("etag", sa.String(64), nullable=False),
    sa.Column("provisioning_state", sa.String(32), nullable=False),
    *_stamps(),
    *_soft_delete("registries"),
    sa.UniqueConstraint("tenant_id", "name_lower", name="uq_registries_tenant_name"),
    sa.UniqueConstraint("registry_id", name="uq_registries_registry_id"),
)

# One row per replication region of a registry; a removed region's row is deleted.
registry_regions = sa.Table(
    "registry_regions",
    metadata,
    _id(),
    sa.Column("registry_key", sa.String(36), sa.ForeignKey("registries.key", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("region", sa.String(64), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("storage_account_name", sa.String(64), nullable=False),
    sa.Column("storage_account_type", sa.String(64), nullable=False),
    sa.Column("hns", sa.Boolean(), nullable=False),
    # The generic resource record (Microsoft.Storage/storageAccounts) of this region's account.
    sa.Column("resource_key", sa.String(36), nullable=False),
    sa.Column("added_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("registry_key", "region", name="uq_registry_regions_registry_region"),
)

# Registry assets: the same shape as a workspace's asset containers and versions, owned by a
# registry instead (docs/architecture.md, "Asset owners"), plus the shared version's lineage.
registry_asset_containers = _asset_containers(
    "registry_asset_containers", "registry_key", "registries", "uq_registry_asset_containers_reg_kind_name"
)
registry_asset_versions = _asset_versions(
    "registry_asset_versions", "registry_asset_containers", sa.Column("lineage", sa.JSON())
)

# The durable task queue of every background job (services/tasks.py): one row per unit of work.
tasks = sa.Table(
    "tasks",
    metadata,
    _id(),
    sa.Column("kind", sa.String(64), nullable=False),
    # What the task does, named so that the same work is queued once (unique).
    sa.Column("dedupe_key", sa.String(256), nullable=False, unique=True),
    sa.Column("subject_key", sa.String(36), index=True),
    sa.Column("scope_key", sa.String(36), index=True),
    sa.Column("payload", sa.JSON(), nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("last_error", sa.Text()),
    sa.Column("next_run_at", UtcDateTime(), index=True),
    sa.Column("last_run_at", UtcDateTime()),
    sa.Column("lease_owner", sa.String(64)),
    sa.Column("lease_expires_at", UtcDateTime()),
    sa.Column("heartbeat_at", UtcDateTime()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

# Template deployments (``Microsoft.Resources/deployments``, domain/templates.py): one row per
# deployment name in a group; the group's deletion takes them with it.
template_deployments = sa.Table(
    "template_deployments",
    metadata,
    _id(),
    sa.Column("resource_group_key", sa.String(36), sa.ForeignKey("resource_groups.key", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("name_lower", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("parameters", sa.JSON(), nullable=False),
    sa.Column("template_hash", sa.String(64), nullable=False),
    sa.Column("output_resources", sa.JSON(), nullable=False),
    sa.Column("error", sa.JSON()),
    sa.Column("duration_seconds", sa.Float(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("modified_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("resource_group_key", "name_lower", name="uq_template_deployments_rg_name"),
)

# The server's own keys (domain/server_keys.py): one row each, shared by every server process.
server_keys = sa.Table(
    "server_keys",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("material", sa.Text(), nullable=False),
    sa.Column("wrapped_by", sa.String(64)),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

# Paired workspaces, their standby endpoints and region outage drills live in their own module,
# declared on this metadata.
from amlite.store.continuity_tables import region_outages, standby_endpoints, workspace_pairs  # noqa: E402,F401

# Blobs by path in the storage accounts amlite serves (``domain.storage_paths``): the path's bytes
# are the content-addressed blob ``sha256`` in the account's container. ``path_hash`` (sha256 of
# the path) carries the uniqueness, as paths may be longer than an index allows.
storage_paths = sa.Table(
    "storage_paths",
    metadata,
    sa.Column("account", sa.String(64), primary_key=True),
    sa.Column("container", sa.String(255), primary_key=True),
    sa.Column("path_hash", sa.String(64), primary_key=True),
    sa.Column("path", sa.Text(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("content_type", sa.String(255), nullable=False),
    sa.Column("blob_metadata", sa.JSON(), nullable=False),
    sa.Column("etag", sa.String(64), nullable=False),
    sa.Column("modified_at", UtcDateTime(), nullable=False),
)

# Uncommitted blocks of a block upload (Put Block), by the path they are for and the client's
# block id: each is a content-addressed blob until Put Block List joins them into the path's blob.
storage_blocks = sa.Table(
    "storage_blocks",
    metadata,
    sa.Column("account", sa.String(64), primary_key=True),
    sa.Column("container", sa.String(255), primary_key=True),
    sa.Column("path_hash", sa.String(64), primary_key=True),
    sa.Column("block_id", sa.String(128), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

# A workspace's computes (domain/computes.py): clusters and instances, their states and scale.
computes = sa.Table(
    "computes",
    metadata,
    _id(),
    sa.Column("workspace_key", sa.String(36), sa.ForeignKey("workspaces.key", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(32), nullable=False),
    sa.Column("name_lower", sa.String(32), nullable=False),
    sa.Column("compute_type", sa.String(32), nullable=False),
    sa.Column("location", sa.String(64), nullable=False, index=True),
    # The size as named, with its family and vCPUs as reserved (the quota sums them).
    sa.Column("vm_size", sa.String(64), nullable=False),
    sa.Column("family", sa.String(64), nullable=False),
    sa.Column("vcpus", sa.Integer(), nullable=False),
    sa.Column("min_nodes", sa.Integer(), nullable=False),
    sa.Column("max_nodes", sa.Integer(), nullable=False),
    sa.Column("tier", sa.String(16), nullable=False),
    sa.Column("idle_seconds", sa.Integer()),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("tags", sa.JSON(), nullable=False),
    sa.Column("provisioning_state", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16)),
    sa.Column("settings", sa.JSON(), nullable=False),
    sa.Column("errors", sa.JSON(), nullable=False),
    sa.Column("last_operation", sa.JSON()),
    *_stamps(),
    sa.UniqueConstraint("workspace_key", "name_lower", name="uq_computes_ws_name"),
)

# Workspace-level vCPU limits per VM family (Azure's ``workspaces/quotas``, set by ``updateQuotas``):
# a hub's caps the hub and its projects together; a workspace without a row has no limit of its own.
workspace_quotas = sa.Table(
    "workspace_quotas",
    metadata,
    sa.Column("workspace_key", sa.String(36), sa.ForeignKey("workspaces.key", ondelete="CASCADE"), primary_key=True),
    sa.Column("family", sa.String(64), primary_key=True),
    sa.Column("vcpu_limit", sa.Integer(), nullable=False),
)

# The node slots of computes held by jobs (domain/computes.NodeSlot): one row per busy node, under a lease.
compute_node_slots = sa.Table(
    "compute_node_slots",
    metadata,
    _id(),
    sa.Column("compute_key", sa.String(36), sa.ForeignKey("computes.key", ondelete="CASCADE"), nullable=False),
    sa.Column("slot_index", sa.Integer(), nullable=False),
    sa.Column("holder", sa.String(256), nullable=False),
    sa.Column("acquired_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("compute_key", "slot_index", name="uq_compute_node_slots_compute_slot"),
)
# MLflow tracking's tables live in their own module, declared on this metadata.
from amlite.store import tracking_tables as _tracking_tables  # noqa: E402,F401

# Online endpoints of a workspace (domain/online_endpoints.py) and their deployments.
online_endpoints = sa.Table(
    "online_endpoints",
    metadata,
    _id(),
    sa.Column("workspace_key", sa.String(36), sa.ForeignKey("workspaces.key", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(32), nullable=False),
    sa.Column("name_lower", sa.String(32), nullable=False),
    sa.Column("scoring_id", sa.String(36), nullable=False, unique=True),
    sa.Column("auth_mode", sa.String(16), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("tags", sa.JSON(), nullable=False),
    sa.Column("properties", sa.JSON(), nullable=False),
    # {deployment name: weight}, in the order the user gave it (the order cuts the ranges).
    sa.Column("traffic", sa.JSON(), nullable=False),
    sa.Column("created_by", sa.String(256), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("modified_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("workspace_key", "name_lower", name="uq_online_endpoints_ws_name"),
)

online_deployments = sa.Table(
    "online_deployments",
    metadata,
    _id(),
    sa.Column("endpoint_key", sa.String(36), sa.ForeignKey("online_endpoints.key", ondelete="CASCADE"),
              nullable=False),
    sa.Column("name", sa.String(32), nullable=False),
    sa.Column("name_lower", sa.String(32), nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("model_id", sa.String(1024), nullable=False),
    sa.Column("model_ref", sa.String(1024), nullable=False),
    sa.Column("environment_id", sa.String(1024)),
    sa.Column("scoring_script", sa.String(1024), nullable=False),
    sa.Column("code_manifest", sa.JSON(), nullable=False),
    sa.Column("instance_type", sa.String(64), nullable=False),
    sa.Column("instance_count", sa.Integer(), nullable=False),
    sa.Column("environment_variables", sa.JSON(), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("tags", sa.JSON(), nullable=False),
    sa.Column("properties", sa.JSON(), nullable=False),
    sa.Column("warnings", sa.JSON(), nullable=False),
    sa.Column("error", sa.Text()),
    # Where the deployment's process listens, once one runs: the server that runs it, its port,
    # the secret it checks, and the generation that changes with every (re)start.
    sa.Column("generation", sa.String(36), nullable=False),
    sa.Column("host_id", sa.String(64)),
    sa.Column("port", sa.Integer()),
    sa.Column("secret", sa.String(64)),
    sa.Column("created_by", sa.String(256), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("modified_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("endpoint_key", "name_lower", name="uq_online_deployments_endpoint_name"),
)

# Command jobs of a workspace (domain/jobs.py): the spec as submitted, the status, and what the run
# left (its outputs' and logs' files, kept as manifests of the workspace's artifact blobs).
jobs = sa.Table(
    "jobs",
    metadata,
    _id(),
    sa.Column("workspace_key", sa.String(36), sa.ForeignKey("workspaces.key", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("name_lower", sa.String(255), nullable=False),
    sa.Column("status", sa.String(32), nullable=False, index=True),
    sa.Column("spec", sa.JSON(), nullable=False),
    sa.Column("display_name", sa.String(256), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("tags", sa.JSON(), nullable=False),
    sa.Column("is_archived", sa.Boolean(), nullable=False),
    sa.Column("warnings", sa.JSON(), nullable=False),
    sa.Column("requirements", sa.JSON(), nullable=False),
    sa.Column("image", sa.String(512)),
    sa.Column("error_code", sa.String(128)),
    sa.Column("error_message", sa.Text()),
    sa.Column("outputs", sa.JSON(), nullable=False),
    sa.Column("logs", sa.JSON(), nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("submitted_by", sa.String(36), nullable=False),
    sa.Column("etag", sa.String(64), nullable=False),
    sa.Column("start_time", UtcDateTime()),
    sa.Column("end_time", UtcDateTime()),
    *_stamps(),
    sa.UniqueConstraint("workspace_key", "name_lower", name="uq_jobs_ws_name"),
)

# Policy assignments at a subscription or resource group (domain/policies.py). The scope is kept
# as given next to its lower-cased copy; a group's assignments go with the group.
policy_assignments = sa.Table(
    "policy_assignments",
    metadata,
    _id(),
    sa.Column("subscription_id", sa.String(36), sa.ForeignKey("subscriptions.id"), nullable=False),
    sa.Column("scope", sa.String(1024), nullable=False),
    sa.Column("scope_lower", sa.String(1024), nullable=False, index=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("name_lower", sa.String(128), nullable=False),
    sa.Column("definition_name", sa.String(64), nullable=False),
    sa.Column("parameters", sa.JSON(), nullable=False),
    sa.Column("display_name", sa.String(256), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("enforcement_mode", sa.String(32), nullable=False),
    sa.Column("not_scopes", sa.JSON(), nullable=False),
    sa.Column("created_by", sa.String(256), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime()),
    sa.UniqueConstraint("scope_lower", "name_lower", name="uq_policy_assignments_scope_name"),
)

# Connections of a workspace (domain/connections.py): a target and how to sign in to it. The
# credentials are sealed in the workspace's secret namespace (``secrets``) under ``secret_name``;
# no column here ever holds one.
workspace_connections = sa.Table(
    "workspace_connections",
    metadata,
    _id(),
    sa.Column("workspace_key", sa.String(36), sa.ForeignKey("workspaces.key", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("name_lower", sa.String(255), nullable=False),
    sa.Column("category", sa.String(64), nullable=False),
    sa.Column("auth_type", sa.String(32), nullable=False),
    sa.Column("target", sa.Text(), nullable=False),
    sa.Column("meta", sa.JSON(), nullable=False),
    sa.Column("is_shared_to_all", sa.Boolean(), nullable=False),
    sa.Column("expiry_time", UtcDateTime()),
    sa.Column("secret_name", sa.String(255)),
    *_stamps(),
    sa.UniqueConstraint("workspace_key", "name_lower", name="uq_workspace_connections_ws_name"),
)
