"""The Alembic migrations build exactly the schema ``store/tables.py`` declares, on both stores,
and applying them twice is harmless."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from amlite.domain.assets import ManifestEntry, fingerprint
from amlite.store.engine import alembic_config, create_engine, upgrade
from amlite.store.tables import metadata
from tests.pg import postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        eng = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
        yield eng
        eng.dispose()
    else:
        with postgres_database() as url:
            eng = create_engine(url)
            yield eng
            eng.dispose()


def test_migrations_match_the_declared_schema(engine: sa.Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == [], f"tables.py and the migrations disagree: {diff}"


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path: Path) -> None:
    eng = create_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    eng.dispose()


def _migrate_to(engine: sa.Engine, revision: str) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _insert(conn: sa.Connection, table: str, **values: Any) -> None:
    conn.execute(sa.table(table, *(sa.column(k, sa.JSON() if isinstance(v, (dict, list)) else None)
                                   for k, v in values.items())).insert().values(**values))


STAMPS = {"created_by": "u", "created_by_type": "User", "created_at": datetime(2026, 1, 1, tzinfo=timezone.utc),
          "modified_by": "u", "modified_by_type": "User", "modified_at": datetime(2026, 1, 1, tzinfo=timezone.utc)}


def test_0006_takes_the_owner_ids_out_of_stored_versions_and_datastores(engine: sa.Engine) -> None:
    """Rows written in the shape before 0006 (a derived URI naming the workspace in the spec and in
    the fingerprint, datastores holding copies of the workspace's ids) come out location-free:
    the URI is gone, the fingerprint is the content's, a storage account's own group is kept."""
    _migrate_to(engine, "0005")
    sub, weights = "00000000-0000-0000-0000-000000000001", "ab" * 32
    manifest = [{"path": "model/w.bin", "sha256": weights, "size": 7}]
    old_uri = (f"azureml://subscriptions/{sub}/resourcegroups/rg1/workspaces/ws1"
               "/datastores/workspaceblobstore/paths/models/m/1/")
    old_spec = {"properties": {}, "modelType": "custom_model", "modelUri": old_uri}
    env_spec = {"properties": {}, "osType": "Linux", "build": {"dockerfilePath": "Dockerfile", "contextUri": "x"}}
    by_url = {"properties": {}, "modelType": "custom_model", "modelUri": "https://example.org/m.pkl"}
    reg_spec = {"properties": {}, "modelType": "custom_model", "modelUri": "azureml://registries/reg1/models/p/versions/1"}
    now = STAMPS["created_at"]
    with engine.begin() as conn:
        _insert(conn, "tenants", id="t1", display_name="t", default_domain="t", created_at=now)
        _insert(conn, "subscriptions", id=sub, tenant_id="t1", display_name="s", state="Enabled", created_at=now)
        _insert(conn, "resource_groups", key="rg1", subscription_id=sub, name="rg1", name_lower="rg1",
                location="eastus", tags={}, etag="e", provisioning_state="Succeeded", **STAMPS)
        _insert(conn, "workspaces", key="ws1", resource_group_key="rg1", name="ws1", name_lower="ws1",
                kind="Default", location="eastus", workspace_id="w-1", friendly_name="ws1", description="",
                tags={}, etag="e", identity_principal_id="p", provisioning_state="Succeeded", associated={}, **STAMPS)
        for key, name, ds_sub, ds_rg in (("d1", "workspaceblobstore", sub, "RG1"), ("d2", "elsewhere", sub, "data-rg")):
            _insert(conn, "datastores", key=key, workspace_key="ws1", name=name, name_lower=name,
                    datastore_type="AzureBlob", account_name="acct", container_name="c", endpoint="core.windows.net",
                    protocol="https", subscription_id=ds_sub, resource_group_name=ds_rg, is_default=key == "d1",
                    created_at=now, credentials_type="None", description="", tags={})
        for key, kind, name in (("c1", "models", "m"), ("c2", "environments", "e")):
            _insert(conn, "asset_containers", key=key, workspace_key="ws1", kind=kind, name=name, name_lower=name,
                    description="", tags={}, properties={}, is_archived=False, next_version=3, etag="e", **STAMPS)
        rows = (("v1", "c1", "1", old_spec, manifest), ("v2", "c1", "2", by_url, []), ("v3", "c2", "1", env_spec, manifest))
        for key, container, version, spec, files in rows:
            _insert(conn, "asset_versions", key=key, container_key=container, version=version, version_lower=version,
                    seq=int(version), spec=spec, manifest=files, fingerprint="0" * 64, description="d", tags={"a": "b"},
                    is_archived=False, etag="e", **STAMPS)
        _insert(conn, "registries", key="r1", tenant_id="t1", resource_group_key="rg1", name="reg1", name_lower="reg1",
                location="eastus", registry_id="r-1", description="", tags={}, etag="e", provisioning_state="Succeeded",
                **STAMPS)
        _insert(conn, "registry_asset_containers", key="rc1", registry_key="r1", kind="models", name="p",
                name_lower="p", description="", tags={}, properties={}, is_archived=False, next_version=2, etag="e",
                **STAMPS)
        _insert(conn, "registry_asset_versions", key="rv1", container_key="rc1", version="1", version_lower="1", seq=1,
                spec=reg_spec, manifest=manifest, fingerprint="0" * 64, description="", tags={}, is_archived=False,
                etag="e", lineage={"sourceAssetId": "/x", "sourceWorkspaceId": "/w"}, **STAMPS)

    _migrate_to(engine, "0006")

    entries = tuple(ManifestEntry(**m) for m in manifest)
    with engine.connect() as conn:
        versions = {r.key: r for r in conn.execute(sa.text(
            "SELECT key, spec, manifest, fingerprint, description, tags, etag FROM asset_versions "
            "UNION ALL SELECT key, spec, manifest, fingerprint, description, tags, etag FROM registry_asset_versions"))}
        datastores = {r.key: (r.subscription_id, r.resource_group_name)
                      for r in conn.execute(sa.text("SELECT key, subscription_id, resource_group_name FROM datastores"))}
        lineage = conn.execute(sa.text("SELECT lineage FROM registry_asset_versions")).scalar_one()

    def spec_of(key: str) -> dict[str, Any]:
        value = versions[key].spec
        return json.loads(value) if isinstance(value, str) else dict(value)

    model = {"properties": {}, "modelType": "custom_model"}
    assert spec_of("v1") == model and versions["v1"].fingerprint == fingerprint(model, entries)
    # the workspace's model and the registry's copy of the same bytes and YAML are one content now
    assert spec_of("rv1") == model and versions["rv1"].fingerprint == versions["v1"].fingerprint
    env = {"properties": {}, "osType": "Linux", "build": {"dockerfilePath": "Dockerfile"}}
    assert spec_of("v3") == env and versions["v3"].fingerprint == fingerprint(env, entries)
    assert spec_of("v2") == by_url and versions["v2"].fingerprint == "0" * 64  # no uploaded files: left as it was
    assert {versions[k].etag for k in versions} == {"e"}  # what clients see did not change
    assert versions["v1"].description == "d"
    assert (json.loads(lineage) if isinstance(lineage, str) else lineage)["sourceWorkspaceId"] == "/w"
    assert datastores == {"d1": (None, None), "d2": (sub, "data-rg")}

    upgrade(engine)  # and on to head


LATER = datetime(2026, 1, 2, tzinfo=timezone.utc)


def _seed_0006_work(engine: sa.Engine) -> None:
    """At revision 0006: a registry version with three copies (waiting, failed and waiting for its
    retry, claimed) in ``replication_tasks``, and an open operation holding its own lease."""
    _migrate_to(engine, "0006")
    sub, now = "00000000-0000-0000-0000-000000000001", STAMPS["created_at"]
    with engine.begin() as conn:
        _insert(conn, "tenants", id="t1", display_name="t", default_domain="t", created_at=now)
        _insert(conn, "subscriptions", id=sub, tenant_id="t1", display_name="s", state="Enabled", created_at=now)
        _insert(conn, "resource_groups", key="rg1", subscription_id=sub, name="rg1", name_lower="rg1",
                location="eastus", tags={}, etag="e", provisioning_state="Succeeded", **STAMPS)
        _insert(conn, "registries", key="r1", tenant_id="t1", resource_group_key="rg1", name="reg1", name_lower="reg1",
                location="eastus", registry_id="r-1", description="", tags={}, etag="e", provisioning_state="Succeeded",
                **STAMPS)
        _insert(conn, "registry_asset_containers", key="rc1", registry_key="r1", kind="models", name="p",
                name_lower="p", description="", tags={}, properties={}, is_archived=False, next_version=2, etag="e",
                **STAMPS)
        _insert(conn, "registry_asset_versions", key="rv1", container_key="rc1", version="1", version_lower="1", seq=1,
                spec={}, manifest=[], fingerprint="0" * 64, description="", tags={}, is_archived=False, etag="e",
                lineage=None, **STAMPS)
        for key, region, state, extra in (
            ("k1", "westus", "NotStarted", {"attempts": 0, "next_attempt_at": now}),
            ("k2", "eastus2", "Failed", {"attempts": 2, "reason": "down", "next_attempt_at": LATER,
                                         "last_attempt_at": now}),
            ("k3", "northeurope", "InProgress", {"attempts": 1, "lease_owner": "w", "lease_expires_at": LATER,
                                                 "last_attempt_at": now}),
        ):
            _insert(conn, "replication_tasks", key=key, version_key="rv1", registry_key="r1", region=region,
                    state=state, created_at=now, updated_at=now, **extra)
        _insert(conn, "operations", id="op1", kind="workspaces/delete", subscription_id=sub, namespace="n",
                location="eastus", target_id="/x", target_key="ws1", status="InProgress", payload={"a": 1},
                created_by="u", created_at=now, attempts=2, lease_owner="w", lease_expires_at=LATER)



def test_0007_moves_replication_tasks_and_operations_work_into_one_task_queue(engine: sa.Engine) -> None:
    """Pending copies stay pending, a failed copy waiting for its retry keeps its reason and time,
    a copy under a claim stays claimed, and an open operation's attempts and lease move to its task."""
    _seed_0006_work(engine)
    _migrate_to(engine, "0007")

    with engine.connect() as conn:
        rows = {r.key: r for r in conn.execute(sa.text(
            "SELECT key, kind, dedupe_key, subject_key, scope_key, state, attempts, last_error, lease_owner "
            "FROM tasks"))}
        op_columns = {c["name"] for c in sa.inspect(conn).get_columns("operations")}
    assert {k: (r.kind, r.state, r.attempts, r.last_error, r.lease_owner) for k, r in rows.items()} == {
        "k1": ("registry.replicate", "Pending", 0, None, None),
        "k2": ("registry.replicate", "Pending", 2, "down", None),
        "k3": ("registry.replicate", "Running", 1, None, "w"),
        "op1": ("workspaces/delete", "Running", 2, None, "w"),
    }
    assert rows["k2"].dedupe_key == "registry.replicate:rv1:eastus2" and rows["k2"].scope_key == "r1"
    assert rows["op1"].subject_key == "op1" and rows["op1"].dedupe_key == "operation:op1"
    assert not {"attempts", "lease_owner", "lease_expires_at"} & op_columns
    upgrade(engine)  # and on to head


def _downgrade_to(engine: sa.Engine, revision: str) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_0007_downgrade_gives_back_the_replication_tasks_and_the_operations_leases(engine: sa.Engine) -> None:
    """Down from 0007: every copy is back in ``replication_tasks`` in the old state names (a copy
    done since the upgrade as ``Succeeded``), an operation gets its attempts and lease back, and a
    task whose version is gone is not carried into a table whose foreign keys would refuse it."""
    _seed_0006_work(engine)
    _migrate_to(engine, "0007")
    now = STAMPS["created_at"]
    with engine.begin() as conn:
        _insert(conn, "registry_asset_versions", key="rv2", container_key="rc1", version="2", version_lower="2",
                seq=2, spec={}, manifest=[], fingerprint="1" * 64, description="", tags={}, is_archived=False,
                etag="e", lineage=None, **STAMPS)
        for key, subject, state, error in (("k4", "rv2", "Succeeded", None), ("k5", "rv-gone", "Pending", None),
                                           ("k6", "rv2", "Failed", "gave up")):
            region = {"k4": "westus", "k5": "westus", "k6": "eastus2"}[key]
            _insert(conn, "tasks", key=key, kind="registry.replicate", dedupe_key=f"registry.replicate:{subject}:{region}",
                    subject_key=subject, scope_key="r1", payload={"region": region}, state=state, attempts=3,
                    last_error=error, created_at=now, updated_at=now)

    _downgrade_to(engine, "0006")

    with engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
        copies = {r.key: (r.version_key, r.registry_key, r.region, r.state, r.attempts, r.reason, r.lease_owner)
                  for r in conn.execute(sa.text(
                      "SELECT key, version_key, registry_key, region, state, attempts, reason, lease_owner "
                      "FROM replication_tasks"))}
        waits = {r.key: r.next_attempt_at for r in conn.execute(sa.text(
            "SELECT key, next_attempt_at FROM replication_tasks"))}
        op = conn.execute(sa.text("SELECT status, attempts, lease_owner, lease_expires_at FROM operations")).one()
    assert "tasks" not in names and "replication_tasks" in names
    assert copies == {
        "k1": ("rv1", "r1", "westus", "NotStarted", 0, None, None),
        "k2": ("rv1", "r1", "eastus2", "Failed", 2, "down", None),
        "k3": ("rv1", "r1", "northeurope", "InProgress", 1, None, "w"),
        "k4": ("rv2", "r1", "westus", "Succeeded", 3, None, None),
        "k6": ("rv2", "r1", "eastus2", "Failed", 3, "gave up", None),
    }
    assert _utc(waits["k2"]) == LATER
    assert (op.status, op.attempts, op.lease_owner, _utc(op.lease_expires_at)) == ("InProgress", 2, "w", LATER)
    upgrade(engine)  # and up again to head


def _utc(value: Any) -> datetime:
    """A timestamp as the store gives it back (SQLite: naive or text), in UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def test_0009_indexes_the_tags_of_versions_stored_before_it(engine: sa.Engine) -> None:
    """Versions written before the tag index existed are found by tag after the upgrade, through
    the same repository method the API's search uses."""
    from amlite.domain.assets import AssetKind, ListViewType
    from amlite.store.asset_repos import AssetVersionRepository, tag_digest

    _migrate_to(engine, "0008")
    sub, now = "00000000-0000-0000-0000-000000000001", STAMPS["created_at"]
    with engine.begin() as conn:
        _insert(conn, "tenants", id="t1", display_name="t", default_domain="t", created_at=now)
        _insert(conn, "subscriptions", id=sub, tenant_id="t1", display_name="s", state="Enabled", created_at=now)
        _insert(conn, "resource_groups", key="rg1", subscription_id=sub, name="rg1", name_lower="rg1",
                location="eastus", tags={}, etag="e", provisioning_state="Succeeded", **STAMPS)
        _insert(conn, "workspaces", key="ws1", resource_group_key="rg1", name="ws1", name_lower="ws1",
                kind="Default", location="eastus", workspace_id="w-1", friendly_name="ws1", description="",
                tags={}, etag="e", identity_principal_id="p", provisioning_state="Succeeded", associated={}, **STAMPS)
        for key, kind, name in (("c1", "models", "m"), ("c2", "models", "n"), ("c3", "data", "d")):
            _insert(conn, "asset_containers", key=key, workspace_key="ws1", kind=kind, name=name, name_lower=name,
                    description="", tags={}, properties={}, is_archived=False, next_version=2, etag="e", **STAMPS)
        for key, container, tags in (("v1", "c1", {"stage": "prod", "team": "a"}), ("v2", "c2", {"stage": "dev"}),
                                     ("v3", "c3", {"stage": "prod"}), ("v4", "c2", {})):
            _insert(conn, "asset_versions", key=key, container_key=container, version=key[1], version_lower=key[1],
                    seq=int(key[1]), spec={}, manifest=[], fingerprint="0" * 64, description="", tags=tags,
                    is_archived=False, etag="e", **STAMPS)

    _migrate_to(engine, "0009")

    with engine.connect() as conn:
        index = {(r.version_key, r.name, r.value, r.workspace_key, r.kind, r.name_hash, r.value_hash)
                 for r in conn.execute(sa.text("SELECT * FROM asset_version_tags"))}
    assert index == {
        (v, n, val, "ws1", kind, tag_digest(n), tag_digest(val))
        for v, n, val, kind in (("v1", "stage", "prod", "models"), ("v1", "team", "a", "models"),
                                ("v2", "stage", "dev", "models"), ("v3", "stage", "prod", "data"))
    }
    upgrade(engine)
    with engine.connect() as conn:
        versions = AssetVersionRepository(conn)
        found = versions.search_by_tags("ws1", AssetKind.MODELS, {"stage": "prod"}, ListViewType.ALL, 0, 10)
        assert [(c.name, v.key) for c, v in found.items] == [("m", "v1")]
        found = versions.search_by_tags("ws1", AssetKind.MODELS, {"stage": None}, ListViewType.ALL, 0, 10)
        assert sorted(v.key for _, v in found.items) == ["v1", "v2"]


def test_0015_policy_assignments_downgrade_drops_only_its_table(engine: sa.Engine) -> None:
    upgrade(engine)
    _downgrade_to(engine, "0014")
    with engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
    assert "policy_assignments" not in names and "jobs" in names
    upgrade(engine)
    with engine.connect() as conn:
        assert "policy_assignments" in set(sa.inspect(conn).get_table_names())


def test_0016_adds_the_connections_table_and_its_downgrade_drops_it(engine: sa.Engine) -> None:
    """Connections live in a table of their own (their credentials in ``secrets``): the upgrade adds
    it next to the workspaces already there, and the downgrade takes it away again."""
    _migrate_to(engine, "0015")
    now = STAMPS["created_at"]
    with engine.begin() as conn:
        _insert(conn, "tenants", id="t1", display_name="t", default_domain="t", created_at=now)
        _insert(conn, "subscriptions", id="s1", tenant_id="t1", display_name="s", state="Enabled", created_at=now)
        _insert(conn, "resource_groups", key="rg1", subscription_id="s1", name="rg1", name_lower="rg1",
                location="eastus", tags={}, etag="e", provisioning_state="Succeeded", **STAMPS)
        _insert(conn, "workspaces", key="ws1", resource_group_key="rg1", name="ws1", name_lower="ws1",
                kind="Default", location="eastus", workspace_id="w-1", friendly_name="ws1", description="",
                tags={}, etag="e", identity_principal_id="p", provisioning_state="Succeeded", associated={}, **STAMPS)
    assert "workspace_connections" not in sa.inspect(engine).get_table_names()
    _migrate_to(engine, "0016")
    with engine.begin() as conn:
        _insert(conn, "workspace_connections", key="c1", workspace_key="ws1", name="Git1", name_lower="git1",
                category="Git", auth_type="PAT", target="https://g", meta={}, is_shared_to_all=True,
                secret_name="connections--git1", **STAMPS)
        assert conn.execute(sa.text("SELECT name FROM workspace_connections")).scalar_one() == "Git1"
    _downgrade_to(engine, "0015")
    assert "workspace_connections" not in sa.inspect(engine).get_table_names()


def test_0018_reads_workspaces_written_before_it_as_default_workspaces_without_a_hub(engine: sa.Engine) -> None:
    """A workspace row from before hubs reads back as a Default workspace with no hub, no projects
    and amlite's default settings; the downgrade takes the two columns away again."""
    from amlite.store.workspace_repos import WorkspaceRepository

    _migrate_to(engine, "0017")
    sub, now = "00000000-0000-0000-0000-000000000001", STAMPS["created_at"]
    with engine.begin() as conn:
        _insert(conn, "tenants", id="t1", display_name="t", default_domain="t", created_at=now)
        _insert(conn, "subscriptions", id=sub, tenant_id="t1", display_name="s", state="Enabled", created_at=now)
        _insert(conn, "resource_groups", key="rg1", subscription_id=sub, name="rg1", name_lower="rg1",
                location="eastus", tags={}, etag="e", provisioning_state="Succeeded", **STAMPS)
        _insert(conn, "workspaces", key="ws1", resource_group_key="rg1", name="ws1", name_lower="ws1",
                kind="Default", location="eastus", workspace_id="w-1", friendly_name="ws1", description="",
                tags={}, etag="e", identity_principal_id="p", provisioning_state="Succeeded", associated={}, **STAMPS)
    upgrade(engine)
    with engine.connect() as conn:
        repo = WorkspaceRepository(conn)
        ws = repo.by_key("ws1")
        assert ws is not None and ws.kind.value == "Default"
        assert (ws.hub_key, ws.settings) == (None, {})
        assert repo.projects_of("ws1") == []
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0017")
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("workspaces")}
        assert "hub_key" not in columns and "settings" not in columns
        assert conn.execute(sa.text("SELECT name FROM workspaces")).scalar_one() == "ws1"


