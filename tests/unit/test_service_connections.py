"""Workspace connection rules on the in-memory store: credentials sealed and returned only by
``list_secrets``, PATCH keeping what it does not name, bad input changing nothing, and the sharing
rules that follow from ``connection_owners`` (a workspace sees its own connections first, then
those of the workspaces it shares with; writes touch only its own)."""

from __future__ import annotations

from typing import Any

import pytest

from amlite.domain.errors import Conflict, InvalidInput, NotFound
from amlite.domain.resources import Workspace
from amlite.ports import UnitOfWork
from amlite.schemas.arm_connections import ConnectionBody
from amlite.schemas.arm_resources import ResourceGroupBody, WorkspaceBody
from amlite.services.connections import ConnectionService, Owners, connection_owners
from amlite.services.context import Caller
from amlite.services.identity import IdentityService
from amlite.services.operations import OperationService
from amlite.services.resource_groups import ResourceGroupService
from amlite.services.secrets import SecretBox, SecretNamespace, new_secrets_key
from amlite.services.storage import StorageProvisioner
from amlite.services.tasks import TaskEngine
from amlite.services.tokens import SigningKey, TokenService, new_private_key_pem
from amlite.services.workspaces import WorkspaceService
from tests.unit.memory_world import memory_deps

KEY = "sk-unit-secret"
RG = "rg1"


def body(**props: Any) -> ConnectionBody:
    return ConnectionBody.model_validate({"properties": props})


def aoai(key: str = KEY) -> ConnectionBody:
    return body(category="AzureOpenAI", target="https://contoso.openai.azure.com/", authType="ApiKey",
                credentials={"key": key})


class World:
    """One tenant's admin, a group with a few workspaces, and connections wired with ``owners``."""

    def __init__(self, owners: Owners = connection_owners) -> None:
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
        self.groups = ResourceGroupService(self.deps, operations, storage)
        self.workspaces = WorkspaceService(self.deps, operations, storage)
        self.groups.create_or_update(self.admin, self.sub, RG, ResourceGroupBody.model_validate({"location": "eastus"}))
        self.connections = ConnectionService(self.deps, SecretNamespace(self.deps, SecretBox(new_secrets_key())), owners)

    def workspace(self, name: str) -> None:
        self.workspaces.create_or_update(self.admin, self.sub, RG, name,
                                         WorkspaceBody.model_validate({"location": "eastus"}))

    def put(self, ws: str, name: str, b: ConnectionBody) -> None:
        self.connections.create_or_update(self.admin, self.sub, RG, ws, name, b)

    def names(self, ws: str, **filters: Any) -> list[str]:
        return [v.connection.name for v in self.connections.list(self.admin, self.sub, RG, ws, **filters)]

    def secrets(self, ws: str, name: str) -> dict[str, Any]:
        return self.connections.list_secrets(self.admin, self.sub, RG, ws, name).credentials

    def state(self) -> tuple[Any, Any]:
        with self.deps.uow() as uow:
            return (sorted(uow._tx.rows.workspace_connections.items()),  # type: ignore[attr-defined]
                    sorted(uow._tx.rows.secrets.items()))  # type: ignore[attr-defined]


@pytest.fixture
def world() -> World:
    w = World()
    w.workspace("ws1")
    return w


def test_connection_owners_is_the_workspace_itself(world: World) -> None:
    """Today a workspace sees only its own connections; the hub joins this list for projects."""
    with world.deps.uow() as uow:
        ws = uow.workspaces.get(world.sub, RG, "ws1")
        assert ws is not None
        assert [w.key for w in connection_owners(uow, ws)] == [ws.key]


def test_credentials_are_sealed_and_only_list_secrets_reads_them(world: World) -> None:
    view, created = world.connections.create_or_update(world.admin, world.sub, RG, "ws1", "c", aoai())
    assert created and view.connection.secret_name == "connections--c" and not view.shared
    assert KEY not in repr(view)
    _, sealed = world.state()
    assert sealed and all(KEY not in ciphertext for _, ciphertext in sealed)
    assert world.secrets("ws1", "C") == {"key": KEY}
    _, created_again = world.connections.create_or_update(world.admin, world.sub, RG, "ws1", "c", aoai("k2"))
    assert not created_again and world.secrets("ws1", "c") == {"key": "k2"}


