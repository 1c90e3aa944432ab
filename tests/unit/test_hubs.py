"""Hub and project rules on the in-memory store: what a project reads from its hub, that a change
on the hub reaches its projects with no project row written, the storage view a project is handed,
and the SDK's and YAML's hub and project shapes."""

from __future__ import annotations

from typing import Any

import pytest

from amlite.blobs.memory import MemoryBlobStore
from amlite.domain import hubs
from amlite.domain.errors import AuthorizationFailed, InvalidInput
from amlite.domain.resources import Workspace, WorkspaceKind
from amlite.schemas.arm_resources import ResourceGroupBody, WorkspaceBody
from amlite.services.context import Caller
from amlite.services.identity import IdentityService
from amlite.services.operations import OperationService
from amlite.services.resource_groups import ResourceGroupService
from amlite.services.scoped_blobs import ProjectStorageView
from amlite.services.storage import StorageProvisioner
from amlite.services.tasks import TaskEngine
from amlite.services.tokens import SigningKey, TokenService, new_private_key_pem
from amlite.services.workspaces import WorkspaceService
from tests.unit.memory_world import memory_deps

KEY = "https://kv.vault.azure.net/keys/cmk/1"


class World:
    def __init__(self) -> None:
        self.deps = memory_deps()
        identity = IdentityService(self.deps, TokenService(SigningKey(new_private_key_pem()), self.deps.endpoint))
        first = identity.initialize()
        assert first is not None
        with self.deps.uow() as uow:
            admin = uow.principals.by_user_principal_name(first.tenant_id, first.username)
        assert admin is not None
        self.admin = Caller(first.tenant_id, admin.id, admin.display_name, "User")
        self.sub = first.subscription_id
        operations = OperationService(self.deps, TaskEngine(self.deps))
        storage = StorageProvisioner(self.deps)
        ResourceGroupService(self.deps, operations, storage).create_or_update(
            self.admin, self.sub, "rg", ResourceGroupBody.model_validate({"location": "eastus"}))
        self.workspaces = WorkspaceService(self.deps, operations, storage)

    def put(self, name: str, **body: Any) -> Any:
        view, _ = self.workspaces.create_or_update(self.admin, self.sub, "rg", name,
                                                   WorkspaceBody.model_validate({"location": "eastus", **body}))
        return view

    def hub_id(self, name: str) -> str:
        return f"/subscriptions/{self.sub}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/{name}"

    def row(self, name: str) -> Workspace:
        with self.deps.uow() as uow:
            found = uow.workspaces.get(self.sub, "rg", name)
        assert found is not None
        return found


def test_a_project_reads_its_hub_at_every_use_and_its_row_never_changes() -> None:
    world = World()
    hub = world.put("hub1", kind="Hub", properties={"publicNetworkAccess": "Disabled", "encryption": {
        "keyVaultProperties": {"keyIdentifier": KEY}}})
    project = world.put("proj1", kind="Project", properties={"hubResourceId": world.hub_id("hub1")})
    row = world.row("proj1")
    assert row.hub_key == hub.workspace.key and row.settings == {} and row.associated == {}
    assert project.settings["publicNetworkAccess"] == "Disabled"
    assert project.associated_ids == hub.associated_ids
    assert project.sources["publicNetworkAccess"] == project.sources["storageAccount"] == hubs.FROM_HUB
    world.workspaces.update(world.admin, world.sub, "rg", "hub1", WorkspaceBody.model_validate(
        {"properties": {"publicNetworkAccess": "Enabled", "managedNetwork": {"isolationMode": "AllowInternetOutbound"}}}))
    shown = world.workspaces.get(world.admin, world.sub, "rg", "proj1")
    assert shown.settings["publicNetworkAccess"] == "Enabled"
    assert shown.settings["managedNetwork"] == {"isolationMode": "AllowInternetOutbound"}
    assert world.row("proj1") == row  # nothing of the hub was copied into the project


def test_effective_takes_only_the_overridable_from_the_project() -> None:
    base: dict[str, Any] = {"resource_group_key": "rg", "subscription_id": "s", "resource_group_name": "rg",
                            "location": "eastus", "tags": {}, "etag": "e", "stamp": None}
    hub_row = Workspace(key="h", name="h", kind=WorkspaceKind.HUB, workspace_id="wh",
                        settings={"publicNetworkAccess": "Disabled", "defaultWorkspaceResourceGroup": "/x"},
                        associated={"storageAccount": "s1", "applicationInsights": "ai-hub"}, **base)
    project = Workspace(key="p", name="p", kind=WorkspaceKind.PROJECT, workspace_id="wp", hub_key="h",
                        settings={"publicNetworkAccess": "Enabled"},  # never read: a project's own is ignored
                        associated={"applicationInsights": "ai-own", "storageAccount": "mine"}, **base)
    eff = hubs.effective(project, hub_row)
    assert eff.settings == {"publicNetworkAccess": "Disabled"}  # the hub's default project group is not inherited
    assert eff.associated == {"storageAccount": "s1", "applicationInsights": "ai-own"}
    assert eff.sources == {"publicNetworkAccess": "hub", "storageAccount": "hub", "applicationInsights": "project"}


