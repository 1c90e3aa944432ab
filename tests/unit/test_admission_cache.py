"""A remembered admission (``Authorizer.admit``) holds only while nothing it depends on changes: each
change to role assignments, custom roles, group members or principals moves the store's access
generation in its own transaction, and the very next admission decides again. On the in-memory
store; the SQL stores and several servers are covered in ``tests/integration/test_rbac.py`` and
``test_many_servers.py``."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from amlite.domain.errors import AuthenticationFailed, AuthorizationFailed
from amlite.domain.resources import Principal, PrincipalKind, ResourceGroup
from amlite.schemas.arm_resources import RoleDefinitionBody
from amlite.services.context import Caller
from amlite.services.directory import DirectoryService
from tests.unit.memory_world import stamp
from tests.unit.test_service_roles import READ, WRITE, World


@pytest.fixture()
def world() -> World:
    return World()


def _ws_scope(world: World) -> str:
    return f"{world.scope}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w"


def _admitted(world: World, who: Caller, action: str = READ) -> bool:
    """One request's admission, as a use case runs it in its read unit of work."""
    pending = replace(who, action=action, scope=_ws_scope(world), admitted=False)
    with world.deps.uow() as uow:
        try:
            admitted = world.authz.admit(uow, pending)
        except AuthorizationFailed:
            return False
    assert admitted.admitted and admitted.principal_id == who.principal_id and admitted.name
    return True


def _generation(world: World) -> int:
    with world.deps.uow() as uow:
        return uow.access_generation.current()


def test_a_removed_assignment_is_refused_on_the_next_admission(world: World) -> None:
    role_id = world.custom_role("Reader here", [READ])
    name = str(uuid.uuid4())
    assert not _admitted(world, world.user)  # a denial is remembered too...
    world.assign(name, role_id, world.user)
    assert _admitted(world, world.user)  # ...and forgotten when an assignment is added
    assert _admitted(world, world.user)  # remembered
    assert world.roles.delete_assignment(world.admin, world.scope, name) is not None
    assert not _admitted(world, world.user)


def test_a_custom_role_losing_an_action_is_refused_on_the_next_admission(world: World) -> None:
    role_id = world.custom_role("Editor", [READ, WRITE])
    world.assign(str(uuid.uuid4()), role_id, world.user)
    assert _admitted(world, world.user, WRITE)
    body = {"properties": {"roleName": "Editor", "permissions": [{"actions": [READ]}],
                           "assignableScopes": [world.scope]}}
    world.roles.put_definition(world.admin, world.scope, role_id, RoleDefinitionBody.model_validate(body))
    assert not _admitted(world, world.user, WRITE)
    assert _admitted(world, world.user, READ)


def test_leaving_the_group_that_holds_the_role_is_refused_on_the_next_admission(world: World) -> None:
    group = Principal(id=str(uuid.uuid4()), tenant_id=world.admin.tenant_id, kind=PrincipalKind.GROUP,
                      display_name="readers", created_at=world.deps.clock.now())
    with world.deps.uow(write=True) as uow:
        uow.principals.add(group)
        uow.commit()
    world.assign(str(uuid.uuid4()), world.custom_role("Group reader", [READ]),
                 Caller(world.admin.tenant_id, group.id, "readers", "Group"))
    directory = DirectoryService(world.deps)
    assert not _admitted(world, world.user)
    directory.add_member(world.admin, group.id, f"https://graph.microsoft.com/v1.0/directoryObjects/{world.user.principal_id}")
    assert _admitted(world, world.user)
    directory.remove_member(world.admin, group.id, world.user.principal_id)
    assert not _admitted(world, world.user)


def test_a_deleted_principal_is_a_401_on_the_next_admission(world: World) -> None:
    world.assign(str(uuid.uuid4()), world.custom_role("Workspace w reader", [READ]), world.user)
    assert _admitted(world, world.user)
    DirectoryService(world.deps).delete(world.admin, PrincipalKind.USER, world.user.principal_id)
    with pytest.raises(AuthenticationFailed):
        _admitted(world, world.user)


def test_the_generation_moves_with_access_changes_only(world: World) -> None:
    before = _generation(world)
    rg = ResourceGroup(key=str(uuid.uuid4()), subscription_id=world.scope.rsplit("/", 1)[-1], name="rg",
                       location="eastus", tags={}, etag='"1"', stamp=stamp(world.deps.clock.now()))
    with world.deps.uow(write=True) as uow:
        uow.resource_groups.add(rg)
        uow.commit()
    assert _generation(world) == before
    world.custom_role("Anything", [READ])
    assert _generation(world) > before
    changed = _generation(world)
    with world.deps.uow(write=True) as uow:  # a change rolled back moves nothing
        uow.role_definitions.delete(next(iter(uow.role_definitions.list(world.admin.tenant_id))).id)
    assert _generation(world) == changed
