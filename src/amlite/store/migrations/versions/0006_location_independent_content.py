"""location-independent content: asset versions and datastores keep no copy of their owner's ids

An uploaded version's ``...Uri`` (``modelUri``, ``dataUri``, ``build.contextUri``, ``codeUri``)
named the owner's subscription, resource group and workspace (or the registry) and was stored in
the spec, so it entered the fingerprint. It is now derived when a version is shown; this strips it
from stored specs and recomputes their fingerprints. Datastores whose storage account ids equal
their workspace's current ids (the ids the server filled in when none were given) get NULL, which
means "with the workspace". Clients see the same documents before and after.

The fingerprint rule is copied here, not imported: a migration must keep meaning what it meant
when it was written, whatever the domain code becomes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_PAGE = 500


def upgrade() -> None:
    with op.batch_alter_table('datastores', schema=None) as batch_op:
        batch_op.alter_column('subscription_id', existing_type=sa.String(length=36), nullable=True)
        batch_op.alter_column('resource_group_name', existing_type=sa.String(length=90), nullable=True)
    conn = op.get_bind()
    _forget_workspace_ids_of_datastores(conn)
    for versions, containers in (("asset_versions", "asset_containers"),
                                 ("registry_asset_versions", "registry_asset_containers")):
        _rewrite_specs(conn, versions, containers, lambda kind, spec, owner: _without_uri(kind, spec))


def downgrade() -> None:
    conn = op.get_bind()
    _rewrite_specs(conn, "asset_versions", "asset_containers", _with_uri,
                   owner=_workspace_uris(conn))
    _rewrite_specs(conn, "registry_asset_versions", "registry_asset_containers", _with_uri,
                   owner=_registry_uris(conn))
    ds, ws, rg = _t("datastores"), _t("workspaces"), _t("resource_groups")
    rows = conn.execute(sa.select(ds.c.key, ds.c.subscription_id, ds.c.resource_group_name, rg.c.subscription_id,
                                  rg.c.name)
                        .select_from(ds.join(ws, ws.c.key == ds.c.workspace_key).join(rg, rg.c.key == ws.c.resource_group_key))
                        .where(sa.or_(ds.c.subscription_id.is_(None), ds.c.resource_group_name.is_(None)))).all()
    for key, ds_sub, ds_rg, sub, rg_name in rows:
        conn.execute(ds.update().where(ds.c.key == key)
                     .values(subscription_id=ds_sub or sub, resource_group_name=ds_rg or rg_name))
    with op.batch_alter_table('datastores', schema=None) as batch_op:
        batch_op.alter_column('subscription_id', existing_type=sa.String(length=36), nullable=False)
        batch_op.alter_column('resource_group_name', existing_type=sa.String(length=90), nullable=False)


# -- datastores ----------------------------------------------------------------------------------


def _forget_workspace_ids_of_datastores(conn: sa.Connection) -> None:
    ds, ws, rg = _t("datastores"), _t("workspaces"), _t("resource_groups")
    rows = conn.execute(sa.select(ds.c.key, ds.c.subscription_id, ds.c.resource_group_name, rg.c.subscription_id,
                                  rg.c.name)
                        .select_from(ds.join(ws, ws.c.key == ds.c.workspace_key).join(rg, rg.c.key == ws.c.resource_group_key))
                        ).all()
    same = [key for key, ds_sub, ds_rg, sub, rg_name in rows
            if (ds_sub or "").lower() == sub.lower() and (ds_rg or "").lower() == rg_name.lower()]
    for start in range(0, len(same), _PAGE):
        conn.execute(ds.update().where(ds.c.key.in_(same[start:start + _PAGE]))
                     .values(subscription_id=None, resource_group_name=None))


# -- asset versions ------------------------------------------------------------------------------


def _rewrite_specs(conn: sa.Connection, versions_name: str, containers_name: str,
                   change: Callable[[str, dict[str, Any], str | None], dict[str, Any]],
                   owner: dict[str, str] | None = None) -> None:
    """Apply ``change(kind, spec, owner_uri_prefix)`` to every uploaded version's spec (one with a
    manifest) and store the spec with its recomputed fingerprint, a page of rows at a time."""
    versions, containers = _t(versions_name), _t(containers_name)
    owner_column = "workspace_key" if containers_name == "asset_containers" else "registry_key"
    after = ""
    while True:
        page = conn.execute(
            sa.select(versions.c.key, versions.c.version, versions.c.spec, versions.c.manifest, versions.c.fingerprint,
                      containers.c.kind, containers.c.name, containers.c[owner_column])
            .select_from(versions.join(containers, containers.c.key == versions.c.container_key))
            .where(versions.c.key > after).order_by(versions.c.key).limit(_PAGE)
        ).all()
        if not page:
            return
        for key, version, spec, manifest, old_fingerprint, kind, name, owner_key in page:
            if not manifest:
                continue
            prefix = None
            if owner is not None:
                prefix = owner[owner_key].format(kind=kind, name=name, version=version)
            new_spec = change(kind, dict(spec), prefix)
            new_fingerprint = _fingerprint(new_spec, manifest)
            if new_spec != spec or new_fingerprint != old_fingerprint:
                conn.execute(versions.update().where(versions.c.key == key)
                             .values(spec=new_spec, fingerprint=new_fingerprint))
        after = page[-1][0]


def _without_uri(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The spec without the URI the server derived for the version's uploaded files (a client's
    own ``...Uri`` is never kept next to uploaded files, so every such URI is a derived one)."""
    if kind == "models":
        spec.pop("modelUri", None)
    elif kind == "data":
        spec.pop("dataUri", None)
    elif kind == "environments":
        if isinstance(spec.get("build"), dict):
            spec["build"] = {k: v for k, v in spec["build"].items() if k != "contextUri"}
    else:
        spec.pop("codeUri", None)
    return spec


