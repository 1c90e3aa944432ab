"""Role rules on the in-memory store: a custom role grants exactly its actions where it is
assigned, a role in use cannot be deleted, and an assignment's name cannot be reused for another
principal, role or scope."""

from __future__ import annotations

import uuid

import pytest

from amlite.domain.errors import Conflict
from amlite.domain.resources import Principal, PrincipalKind
from amlite.schemas.arm_resources import RoleAssignmentBody, RoleDefinitionBody
from amlite.services.authz import Authorizer
from amlite.services.context import Caller
from amlite.services.identity import IdentityService
from amlite.services.roles import RoleService
from amlite.services.tokens import SigningKey, TokenService, new_private_key_pem
from tests.unit.memory_world import memory_deps

READ = "Microsoft.MachineLearningServices/workspaces/read"
WRITE = "Microsoft.MachineLearningServices/workspaces/write"


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
        self.scope = f"/subscriptions/{first.subscription_id}"
        self.authz = Authorizer(self.deps)
        self.roles = RoleService(self.deps, self.authz)
        self.user = self.principal("reader")

    def principal(self, name: str) -> Caller:
        principal = Principal(id=str(uuid.uuid4()), tenant_id=self.admin.tenant_id, kind=PrincipalKind.USER,
                              display_name=name, user_principal_name=f"{name}@amlite.local",
                              created_at=self.deps.clock.now())
        with self.deps.uow(write=True) as uow:
            uow.principals.add(principal)
            uow.commit()
        return Caller(self.admin.tenant_id, principal.id, name, "User")

    def custom_role(self, name: str, actions: list[str]) -> str:
        role_id = str(uuid.uuid4())
        body = {"properties": {"roleName": name, "permissions": [{"actions": actions}],
                               "assignableScopes": [self.scope]}}
        self.roles.put_definition(self.admin, self.scope, role_id, RoleDefinitionBody.model_validate(body))
        return role_id

    def assign(self, name: str, role_id: str, who: Caller, scope: str | None = None) -> bool:
        body = {"properties": {"roleDefinitionId": f"{self.scope}/providers/Microsoft.Authorization/roleDefinitions/"
                                                   f"{role_id}", "principalId": who.principal_id}}
        return self.roles.create_assignment(self.admin, scope or self.scope, name,
                                            RoleAssignmentBody.model_validate(body))[1]


@pytest.fixture()
def world() -> World:
    return World()


def test_a_custom_role_grants_its_actions_where_assigned_and_nothing_else(world: World) -> None:
    ws_scope = f"{world.scope}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w"
    assert not world.authz.allowed(world.user, READ, ws_scope)
    role_id = world.custom_role("Workspace reader", [READ])
    assert world.assign(str(uuid.uuid4()), role_id, world.user) is True
    assert world.authz.allowed(world.user, READ, ws_scope)  # inherited below the subscription
    assert not world.authz.allowed(world.user, WRITE, ws_scope)
    assert not world.authz.allowed(world.principal("other"), READ, ws_scope)
    assert world.authz.allowed(world.admin, WRITE, ws_scope)  # the first start's Owner at the root


def test_a_role_in_use_cannot_be_deleted_until_its_assignments_go(world: World) -> None:
    role_id = world.custom_role("In use", [READ])
    name = str(uuid.uuid4())
    world.assign(name, role_id, world.user)
    with pytest.raises(Conflict) as refused:
        world.roles.delete_definition(world.admin, world.scope, role_id)
    assert refused.value.code == "RoleDefinitionHasAssignments"
    assert world.roles.delete_assignment(world.admin, world.scope, name) is not None
    assert world.roles.delete_definition(world.admin, world.scope, role_id).id == role_id
    with world.deps.uow() as uow:
        assert uow.role_definitions.get(role_id) is None


def test_an_assignment_name_is_idempotent_for_its_triple_and_refused_for_another(world: World) -> None:
    role_id = world.custom_role("Readers", [READ])
    name = str(uuid.uuid4())
    assert world.assign(name, role_id, world.user) is True
    assert world.assign(name, role_id, world.user) is False  # the same assignment again: no change
    with pytest.raises(Conflict) as moved:
        world.assign(name, role_id, world.principal("someone-else"))
    assert moved.value.code == "RoleAssignmentUpdateNotPermitted"
    with pytest.raises(Conflict) as twice:
        world.assign(str(uuid.uuid4()), role_id, world.user)  # the same triple under another name
    assert twice.value.code == "RoleAssignmentExists"


def test_two_custom_roles_cannot_share_a_name(world: World) -> None:
    world.custom_role("Unique", [READ])
    with pytest.raises(Conflict) as same:
        world.custom_role("unique", [WRITE])
    assert same.value.code == "RoleDefinitionWithSameNameExists"