@pytest.mark.parametrize(("check", "value"), [
    (hubs.check_network_access, "Sometimes"),
    (hubs.check_managed_network, {"isolationMode": "Open"}),
    (hubs.check_managed_network, "AllowOnlyApprovedOutbound"),
    (hubs.check_managed_network, {"isolationMode": "AllowOnlyApprovedOutbound", "outboundRules": {"r": {}}}),
    (hubs.check_encryption, {"keyVaultProperties": {"keyIdentifier": "http://kv/keys/k"}}),
    (hubs.check_encryption, {"keyVaultProperties": {"keyIdentifier": "https://kv.vault.azure.net/secrets/k"}}),
    (hubs.check_encryption, "on"),
])
def test_hub_settings_are_judged(check: Any, value: object) -> None:
    with pytest.raises(InvalidInput):
        check(value)


def test_hub_settings_accept_azure_and_azure_ai_ml_spellings() -> None:
    assert hubs.check_network_access("disabled") == "Disabled"
    assert hubs.check_managed_network({"isolationMode": "allow_only_approved_outbound", "outboundRules": {}}) == {
        "isolationMode": "AllowOnlyApprovedOutbound"}
    assert hubs.check_encryption({"status": "Disabled"}) is None
    assert hubs.check_encryption({"keyVaultProperties": {"keyIdentifier": KEY}})["keyVaultProperties"] == {
        "keyIdentifier": KEY}


def test_a_kind_never_changes_and_a_default_workspace_never_becomes_a_hub() -> None:
    world = World()
    world.put("plain1")
    with pytest.raises(InvalidInput) as caught:
        world.put("plain1", kind="Hub")
    assert caught.value.code == "HubConversionNotSupported"
    world.put("hub2", kind="Hub")
    with pytest.raises(InvalidInput) as caught:
        world.put("hub2", kind="Default")
    assert caught.value.code == "WorkspaceKindCannotChange"


def test_the_storage_view_of_a_project_is_confined_to_its_prefix() -> None:
    store = MemoryBlobStore("eastus")
    for container in ("aaa-azureml-blobstore", "bbb-azureml-blobstore", "azureml-blobstore-hub"):
        store.ensure_container("hubacct", container)
    store.ensure_container("other", "anything")
    view = ProjectStorageView(store, "HubAcct", "aaa")
    mine = view.put_stream("hubacct", "aaa-azureml-blobstore", [b"rows"])
    theirs = store.put_stream("hubacct", "bbb-azureml-blobstore", [b"secret rows"])
    assert view.exists("hubacct", "aaa-azureml-blobstore", mine.sha256)
    assert b"".join(view.open_chunks("hubacct", "aaa-azureml-blobstore", mine.sha256)) == b"rows"
    assert sorted(view.list_containers("hubacct")) == ["aaa-azureml-blobstore"]
    assert list(view.list_containers("other")) == ["anything"]  # accounts not shared pass through
    for container in ("bbb-azureml-blobstore", "azureml-blobstore-hub"):
        with pytest.raises(AuthorizationFailed):
            view.exists("hubacct", container, theirs.sha256)
        with pytest.raises(AuthorizationFailed):
            view.copy_blob(store, "hubacct", container, "hubacct", "aaa-azureml-blobstore", theirs.sha256)
        with pytest.raises(AuthorizationFailed):
            view.delete_container("hubacct", container)
    with pytest.raises(AuthorizationFailed):
        view.delete_account("hubacct")
    assert store.exists("hubacct", "bbb-azureml-blobstore", theirs.sha256)


def test_the_sdk_and_the_yaml_speak_azures_hub_and_project_shapes() -> None:
    from amlite.schemas.workspaces import parse_workspace
    from amlite.sdk.entities import Hub, Project, Workspace as SdkWorkspace

    hub = Hub(name="h", location="eastus", public_network_access="Disabled",
              managed_network="allow_only_approved_outbound", customer_managed_key=KEY, default_resource_group="rg2")
    rest = hub._to_rest()
    assert rest["kind"] == "Hub"
    assert rest["properties"] == {
        "publicNetworkAccess": "Disabled", "managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"},
        "encryption": {"status": "Enabled", "keyVaultProperties": {"keyIdentifier": KEY}},
        "workspaceHubConfig": {"defaultWorkspaceResourceGroup": "rg2"}}
    project = Project(name="p", hub_id="/subscriptions/s/resourceGroups/rg/providers/"
                                      "Microsoft.MachineLearningServices/workspaces/h")._to_rest()
    assert project["kind"] == "Project" and "location" not in project  # the hub's location
    back = SdkWorkspace._from_rest({"name": "p", "kind": "Project", "properties": {
        "hubResourceId": "/h", "publicNetworkAccess": "Disabled", "settingSources": {"publicNetworkAccess": "hub"}}})
    assert isinstance(back, Project)  # azure-ai-ml's workspaces.get answers a Project for a project
    read_hub = SdkWorkspace._from_rest({"name": "h", "kind": "Hub", "properties": {"associatedWorkspaces": ["/p"]}})
    assert isinstance(read_hub, Hub) and read_hub._to_dict()["associated_workspaces"] == ["/p"]  # as az prints it
    assert type(SdkWorkspace._from_rest({"name": "d", "kind": "Default"})) is SdkWorkspace
    shown = back._to_dict()
    assert (shown["kind"], shown["hub_id"], shown["setting_sources"]) == ("project", "/h", {"publicNetworkAccess": "hub"})
    spec = parse_workspace({"name": "p", "kind": "project", "hub_id": "/h"})
    assert spec.kind_fields() == {"kind": "Project", "hub_id": "/h"}