def test_0019_soft_delete_leaves_existing_workspaces_and_registries_live_and_downgrades(engine: sa.Engine) -> None:
    """Rows written before soft delete existed read back live (not deleted) after the upgrade,
    through the repositories; a soft-deleted one is hidden from ``get``; the downgrade drops the
    columns and keeps the rows."""
    from dataclasses import replace

    from amlite.domain.resources import SoftDelete
    from amlite.store.registry_repos import RegistryRepository
    from amlite.store.workspace_repos import WorkspaceRepository

    _migrate_to(engine, "0018")
    sub, now = "00000000-0000-0000-0000-000000000001", STAMPS["created_at"]
    with engine.begin() as conn:
        _insert(conn, "tenants", id="t1", display_name="t", default_domain="t", created_at=now)
        _insert(conn, "subscriptions", id=sub, tenant_id="t1", display_name="s", state="Enabled", created_at=now)
        _insert(conn, "resource_groups", key="rg1", subscription_id=sub, name="rg1", name_lower="rg1",
                location="eastus", tags={}, etag="e", provisioning_state="Succeeded", **STAMPS)
        _insert(conn, "workspaces", key="ws1", resource_group_key="rg1", name="ws1", name_lower="ws1",
                kind="Default", location="eastus", workspace_id="w-1", friendly_name="ws1", description="",
                tags={}, etag="e", identity_principal_id="p", provisioning_state="Succeeded", associated={}, **STAMPS)
        _insert(conn, "registries", key="r1", tenant_id="t1", resource_group_key="rg1", name="reg1",
                name_lower="reg1", location="eastus", registry_id="r-1", description="", tags={}, etag="e",
                provisioning_state="Succeeded", **STAMPS)

    _migrate_to(engine, "0019")

    with engine.begin() as conn:
        workspaces, registries = WorkspaceRepository(conn), RegistryRepository(conn)
        ws = workspaces.get(sub, "rg1", "ws1")
        reg = registries.by_name("t1", "reg1")
        assert ws is not None and ws.soft_delete is None and reg is not None and reg.soft_delete is None
        state = SoftDelete(now, datetime(2026, 1, 15, tzinfo=timezone.utc), True)
        workspaces.save(replace(ws, soft_delete=state))
        assert workspaces.get(sub, "rg1", "ws1") is None
        assert workspaces.deleted_get(sub, "rg1", "ws1") == replace(ws, soft_delete=state)
        assert [w.key for w in workspaces.purge_due(datetime(2026, 1, 15, tzinfo=timezone.utc), 10)] == ["ws1"]
        assert workspaces.purge_due(datetime(2026, 1, 14, tzinfo=timezone.utc), 10) == []

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0018")
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("workspaces")}
        assert "deleted_at" not in columns
        assert conn.execute(sa.text("SELECT count(*) FROM workspaces")).scalar_one() == 1


