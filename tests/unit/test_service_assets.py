"""Asset version rules on the in-memory store: the same content is idempotent and fingerprints
alike wherever it lives, different content under an existing version is a conflict, and a
conflict changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from amlite.domain.assets import AssetKind, ListViewType
from amlite.domain.errors import Conflict
from amlite.schemas.arm_assets import AssetVersionBody
from amlite.schemas.arm_resources import ResourceGroupBody, WorkspaceBody
from amlite.services.artifacts import ArtifactService
from amlite.services.asset_references import ReferenceResolver
from amlite.services.assets import AssetPath, AssetService
from amlite.services.authz import Authorizer
from amlite.services.context import Caller
from amlite.services.identity import IdentityService
from amlite.services.jobs import JobService
from amlite.services.operations import OperationService
from amlite.services.replication import ReplicationService
from amlite.services.resource_groups import ResourceGroupService
from amlite.services.storage import StorageProvisioner
from amlite.services.storage_endpoint import StorageEndpointService
from amlite.services.tasks import TaskEngine
from amlite.services.tokens import SigningKey, TokenService, new_private_key_pem
from amlite.services.workspaces import WorkspaceService
from tests.unit.memory_world import memory_deps

MODEL_URI = "https://models.blob.core.windows.net/models/sentiment/model.pkl"


class World:
    """One tenant whose first user (Owner of the subscription) makes groups, workspaces and models."""

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
        tasks = TaskEngine(self.deps)
        operations = OperationService(self.deps, tasks)
        storage = StorageProvisioner(self.deps)
        authz = Authorizer(self.deps)
        self.groups = ResourceGroupService(self.deps, operations, storage)
        self.workspaces = WorkspaceService(self.deps, operations, storage)
        artifacts = ArtifactService(self.deps, authz)
        jobs = JobService(self.deps, tasks, artifacts, ReferenceResolver(authz), authz, Path("unused-jobs-root"),
                          lambda ws_key, run_id: {})
        blob_endpoint = StorageEndpointService(self.deps, b"k" * 32, "https://blob.amlite.test")
        self.assets = AssetService(self.deps, artifacts, ReferenceResolver(authz), ReplicationService(self.deps, tasks),
                                   authz, blob_endpoint, jobs)

    def workspace(self, group: str, name: str) -> None:
        self.groups.create_or_update(self.admin, self.sub, group, ResourceGroupBody.model_validate({"location": "eastus"}))
        self.workspaces.create_or_update(self.admin, self.sub, group, name,
                                         WorkspaceBody.model_validate({"location": "eastus"}))

    def put(self, group: str, ws: str, version: str, **props: Any) -> tuple[str, bool]:
        body = AssetVersionBody.model_validate({"properties": {"modelUri": MODEL_URI, "modelType": "custom_model",
                                                               "tags": {"team": "nlp"}, **props}})
        view, created = self.assets.create_or_update_version(
            self.admin, AssetPath(self.sub, group, ws, AssetKind.MODELS, "sentiment"), version, body)
        return view.version.fingerprint, created

    def versions(self, group: str, ws: str) -> list[str]:
        views = self.assets.list_versions(self.admin, AssetPath(self.sub, group, ws, AssetKind.MODELS, "sentiment"),
                                          ListViewType.ALL, {}, 0, 100)
        return [v.version.version for v in views.items]


@pytest.fixture
def world() -> World:
    return World()


def test_the_same_content_twice_is_one_version(world: World) -> None:
    world.workspace("rg-a", "ws-a")
    first, created = world.put("rg-a", "ws-a", "1")
    again, created_again = world.put("rg-a", "ws-a", "1")
    assert (created, created_again) == (True, False)
    assert again == first
    assert world.versions("rg-a", "ws-a") == ["1"]


def test_other_content_under_an_existing_version_is_a_conflict_that_changes_nothing(world: World) -> None:
    world.workspace("rg-a", "ws-a")
    first, _ = world.put("rg-a", "ws-a", "1")
    with pytest.raises(Conflict) as refused:
        world.put("rg-a", "ws-a", "1", modelUri=MODEL_URI.replace("model.pkl", "other.pkl"))
    assert refused.value.code == "AssetVersionConflict"
    assert [d.target for d in refused.value.details] == ["properties.modelUri"]
    assert world.put("rg-a", "ws-a", "1") == (first, False)


def test_the_fingerprint_does_not_depend_on_where_the_version_lives(world: World) -> None:
    world.workspace("rg-a", "ws-a")
    world.workspace("rg-b", "ws-b")
    assert world.put("rg-a", "ws-a", "1")[0] == world.put("rg-b", "ws-b", "7")[0]
