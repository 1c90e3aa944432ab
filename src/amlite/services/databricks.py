"""Azure Databricks workspaces of a resource group, kept as records for their link to an Azure
Machine Learning workspace (``domain.databricks`` says why): create or replace (PUT), read, list,
delete.

Creating one needs ``Microsoft.Databricks`` registered on the subscription, as on Azure. Linking
one (``parameters.amlWorkspaceId``) needs the ML workspace to exist in the caller's tenant and the
caller to hold ``Microsoft.MachineLearningServices/workspaces/write`` on it: the link lets the
Databricks workspace write runs and models there. The record is checked against the policy
assignments at its group, as every governed write is.
"""

from __future__ import annotations

from typing import Any

from amlite.domain.databricks import (
    NAMESPACE,
    TYPE,
    DatabricksSpec,
    check_databricks_name,
    judge_body,
    linked_workspace_id,
)
from amlite.domain.errors import AuthorizationFailed, NotFound, invalid
from amlite.domain.move_ids import parse_resource_id
from amlite.domain.policies import Subject
from amlite.domain.providers import ML_NAMESPACE
from amlite.domain.resources import GenericResource, Workspace
from amlite.ports import UnitOfWork
from amlite.services.audit import record_write
from amlite.services.authz import Authorizer
from amlite.services.context import Caller, Deps
from amlite.services.policy_enforcement import require_compliant
from amlite.services.resource_groups import require_group, require_group_writable
from amlite.services.subscriptions import require_registered, require_subscription

_LINK_ACTION = f"{ML_NAMESPACE}/workspaces/write"
_LINK_TARGET = "properties.parameters.amlWorkspaceId"


def databricks_not_found(rg: str, name: str) -> NotFound:
    return NotFound("ResourceNotFound", f"The Resource '{TYPE}/{name}' under resource group '{rg}' was not found.")


def linked_databricks(uow: UnitOfWork, ws: Workspace) -> list[str]:
    """The ids of the Databricks workspaces linked to ``ws`` (move validation reads them)."""
    return [res.arm_id for res in uow.resources.of_type(TYPE)
            if (link := linked_workspace_id(res.properties.get("parameters"))) is not None
            and link.rstrip("/").lower() == ws.arm_id.lower()]


class DatabricksService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def list(self, caller: Caller, sub_id: str, rg_name: str) -> list[GenericResource]:
        with self._deps.uow() as uow:
            sub = require_subscription(uow, caller, sub_id)
            rg = require_group(uow, sub.id, rg_name)
            return sorted((r for r in uow.resources.in_group(rg.key) if r.full_type.lower() == TYPE.lower()),
                          key=lambda r: r.name.lower())

    def get(self, caller: Caller, sub_id: str, rg_name: str, name: str) -> GenericResource:
        with self._deps.uow() as uow:
            sub = require_subscription(uow, caller, sub_id)
            rg = require_group(uow, sub.id, rg_name)
            found = _find(uow, rg.key, name)
        if found is None:
            raise databricks_not_found(rg_name, name)
        return found

    def put(self, caller: Caller, sub_id: str, rg_name: str, name: str,
            body: dict[str, Any]) -> tuple[GenericResource, bool]:
        check_databricks_name(name)
        d = self._deps
        with d.uow(write=True) as uow:
            sub = require_subscription(uow, caller, sub_id)
            rg = require_group(uow, sub.id, rg_name)
            require_group_writable(rg)
            spec = judge_body(body)  # after the group: a missing one is a 404, as ARM answers
            region = d.regions.resolve(spec.location)
            require_registered(uow, sub, NAMESPACE)
            self._require_linkable(uow, caller, spec)
            existing = _find(uow, rg.key, name)
            if existing is not None and existing.location.lower() != region.name.lower():
                raise invalid("LocationCannotBeChanged", f"The Databricks workspace '{name}' is in "
                              f"'{existing.location}'; its location cannot change.", "location")
            record = GenericResource(key=existing.key if existing else d.ids.new_id(), resource_group_key=rg.key,
                                     subscription_id=sub.id, resource_group_name=rg.name, namespace=NAMESPACE,
                                     type="workspaces", name=existing.name if existing else name,
                                     location=region.name, properties=spec.properties())
            require_compliant(uow, Subject(record.arm_id, TYPE, record.location, spec.tags))
            if existing is None:
                uow.resources.add(record)
            else:
                uow.resources.save(record)
            record_write(d, uow, caller, scope=record.arm_id)
            uow.commit()
        return record, existing is None

    def delete(self, caller: Caller, sub_id: str, rg_name: str, name: str) -> bool:
        d = self._deps
        with d.uow(write=True) as uow:
            sub = require_subscription(uow, caller, sub_id)
            rg = require_group(uow, sub.id, rg_name)
            found = _find(uow, rg.key, name)
            if found is None:
                return False
            uow.resources.delete(found.key)
            record_write(d, uow, caller, scope=found.arm_id)
            uow.commit()
        return True

    @staticmethod
    def _require_linkable(uow: UnitOfWork, caller: Caller, spec: DatabricksSpec) -> None:
        """The ML workspace a link names exists in the caller's tenant, and the caller may write it
        (checked first, so a workspace the caller may not write answers 403 whether it exists or not)."""
        link = spec.linked_workspace_id
        if link is None:
            return
        if not Authorizer.allowed_in(uow, caller.principal_id, _LINK_ACTION, link):
            raise AuthorizationFailed(
                "LinkedAuthorizationFailed",
                f"The client '{caller.name}' with object id '{caller.principal_id}' has permission to write the "
                f"Databricks workspace but not to perform '{_LINK_ACTION}' on the linked workspace '{link}'.",
                _LINK_TARGET)
        parsed = parse_resource_id(link)
        sub = uow.subscriptions.get(parsed.subscription_id.lower()) if parsed is not None else None
        ws = (uow.workspaces.get(sub.id, parsed.resource_group, parsed.name)
              if sub is not None and parsed is not None and sub.tenant_id == caller.tenant_id else None)
        if ws is None:
            raise invalid("LinkedWorkspaceNotFound", f"The Azure Machine Learning workspace '{link}' does not exist.",
                          _LINK_TARGET)


def _find(uow: UnitOfWork, rg_key: str, name: str) -> GenericResource | None:
    return next((r for r in uow.resources.in_group(rg_key)
                 if r.full_type.lower() == TYPE.lower() and r.name.lower() == name.lower()), None)