def test_0020_reads_jobs_written_before_it_without_an_image_and_downgrades(engine: sa.Engine) -> None:
    """A job stored before environment images were named reads back with none (``job show`` then
    shows no image); the downgrade drops the column and keeps the job."""
    from dataclasses import replace

    from amlite.store.job_repos import JobRepository

    _migrate_to(engine, "0019")
    sub, now = "00000000-0000-0000-0000-000000000001", STAMPS["created_at"]
    with engine.begin() as conn:
        _insert(conn, "tenants", id="t1", display_name="t", default_domain="t", created_at=now)
        _insert(conn, "subscriptions", id=sub, tenant_id="t1", display_name="s", state="Enabled", created_at=now)
        _insert(conn, "resource_groups", key="rg1", subscription_id=sub, name="rg1", name_lower="rg1",
                location="eastus", tags={}, etag="e", provisioning_state="Succeeded", **STAMPS)
        _insert(conn, "workspaces", key="ws1", resource_group_key="rg1", name="ws1", name_lower="ws1",
                kind="Default", location="eastus", workspace_id="w-1", friendly_name="ws1", description="",
                tags={}, etag="e", identity_principal_id="p", provisioning_state="Succeeded", associated={},
                settings={}, **STAMPS)
        _insert(conn, "jobs", key="j1", workspace_key="ws1", name="job1", name_lower="job1", status="Completed",
                spec={"jobType": "Command", "command": "echo", "environmentId": "azureml:e:1"}, display_name="job1",
                description="", tags={}, is_archived=False, warnings=[], requirements=["pyyaml"], outputs={},
                logs=[], run_id="r1", submitted_by="u", etag="e", **STAMPS)
    _migrate_to(engine, "0020")
    with engine.begin() as conn:
        jobs = JobRepository(conn)
        job = jobs.by_key("j1")
        assert job is not None and job.image is None and job.requirements == ("pyyaml",)
        jobs.save(replace(job, image="cr1.azurecr.io/azureml/azureml_" + "0" * 32))
        saved = jobs.by_key("j1")
        assert saved is not None and saved.image == "cr1.azurecr.io/azureml/azureml_" + "0" * 32
    _downgrade_to(engine, "0019")
    with engine.connect() as conn:
        assert "image" not in {c["name"] for c in sa.inspect(conn).get_columns("jobs")}
        assert conn.execute(sa.text("SELECT name FROM jobs")).scalar_one() == "job1"