def test_patch_keeps_credentials_unless_the_auth_type_changes(world: World) -> None:
    world.put("ws1", "c", aoai())
    world.connections.update(world.admin, world.sub, RG, "ws1", "c", body(target="https://other/"))
    assert world.secrets("ws1", "c") == {"key": KEY}
    with pytest.raises(InvalidInput) as err:  # a new auth type needs its own credentials
        world.connections.update(world.admin, world.sub, RG, "ws1", "c", body(authType="PAT"))
    assert err.value.target == "properties.credentials.pat"
    world.connections.update(world.admin, world.sub, RG, "ws1", "c", body(authType="AAD"))
    assert world.secrets("ws1", "c") == {}
    rows, sealed = world.state()
    assert rows[0][1].secret_name is None and sealed == []


def test_bad_input_changes_nothing(world: World) -> None:
    world.put("ws1", "c", aoai())
    before = world.state()
    for bad in (body(category="Nope", authType="None"), body(category="Git", authType="PAT", credentials={}),
                body(category="Git", authType="None", credentials={"pat": "x"}), ConnectionBody()):
        with pytest.raises(InvalidInput):
            world.put("ws1", "new", bad)
        with pytest.raises(InvalidInput):
            world.connections.update(world.admin, world.sub, RG, "ws1", "c", bad)
    with pytest.raises(InvalidInput):
        world.put("ws1", "bad name", aoai())
    with pytest.raises(NotFound):
        world.put("nope", "c", aoai())
    assert world.state() == before
    assert world.secrets("ws1", "c") == {"key": KEY}


def test_category_names_match_azure_case_insensitively(world: World) -> None:
    world.put("ws1", "a", body(category="AzureOpenAi", target="t", authType="apikey", credentials={"key": "k"}))
    world.put("ws1", "b", body(category="git", target="t", authType="none"))
    views = world.connections.list(world.admin, world.sub, RG, "ws1")
    assert [(v.connection.category, v.connection.auth_type) for v in views] == [("AzureOpenAI", "ApiKey"),
                                                                              ("Git", "None")]
    assert world.names("ws1", category="azure_open_ai") == ["a"]
    assert world.names("ws1", category="Git", target="t") == ["b"]


def _hub_shares(uow: UnitOfWork, ws: Workspace) -> list[Workspace]:
    """The projects' view once a hub is wired: a workspace named ``proj*`` sees ``hub``'s too."""
    hub = uow.workspaces.get(ws.subscription_id, ws.resource_group_name, "hub")
    return [ws] + ([hub] if hub is not None and ws.name.startswith("proj") else [])


@pytest.fixture
def hub_world() -> World:
    w = World(_hub_shares)
    for name in ("hub", "proj-a", "proj-b"):
        w.workspace(name)
    return w


def test_projects_see_and_use_the_hubs_connections_but_not_each_others(hub_world: World) -> None:
    w = hub_world
    w.put("hub", "shared-aoai", aoai())
    w.put("proj-a", "a-only", body(category="Git", target="https://g", authType="PAT", credentials={"pat": "pa"}))
    assert w.names("proj-a") == ["a-only", "shared-aoai"]
    assert w.names("proj-b") == ["shared-aoai"]
    assert w.names("hub") == ["shared-aoai"]
    seen = w.connections.get(w.admin, w.sub, RG, "proj-b", "shared-aoai")
    assert seen.shared and seen.owner.name == "hub" and seen.arm_id.endswith("/workspaces/hub/connections/shared-aoai")
    assert w.secrets("proj-b", "shared-aoai") == {"key": KEY}  # projects use the hub's connection
    with pytest.raises(NotFound):
        w.connections.get(w.admin, w.sub, RG, "proj-b", "a-only")
    with pytest.raises(NotFound):
        w.secrets("proj-b", "a-only")


def test_a_project_writes_only_its_own_connections(hub_world: World) -> None:
    w = hub_world
    w.put("hub", "shared", aoai())
    before = w.state()
    with pytest.raises(Conflict) as err:
        w.connections.delete(w.admin, w.sub, RG, "proj-a", "shared")
    assert err.value.code == "ConnectionSharedFromHub" and "'hub'" in err.value.message
    with pytest.raises(Conflict):
        w.connections.update(w.admin, w.sub, RG, "proj-a", "shared", body(target="x"))
    assert w.state() == before
    # a project's own connection of the same name hides the hub's, for that project only
    w.put("proj-a", "shared", aoai("project-key"))
    assert w.secrets("proj-a", "shared") == {"key": "project-key"}
    assert w.secrets("proj-b", "shared") == {"key": KEY}
    assert not w.connections.get(w.admin, w.sub, RG, "proj-a", "shared").shared