def _with_uri(kind: str, spec: dict[str, Any], uri: str | None) -> dict[str, Any]:
    assert uri is not None
    if kind == "models":
        spec["modelUri"] = uri
    elif kind == "data":
        spec["dataUri"] = uri
    elif kind == "environments":
        spec["build"] = {**spec.get("build", {"dockerfilePath": "Dockerfile"}), "contextUri": uri}
    else:
        spec["codeUri"] = uri
    return spec


def _workspace_uris(conn: sa.Connection) -> dict[str, str]:
    ws, rg = _t("workspaces"), _t("resource_groups")
    rows = conn.execute(sa.select(ws.c.key, ws.c.name, rg.c.subscription_id, rg.c.name)
                        .select_from(ws.join(rg, rg.c.key == ws.c.resource_group_key))).all()
    return {key: (f"azureml://subscriptions/{sub}/resourcegroups/{rg_name}/workspaces/{name}"
                  "/datastores/workspaceblobstore/paths/{kind}/{name}/{version}/")
            for key, name, sub, rg_name in rows}


def _registry_uris(conn: sa.Connection) -> dict[str, str]:
    reg = _t("registries")
    return {key: f"azureml://registries/{name}" + "/{kind}/{name}/versions/{version}"
            for key, name in conn.execute(sa.select(reg.c.key, reg.c.name)).all()}


def _fingerprint(spec: dict[str, Any], manifest: list[dict[str, Any]]) -> str:
    """``domain.assets.fingerprint`` as of this revision."""
    artifacts = [{"path": m["path"], "sha256": m["sha256"], "size": m["size"]}
                 for m in sorted(manifest, key=lambda m: str(m["path"]))]
    body = {"spec": spec, "artifacts": artifacts}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


_COLUMNS: dict[str, tuple[tuple[str, Any], ...]] = {
    "datastores": (("key", sa.String), ("workspace_key", sa.String), ("subscription_id", sa.String),
                   ("resource_group_name", sa.String)),
    "workspaces": (("key", sa.String), ("resource_group_key", sa.String), ("name", sa.String)),
    "resource_groups": (("key", sa.String), ("subscription_id", sa.String), ("name", sa.String)),
    "registries": (("key", sa.String), ("name", sa.String)),
    "asset_containers": (("key", sa.String), ("workspace_key", sa.String), ("kind", sa.String), ("name", sa.String)),
    "registry_asset_containers": (("key", sa.String), ("registry_key", sa.String), ("kind", sa.String),
                                  ("name", sa.String)),
    "asset_versions": (("key", sa.String), ("container_key", sa.String), ("version", sa.String), ("spec", sa.JSON),
                       ("manifest", sa.JSON), ("fingerprint", sa.String)),
}
_COLUMNS["registry_asset_versions"] = _COLUMNS["asset_versions"]


def _t(name: str) -> sa.TableClause:
    """The columns of ``name`` this revision reads or writes, as they are at this revision."""
    return sa.table(name, *(sa.column(column, kind()) for column, kind in _COLUMNS[name]))