def test_0021_adds_template_deployments_dropped_with_their_group_and_downgrades(engine: sa.Engine) -> None:
    """Template deployments live in a table of their own whose rows go with their resource group
    (ON DELETE CASCADE); the downgrade drops only that table."""
    _migrate_to(engine, "0021")
    now = STAMPS["created_at"]
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(sa.text("PRAGMA foreign_keys=ON"))
        _insert(conn, "tenants", id="t1", display_name="t", default_domain="t", created_at=now)
        _insert(conn, "subscriptions", id="s1", tenant_id="t1", display_name="s", state="Enabled", created_at=now)
        _insert(conn, "resource_groups", key="rg1", subscription_id="s1", name="rg1", name_lower="rg1",
                location="eastus", tags={}, etag="e", provisioning_state="Succeeded", **STAMPS)
        _insert(conn, "template_deployments", key="d1", resource_group_key="rg1", name="Dep", name_lower="dep",
                state="Succeeded", parameters={}, template_hash="h", output_resources=[], error=None,
                duration_seconds=1.5, created_at=now, modified_at=now)
        conn.execute(sa.text("DELETE FROM resource_groups WHERE key = 'rg1'"))
        assert conn.execute(sa.text("SELECT count(*) FROM template_deployments")).scalar_one() == 0
    _downgrade_to(engine, "0020")
    names = set(sa.inspect(engine).get_table_names())
    assert "template_deployments" not in names and "workspaces" in names


def test_0026_starts_the_access_generation_at_zero_and_downgrades(engine: sa.Engine) -> None:
    """Servers read the one row on every request (``services.authz``): the upgrade makes it, on a
    database with principals and assignments already in it, and the downgrade drops the table."""
    _migrate_to(engine, "0025")
    assert "access_generation" not in sa.inspect(engine).get_table_names()
    _migrate_to(engine, "0026")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT id, value FROM access_generation")).all() == [(1, 0)]
    _downgrade_to(engine, "0025")
    assert "access_generation" not in sa.inspect(engine).get_table_names()
