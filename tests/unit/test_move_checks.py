"""Move validation: every refusal reason alone, and all of them at once in one report, first on
the rules (``domain.move_checks``), then gathered from the in-memory store
(``services.move_checks``): what would move, what blocks, what would be lost."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timezone
from typing import Any

import pytest

from amlite.domain.computes import Compute, ComputeProvisioningState, ComputeType
from amlite.domain.jobs import Job, JobSpec, JobStatus
from amlite.domain.labeling import LabelingProject, LabelingStatus
from amlite.domain.move_checks import (
    CMK_PROVIDERS,
    REQUIRED_PROVIDERS,
    ComputeFact,
    DatastoreFact,
    MoveFacts,
    ResourceFacts,
    RoleAssignmentFact,
    TargetFacts,
    WorkspaceFacts,
    evaluate,
)
from amlite.domain.moves import MoveRequest
from amlite.domain.online_endpoints import AuthMode, OnlineEndpoint
from amlite.domain.policies import PolicyAssignment
from amlite.domain.resources import Datastore, GenericResource, Subscription, Workspace
from amlite.domain.vm_sizes import find_vm_size
from amlite.schemas.arm_resources import PolicyAssignmentBody, ResourceGroupBody, WorkspaceBody
from amlite.services.authz import Authorizer
from amlite.services.context import Caller
from amlite.services.identity import IdentityService
from amlite.services.move_checks import check_move
from amlite.services.operations import OperationService
from amlite.services.policies import PolicyService
from amlite.services.resource_groups import ResourceGroupService
from amlite.services.roles import RoleService
from amlite.services.storage import StorageProvisioner
from amlite.services.subscriptions import SubscriptionService
from amlite.services.tasks import TaskEngine
from amlite.services.tokens import SigningKey, TokenService, new_private_key_pem
from amlite.services.workspaces import WorkspaceService
from tests.unit.memory_world import memory_deps, stamp

SRC, DST = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
WS = f"/subscriptions/{SRC}/resourceGroups/origin-rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
STORAGE = f"/subscriptions/{SRC}/resourceGroups/origin-rg/providers/Microsoft.Storage/storageAccounts/wsstore"
DATABRICKS = f"/subscriptions/{SRC}/resourceGroups/spark-rg/providers/Microsoft.Databricks/workspaces/spark"
NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)
ALL_PROVIDERS = frozenset(ns.lower() for ns, _ in REQUIRED_PROVIDERS + CMK_PROVIDERS)
CMK = {"status": "Enabled", "keyVaultProperties": {"keyIdentifier": "https://kv.vault.azure.net/keys/k/1"}}


def request(**changes: Any) -> MoveRequest:
    base = MoveRequest(SRC, "origin-rg", (WS,), DST, "destination-rg")
    return replace(base, **changes)


def workspace(**changes: Any) -> WorkspaceFacts:
    base = WorkspaceFacts(arm_id=WS, name="ws", location="eastus", tags={}, provisioning_state="Succeeded",
                          associated_ids=(STORAGE,))
    return replace(base, **changes)


def facts(ws: WorkspaceFacts | None = None, target: TargetFacts | None = None, **changes: Any) -> MoveFacts:
    ws = ws or workspace()
    req = changes.pop("request", None) or request()
    base = MoveFacts(
        request=req, source_tenant_id="t1", source_group_exists=True,
        resources=tuple(ResourceFacts(rid, ws.arm_id, "Microsoft.MachineLearningServices/workspaces", workspace=ws)
                        for rid in req.resource_ids),
        target=target or TargetFacts(True, "t1", True, "eastus", ALL_PROVIDERS),
        can_delete={WS.lower(): True, STORAGE.lower(): True},
    )
    return replace(base, **changes)


def assignment(definition: str, **params: Any) -> PolicyAssignment:
    return PolicyAssignment(key="k", subscription_id=DST, scope=f"/subscriptions/{DST}/resourceGroups/destination-rg",
                            name="dest-policy", definition_name=definition, parameters=params, created_at=NOW,
                            created_by="admin")


def labeling_project(ws_key: str, name: str, status: LabelingStatus = LabelingStatus.RUNNING) -> LabelingProject:
    return LabelingProject(key=f"lp-{name}", workspace_key=ws_key, name=name, project_id=f"pid-{name}",
                           spec={"dataConfiguration": {"dataId": "azureml:images:1"}}, status=status,
                           created_at=NOW, modified_at=NOW, created_by="admin")


def codes(f: MoveFacts) -> list[str]:
    return [b.code for b in evaluate(f).blockers]


# -- the rules, one reason at a time ------------------------------------------------------------

def test_a_quiescent_workspace_moves_with_its_associated_resources() -> None:
    report = evaluate(facts())
    assert report.allowed and report.blockers == ()
    assert report.moving == (WS, STORAGE)


def _unregistered() -> TargetFacts:
    return TargetFacts(True, "t1", True, "eastus", ALL_PROVIDERS - {"microsoft.keyvault"})


REASONS: list[tuple[str, MoveFacts]] = [
    ("NoWorkspaceToMove", facts(request=request(resource_ids=()))),
    ("MoveSameResourceGroup", facts(request=request(target_subscription=SRC, target_group="origin-rg"))),
    ("ResourceGroupNotFound", facts(source_group_exists=False, resources=())),
    ("MoveResourceNotInSourceGroup", facts(resources=(ResourceFacts(WS.replace("origin-rg", "other"), None, None),))),
    ("ResourceNotFound", facts(resources=(ResourceFacts(WS + "x", None, None),))),
    ("MoveResourceTypeNotSupported", facts(resources=(ResourceFacts(WS, WS, "Microsoft.MachineLearningServices/registries",
                                                                    movable=False),))),
    ("AssociatedResourceMovesWithWorkspace", facts(request=request(resource_ids=(WS, STORAGE + "2")), resources=(
        ResourceFacts(WS, WS, "Microsoft.MachineLearningServices/workspaces", workspace=workspace()),
        ResourceFacts(STORAGE + "2", STORAGE + "2", "Microsoft.Storage/storageAccounts", owner_workspace=WS + "2")))),
    ("MoveTargetSubscriptionNotFound", facts(target=TargetFacts(False, None, False, None))),
    ("TargetResourceGroupBeingDeleted", facts(target=TargetFacts(True, "t1", True, "eastus", ALL_PROVIDERS,
                                                                 group_deleting=True))),
    ("ResourceExistsInTargetResourceGroup", facts(target=TargetFacts(True, "t1", True, "eastus", ALL_PROVIDERS,
                                                                     taken=frozenset({("microsoft.storage/storageaccounts",
                                                                                       "wsstore")})))),
    ("TargetResourceGroupNotFound", facts(target=TargetFacts(True, "t1", False, None, ALL_PROVIDERS))),
    ("MoveCrossTenant", facts(target=TargetFacts(True, "t2", True, "eastus", ALL_PROVIDERS))),
    ("MoveCrossRegion", facts(target=TargetFacts(True, "t1", True, "westus", ALL_PROVIDERS))),
    ("MissingSubscriptionRegistration", facts(target=_unregistered())),
    ("MoveSourceDeleteNotAuthorized", facts(can_delete={WS.lower(): True})),
    ("MoveTargetWriteNotAuthorized", facts(can_write_target=False)),
    ("RequestDisallowedByPolicy", facts(target=TargetFacts(True, "t1", True, "eastus", ALL_PROVIDERS, (
        assignment("871b6d14-10aa-478d-b590-94f262ecfa99", tagName="costCenter"),)))),
    ("WorkspaceNotQuiescent", facts(workspace(provisioning_state="Deleting"))),
    ("WorkspaceHasCompute", facts(workspace(computes=(ComputeFact("cpu", "Succeeded"),)))),
    ("WorkspaceHasOnlineEndpoint", facts(workspace(online_endpoints=("ep",)))),
    ("WorkspaceHasCustomerManagedKey", facts(workspace(encryption=CMK))),
    ("WorkspaceHasRunningJob", facts(workspace(running_jobs=(("train", "Running"),)))),
    ("WorkspaceHasLabelingProject", facts(workspace(labeling_projects=(("cats", "Paused"),)))),
    ("WorkspaceLinkedToDatabricks", facts(workspace(databricks_links=(DATABRICKS,)))),
]


@pytest.mark.parametrize(("code", "f"), REASONS, ids=[c for c, _ in REASONS])
def test_each_reason_alone_is_one_blocker_with_its_code(code: str, f: MoveFacts) -> None:
    report = evaluate(f)
    assert [b.code for b in report.blockers] == [code], report.blockers
    blocker = report.blockers[0]
    assert blocker.message and blocker.target


def test_every_code_is_distinct_and_in_the_module_table() -> None:
    import amlite.domain.move_checks as mc

    assert len({c for c, _ in REASONS}) == len(REASONS)
    for code, _ in REASONS:
        assert code in (mc.__doc__ or "")


def test_a_compute_being_created_is_reported_as_being_created() -> None:
    [b] = evaluate(facts(workspace(computes=(ComputeFact("ci", "Creating"),)))).blockers
    assert "being created" in b.message and b.target.endswith("/computes/ci")


def test_a_customer_managed_key_also_needs_cosmos_and_search_registered() -> None:
    target = TargetFacts(True, "t1", True, "eastus", frozenset(ns.lower() for ns, _ in REQUIRED_PROVIDERS))
    report = evaluate(facts(workspace(encryption=CMK), target=target))
    missing = sorted(b.target.rsplit("/", 1)[-1] for b in report.blockers if b.code == "MissingSubscriptionRegistration")
    assert missing == ["Microsoft.DocumentDB", "Microsoft.Search"]
    assert "amlite provider register -n Microsoft.Search --subscription " + DST in " ".join(b.message for b in report.blockers)


def test_a_disabled_encryption_is_no_customer_managed_key() -> None:
    assert evaluate(facts(workspace(encryption={**CMK, "status": "Disabled"}))).allowed


def test_each_unregistered_provider_is_its_own_blocker() -> None:
    report = evaluate(facts(target=TargetFacts(True, "t1", True, "eastus", frozenset())))
    assert [b.target.rsplit("/", 1)[-1] for b in report.blockers] == [ns for ns, _ in REQUIRED_PROVIDERS]


def test_explicit_opt_ins_lift_the_region_and_tenant_refusals() -> None:
    far = TargetFacts(True, "t2", True, "westus", ALL_PROVIDERS)
    assert codes(facts(target=far)) == ["MoveCrossTenant", "MoveCrossRegion"]
    assert evaluate(facts(target=far, request=request(cross_region=True, cross_tenant=True))).allowed


def test_a_hub_or_project_cannot_change_region_even_when_asked() -> None:
    far = TargetFacts(True, "t1", True, "westus", ALL_PROVIDERS)
    asked = request(cross_region=True)
    assert evaluate(facts(workspace(kind="Default"), target=far, request=asked)).allowed
    for kind in ("Hub", "Project"):
        assert codes(facts(workspace(kind=kind), target=far, request=asked)) == ["MoveCrossRegionSharedStorage"]
    assert evaluate(facts(workspace(kind="Hub"), request=asked)).allowed  # same region: nothing is copied


def test_a_cross_tenant_move_needs_the_callers_mapped_identity_and_known_principals() -> None:
    far = TargetFacts(True, "t2", True, "eastus", ALL_PROVIDERS)
    asked = request(cross_tenant=True)
    [b] = evaluate(facts(target=far, request=asked, caller_unmapped=True, can_write_target=False)).blockers
    assert b.code == "MoveTargetWriteNotAuthorized" and "principalMap" in b.message
    assert codes(facts(target=far, request=asked, unknown_mapped=("x", "y"))) == ["MovePrincipalNotInTargetTenant"] * 2


def test_allowed_locations_at_the_destination_judges_where_the_workspace_would_be() -> None:
    policy = assignment("e56962a6-4747-49cd-b67b-bf8b01975c4c", listOfAllowedLocations=["westus"])
    target = TargetFacts(True, "t1", True, "eastus", ALL_PROVIDERS, (policy,))
    [b] = evaluate(facts(target=target)).blockers
    assert b.code == "RequestDisallowedByPolicy" and "dest-policy" in b.message and "eastus" in b.message
    assert evaluate(facts(target=replace(target, policy_assignments=(replace(policy, enforcement_mode="DoNotEnforce"),)))).allowed


def test_losses_list_role_assignments_and_datastores_whose_account_stays() -> None:
    ra = RoleAssignmentFact(f"{WS}/providers/Microsoft.Authorization/roleAssignments/r1", WS, "p1", "Reader")
    above = RoleAssignmentFact(f"/subscriptions/{SRC}/providers/Microsoft.Authorization/roleAssignments/r2",
                               f"/subscriptions/{SRC}", "p1", "Owner")
    other = f"/subscriptions/{SRC}/resourceGroups/data/providers/Microsoft.Storage/storageAccounts/lake"
    ws = workspace(datastores=(DatastoreFact("workspaceblobstore", True, STORAGE), DatastoreFact("own", False, STORAGE),
                               DatastoreFact("lake", False, other)))
    report = evaluate(facts(ws, role_assignments=(ra, above)))
    assert report.allowed
    assert [(loss.kind, loss.target) for loss in report.losses] == [
        ("RoleAssignment", ra.id), ("DatastoreLeftBehind", f"{WS}/datastores/lake")]
    assert "amlite ml datastore update --name lake" in report.losses[1].detail


def test_every_reason_at_once_in_one_report() -> None:
    ws = workspace(provisioning_state="Updating", computes=(ComputeFact("cpu", "Succeeded"), ComputeFact("ci", "Creating")),
                   online_endpoints=("ep",), encryption=CMK, running_jobs=(("train", "Running"),),
                   labeling_projects=(("cats", "Running"),), databricks_links=(DATABRICKS,), tags={})
    registry = f"/subscriptions/{SRC}/resourceGroups/origin-rg/providers/Microsoft.MachineLearningServices/registries/r"
    orphan = STORAGE + "2"
    req = request(resource_ids=(WS, registry, WS + "x", WS.replace("origin-rg", "elsewhere"), orphan))
    target = TargetFacts(True, "t2", True, "westus", frozenset(), (
        assignment("871b6d14-10aa-478d-b590-94f262ecfa99", tagName="costCenter"),), group_deleting=True,
        taken=frozenset({("microsoft.machinelearningservices/workspaces", "ws")}))
    f = MoveFacts(
        request=req, source_tenant_id="t1", source_group_exists=True,
        resources=(ResourceFacts(WS, WS, "Microsoft.MachineLearningServices/workspaces", workspace=ws),
                   ResourceFacts(registry, registry, "Microsoft.MachineLearningServices/registries", movable=False),
                   ResourceFacts(WS + "x", None, None), ResourceFacts(req.resource_ids[3], None, None),
                   ResourceFacts(orphan, orphan, "Microsoft.Storage/storageAccounts", owner_workspace=WS + "2")),
        target=target, can_delete={}, can_write_target=False,
    )
    found = set(codes(f))
    expected = {code for code, _ in REASONS} - {
        # exclusive of what this request has: a workspace, a distinct group, an existing source
        # group, subscription and target group
        "NoWorkspaceToMove", "MoveSameResourceGroup", "ResourceGroupNotFound", "MoveTargetSubscriptionNotFound",
        "TargetResourceGroupNotFound"}
    assert found == expected
    missing_group = replace(f, target=TargetFacts(True, "t1", False, None, ALL_PROVIDERS))
    assert "TargetResourceGroupNotFound" in codes(missing_group)
    nothing = replace(f, request=request(resource_ids=()), resources=())
    assert "NoWorkspaceToMove" in codes(nothing)
    other_side = replace(f, source_group_exists=False, resources=(ResourceFacts(WS, None, None),))
    assert "ResourceGroupNotFound" in codes(other_side)


# -- gathered from the store ---------------------------------------------------------------------

class World:
    """One tenant: its admin, the default subscription holding origin-rg/ws, and a second
    subscription (made through an alias, as a tenant admin does) for the destination."""

    def __init__(self) -> None:
        self.deps = memory_deps()
        identity = IdentityService(self.deps, TokenService(SigningKey(new_private_key_pem()), self.deps.endpoint))
        first = identity.initialize()
        assert first is not None
        with self.deps.uow() as uow:
            admin = uow.principals.by_user_principal_name(first.tenant_id, first.username)
        assert admin is not None
        self.admin = Caller(first.tenant_id, admin.id, admin.display_name, "User")
        self.src = first.subscription_id
        operations = OperationService(self.deps, TaskEngine(self.deps))
        storage = StorageProvisioner(self.deps)
        self.authz = Authorizer(self.deps)
        self.roles = RoleService(self.deps, self.authz)
        self.subs = SubscriptionService(self.deps)
        self.groups = ResourceGroupService(self.deps, operations, storage)
        self.workspaces = WorkspaceService(self.deps, operations, storage)
        self.policies = PolicyService(self.deps)
        self.groups.create_or_update(self.admin, self.src, "origin-rg", ResourceGroupBody.model_validate({"location": "eastus"}))
        view, _ = self.workspaces.create_or_update(self.admin, self.src, "origin-rg", "origin-ws",
                                                   WorkspaceBody.model_validate({"location": "eastus"}))
        self.ws = view.workspace
        self.dst = self.subs.create_alias(self.admin, "destination", "destination-sub", None)[0].id

    def ready_destination(self, location: str = "eastus") -> None:
        for ns, _ in REQUIRED_PROVIDERS:
            self.subs.register(self.admin, self.dst, ns)
        self.groups.create_or_update(self.admin, self.dst, "destination-rg",
                                     ResourceGroupBody.model_validate({"location": location}))

    def request(self, *ids: str, **changes: Any) -> MoveRequest:
        return replace(MoveRequest(self.src, "origin-rg", ids or (self.ws.arm_id,), self.dst, "destination-rg"), **changes)

    def check(self, req: MoveRequest, caller: Caller | None = None) -> Any:
        caller = caller or self.admin
        with self.deps.uow() as uow:
            return check_move(uow, caller, req,
                              can=lambda action, scope: self.authz.allowed_in(uow, caller.principal_id, action, scope))

    def add(self, repo: str, row: Any) -> None:
        with self.deps.uow(write=True) as uow:
            getattr(uow, repo).add(row)
            uow.commit()


@pytest.fixture
def world() -> World:
    return World()


def test_store_a_fresh_workspace_into_a_ready_destination_is_allowed(world: World) -> None:
    world.ready_destination()
    report = world.check(world.request())
    assert report.allowed, report.blockers
    with world.deps.uow() as uow:
        associated = sorted(r.arm_id for r in uow.resources.by_keys(list(world.ws.associated.values())).values())
    assert report.moving[0] == world.ws.arm_id and sorted(report.moving[1:]) == associated
    assert len(associated) == 4  # storage account, key vault, container registry, application insights


def test_store_a_new_subscription_lacks_the_group_and_the_providers(world: World) -> None:
    assert codes_of(world.check(world.request())) == (["TargetResourceGroupNotFound"]
                                                      + ["MissingSubscriptionRegistration"] * len(REQUIRED_PROVIDERS))
    world.groups.create_or_update(world.admin, world.dst, "destination-rg",
                                  ResourceGroupBody.model_validate({"location": "eastus"}))
    report = world.check(world.request())
    assert codes_of(report) == ["MissingSubscriptionRegistration"] * len(REQUIRED_PROVIDERS)


def test_store_missing_subscription_and_other_region(world: World) -> None:
    req = world.request(target_subscription="33333333-3333-3333-3333-333333333333")
    assert codes_of(world.check(req)) == ["MoveTargetSubscriptionNotFound"]
    world.ready_destination("westus")
    assert codes_of(world.check(world.request())) == ["MoveCrossRegion"]


def test_store_a_destination_in_another_tenant(world: World) -> None:
    other = "44444444-4444-4444-4444-444444444444"
    with world.deps.uow(write=True) as uow:
        uow.subscriptions.add(Subscription(other, "other-tenant", "theirs"), NOW)
        uow.commit()
    assert "MoveCrossTenant" in codes_of(world.check(world.request(target_subscription=other)))


def test_store_workspace_resources_block(world: World) -> None:
    world.ready_destination()
    size = find_vm_size("Standard_DS3_v2")
    assert size is not None
    world.add("computes", Compute(key="c1", workspace_key=world.ws.key, name="cpu", compute_type=ComputeType.AML_COMPUTE,
                                  location="eastus", vm_size=size, stamp=stamp(NOW),
                                  provisioning_state=ComputeProvisioningState.CREATING))
    world.add("online_endpoints", OnlineEndpoint(key="e1", workspace_key=world.ws.key, name="ep", scoring_id="s1",
                                                 auth_mode=AuthMode.KEY, description="", tags={}, properties={},
                                                 traffic={}, created_at=NOW, modified_at=NOW, created_by="admin"))
    for key, status in (("j1", JobStatus.RUNNING), ("j2", JobStatus.COMPLETED), ("j3", JobStatus.QUEUED)):
        world.add("jobs", Job(key=key, workspace_key=world.ws.key, name=key, spec=JobSpec("echo", "env"), status=status,
                              stamp=stamp(NOW), etag='"1"', submitted_by=world.admin.principal_id, display_name=key))
    report = world.check(world.request())
    assert codes_of(report) == ["WorkspaceHasCompute", "WorkspaceHasOnlineEndpoint", "WorkspaceHasRunningJob",
                                "WorkspaceHasRunningJob"]
    assert "being created" in report.blockers[0].message
    assert {b.target.rsplit("/", 1)[-1] for b in report.blockers[2:]} == {"j1", "j3"}


def test_store_each_labeling_project_blocks_until_deleted(world: World) -> None:
    """Running or paused, a labeling project has not completed (none does in amlite): each is its
    own blocker, naming it and how to delete it; once deleted, the workspace moves."""
    world.ready_destination()
    world.add("labeling_projects", labeling_project(world.ws.key, "cats"))
    world.add("labeling_projects", labeling_project(world.ws.key, "dogs", LabelingStatus.PAUSED))
    report = world.check(world.request())
    assert codes_of(report) == ["WorkspaceHasLabelingProject"] * 2
    assert [b.target for b in report.blockers] == [f"{world.ws.arm_id}/labelingJobs/cats",
                                                   f"{world.ws.arm_id}/labelingJobs/dogs"]
    assert "'dogs'" in report.blockers[1].message and "Paused" in report.blockers[1].message
    assert "DELETE" in report.blockers[1].message
    with world.deps.uow(write=True) as uow:
        for project in uow.labeling_projects.of_workspace(world.ws.key):
            uow.labeling_projects.delete(project.key)
        uow.commit()
    assert world.check(world.request()).allowed


def databricks_record(world: "World", name: str, linked: str | None) -> GenericResource:
    """A Databricks workspace record in origin-rg, linked (``amlWorkspaceId``) to ``linked``."""
    with world.deps.uow() as uow:
        rg = uow.resource_groups.get(world.src, "origin-rg")
    assert rg is not None
    parameters = {"amlWorkspaceId": {"value": linked}} if linked else {}
    return GenericResource(key=f"dbw-{name}", resource_group_key=rg.key, subscription_id=world.src,
                           resource_group_name="origin-rg", namespace="Microsoft.Databricks", type="workspaces",
                           name=name, location="eastus",
                           properties={"sku": "premium", "managedResourceGroupId": f"/subscriptions/{world.src}/"
                                       f"resourceGroups/{name}-managed", "parameters": parameters})


def test_store_a_linked_databricks_workspace_blocks_an_unlinked_one_does_not(world: World) -> None:
    world.ready_destination()
    world.add("resources", databricks_record(world, "unlinked", None))
    world.add("resources", databricks_record(world, "elsewhere", world.ws.arm_id.replace("origin-ws", "other-ws")))
    assert world.check(world.request()).allowed
    world.add("resources", databricks_record(world, "spark", world.ws.arm_id.upper()))  # ids compare case-blind
    report = world.check(world.request())
    assert codes_of(report) == ["WorkspaceLinkedToDatabricks"]
    spark = f"/subscriptions/{world.src}/resourceGroups/origin-rg/providers/Microsoft.Databricks/workspaces/spark"
    assert report.blockers[0].target == spark and "amlWorkspaceId" in report.blockers[0].message


def test_store_ids_outside_the_group_registries_and_children(world: World) -> None:
    world.ready_destination()
    rg = f"/subscriptions/{world.src}/resourceGroups/origin-rg"
    outside = f"/subscriptions/{world.src}/resourceGroups/elsewhere/providers/Microsoft.MachineLearningServices/workspaces/w"
    child = world.ws.arm_id + "/computes/cpu"
    missing = f"{rg}/providers/Microsoft.MachineLearningServices/workspaces/nothere"
    report = world.check(world.request(world.ws.arm_id, outside, child, missing, "not an id"))
    assert codes_of(report) == ["MoveResourceNotInSourceGroup", "MoveResourceTypeNotSupported", "ResourceNotFound",
                                "MoveResourceNotInSourceGroup"]


def test_store_a_caller_without_rights_is_told_both_sides(world: World) -> None:
    world.ready_destination()
    from amlite.domain.resources import Principal, PrincipalKind

    with world.deps.uow(write=True) as uow:
        uow.principals.add(Principal(id="u2", tenant_id=world.admin.tenant_id, kind=PrincipalKind.USER,
                                     display_name="reader", user_principal_name="reader@amlite.local"))
        uow.commit()
    reader = Caller(world.admin.tenant_id, "u2", "reader", "User")
    report = world.check(world.request(), reader)
    kinds = codes_of(report)
    assert kinds.count("MoveSourceDeleteNotAuthorized") == len(report.moving) == 5
    assert kinds[-1] == "MoveTargetWriteNotAuthorized"


def test_store_destination_policy_and_losses(world: World) -> None:
    world.ready_destination()
    world.policies.create_or_update(world.admin, f"/subscriptions/{world.dst}", "need-owner", PolicyAssignmentBody.model_validate(
        {"properties": {"policyDefinitionId": "Require a tag on resources", "parameters": {"tagName": {"value": "owner"}}}}))
    from amlite.domain.builtin_roles import BUILT_IN_BY_ID
    from amlite.domain.rbac import RoleAssignment

    reader = next(r for r in BUILT_IN_BY_ID.values() if r.name == "Reader")
    with world.deps.uow(write=True) as uow:
        uow.role_assignments.add(world.admin.tenant_id, RoleAssignment("ra1", world.admin.principal_id, reader.id,
                                                                       world.ws.arm_id, NOW, "admin"))
        uow.datastores.add(Datastore(key="d1", workspace_key=world.ws.key, name="lake", datastore_type="AzureBlob",
                                     account_name="lake", container_name="c", endpoint="core.windows.net",
                                     protocol="https", subscription_id=world.src, resource_group_name="data",
                                     is_default=False, created_at=NOW))
        uow.commit()
    report = world.check(world.request())
    assert codes_of(report) == ["RequestDisallowedByPolicy"]
    assert "need-owner" in report.blockers[0].message
    assert [loss.kind for loss in report.losses] == ["RoleAssignment", "DatastoreLeftBehind"]
    assert report.losses[0].target.endswith("/roleAssignments/ra1")
    # The tag makes it compliant.
    world.workspaces.update(world.admin, world.src, "origin-rg", "origin-ws",
                            WorkspaceBody.model_validate({"tags": {"owner": "me"}}))
    assert world.check(world.request()).allowed


def test_store_an_associated_resource_alone_and_a_name_taken_at_the_destination(world: World) -> None:
    world.ready_destination()
    with world.deps.uow() as uow:
        storage = next(r.arm_id for r in uow.resources.by_keys(list(world.ws.associated.values())).values()
                       if r.full_type == "Microsoft.Storage/storageAccounts")
    report = world.check(world.request(storage))
    assert codes_of(report) == ["AssociatedResourceMovesWithWorkspace"] and report.moving == ()
    world.workspaces.create_or_update(world.admin, world.dst, "destination-rg", "origin-ws",
                                      WorkspaceBody.model_validate({"location": "eastus"}))
    report = world.check(world.request(world.ws.arm_id, storage))
    assert codes_of(report) == ["ResourceExistsInTargetResourceGroup"]
    assert report.blockers[0].target == f"/subscriptions/{world.dst}/resourceGroups/destination-rg/providers/" \
                                        "Microsoft.MachineLearningServices/workspaces/origin-ws"


def test_store_a_customer_managed_key_in_the_workspace_settings_blocks(world: World) -> None:
    """A workspace keeps Azure's ``encryption`` in ``Workspace.settings`` (a project reads its hub's
    through ``hub_key``): a customer-managed key there blocks and asks for two more providers."""
    world.ready_destination()
    with world.deps.uow(write=True) as uow:
        uow.workspaces.save(replace(world.ws, settings={"encryption": CMK}))
        uow.commit()
    report = world.check(world.request())
    assert codes_of(report) == ["MissingSubscriptionRegistration", "MissingSubscriptionRegistration",
                                "WorkspaceHasCustomerManagedKey"]
    assert {b.target.rsplit("/", 1)[-1] for b in report.blockers[:2]} == {"Microsoft.DocumentDB", "Microsoft.Search"}


def codes_of(report: Any) -> list[str]:
    return [b.code for b in report.blockers]


def test_store_every_reason_of_one_workspace_and_its_destination_at_once(world: World) -> None:
    """Gathered from the store in one validation: what the workspace holds (a compute being
    created, an endpoint, a customer-managed key, a running job), where it would go (another region,
    no providers registered, two policies broken) and who asks (no delete, no write): each reason
    is its own blocker in the one report, and the report still says what would move."""
    world.groups.create_or_update(world.admin, world.dst, "destination-rg",
                                  ResourceGroupBody.model_validate({"location": "westus"}))
    for scope, name, definition, params in (
            (f"/subscriptions/{world.dst}", "need-cost", "Require a tag on resources", {"tagName": {"value": "cost"}}),
            (f"/subscriptions/{world.dst}/resourceGroups/destination-rg", "only-west", "Allowed locations",
             {"listOfAllowedLocations": {"value": ["westus"]}})):
        world.policies.create_or_update(world.admin, scope, name, PolicyAssignmentBody.model_validate(
            {"properties": {"policyDefinitionId": definition, "parameters": params}}))
    size = find_vm_size("Standard_DS3_v2")
    assert size is not None
    world.add("computes", Compute(key="c1", workspace_key=world.ws.key, name="cpu", compute_type=ComputeType.AML_COMPUTE,
                                  location="eastus", vm_size=size, stamp=stamp(NOW),
                                  provisioning_state=ComputeProvisioningState.CREATING))
    world.add("online_endpoints", OnlineEndpoint(key="e1", workspace_key=world.ws.key, name="ep", scoring_id="s1",
                                                 auth_mode=AuthMode.KEY, description="", tags={}, properties={},
                                                 traffic={}, created_at=NOW, modified_at=NOW, created_by="admin"))
    world.add("jobs", Job(key="j1", workspace_key=world.ws.key, name="train", spec=JobSpec("echo", "env"),
                          status=JobStatus.RUNNING, stamp=stamp(NOW), etag='"1"',
                          submitted_by=world.admin.principal_id, display_name="train"))
    world.add("labeling_projects", labeling_project(world.ws.key, "cats", LabelingStatus.PAUSED))
    world.add("resources", databricks_record(world, "spark", world.ws.arm_id))
    from amlite.domain.resources import Principal, PrincipalKind

    with world.deps.uow(write=True) as uow:
        uow.workspaces.save(replace(world.ws, settings={"encryption": CMK}))
        uow.principals.add(Principal(id="u2", tenant_id=world.admin.tenant_id, kind=PrincipalKind.USER,
                                     display_name="nobody", user_principal_name="nobody@amlite.local"))
        uow.commit()
    report = world.check(world.request(), Caller(world.admin.tenant_id, "u2", "nobody", "User"))
    found = codes_of(report)
    assert sorted(set(found)) == sorted({
        "MoveCrossRegion", "MissingSubscriptionRegistration", "MoveSourceDeleteNotAuthorized",
        "MoveTargetWriteNotAuthorized", "RequestDisallowedByPolicy", "WorkspaceHasCompute",
        "WorkspaceHasOnlineEndpoint", "WorkspaceHasCustomerManagedKey", "WorkspaceHasRunningJob",
        "WorkspaceHasLabelingProject", "WorkspaceLinkedToDatabricks"})
    assert found.count("MissingSubscriptionRegistration") == len(REQUIRED_PROVIDERS) + len(CMK_PROVIDERS)
    assert found.count("MoveSourceDeleteNotAuthorized") == len(report.moving) == 5
    assert sorted(b.target.rsplit("/", 1)[-1] for b in report.blockers if b.code == "RequestDisallowedByPolicy") \
        == ["need-cost", "only-west"]
    assert all(b.message and b.target for b in report.blockers)
    # A destination group that does not exist: that reason joins the workspace's own.
    absent = codes_of(world.check(world.request(target_group="absent-rg"), Caller(world.admin.tenant_id, "u2", "nobody",
                                                                                  "User")))
    assert {"TargetResourceGroupNotFound", "WorkspaceHasCompute", "WorkspaceHasOnlineEndpoint",
            "WorkspaceHasCustomerManagedKey", "WorkspaceHasRunningJob", "WorkspaceHasLabelingProject",
            "WorkspaceLinkedToDatabricks", "MissingSubscriptionRegistration", "MoveSourceDeleteNotAuthorized"} == set(absent)
