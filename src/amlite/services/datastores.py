"""Datastore use cases: create or update, read, list, delete, and listing a datastore's secrets.

A datastore records where data lives (an Azure Blob container, an ADLS Gen2 filesystem or an Azure
Files share) and, when the user names them, the subscription and resource group of its storage
account; otherwise the account sits with the workspace and the workspace's current ids are shown
(``Datastore.storage_ids``), never a stored copy of them. Its credentials (an account key or a SAS
token) go encrypted into the workspace's secret namespace in the same unit of work as the
datastore row; reads never return them, only ``listSecrets`` (its own action) does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from amlite.domain.errors import Conflict, NotFound, invalid
from amlite.domain.names import check_resource_group_name, check_subscription_id
from amlite.domain.paging import Page
from amlite.domain.resources import Datastore, Workspace, WorkspaceKind
from amlite.ports import UnitOfWork
from amlite.schemas.arm_assets import DatastoreBody, DatastoreCredentials
from amlite.schemas.datastores import STORAGE_ACCOUNT_NAME_RULE, is_storage_account_name
from amlite.services.audit import record_write
from amlite.services.hubs import confine_to_own_containers
from amlite.services.context import Caller, Deps
from amlite.services.secrets import SecretNamespace
from amlite.services.storage_endpoint import ContainerAccess, StorageEndpointService
from amlite.services.workspace_scope import require_workspace, writable

# datastoreType -> the property naming its container
STORAGE_FIELD = {"AzureBlob": "containerName", "AzureDataLakeGen2": "filesystem", "AzureFile": "fileShareName"}
CREDENTIALS = {"AccountKey": "key", "Sas": "sasToken", "None": None}
PROTOCOLS = ("https", "http", "wasbs", "wasb", "abfss", "abfs")
_NAME = re.compile(r"[A-Za-z0-9_]{1,255}")
P = "properties"


@dataclass(frozen=True)
class DatastoreView:
    workspace: Workspace
    datastore: Datastore

    @property
    def arm_id(self) -> str:
        return f"{self.workspace.arm_id}/datastores/{self.datastore.name}"


@dataclass(frozen=True)
class DatastoreSecrets:
    secrets_type: str
    value: str | None


@dataclass(frozen=True)
class _Request:
    """A PUT body, judged: the datastore's fields and its secret (``None`` for no credentials)."""

    fields: dict[str, Any]
    secret: str | None


class DatastoreService:
    def __init__(self, deps: Deps, secrets: SecretNamespace, storage: StorageEndpointService) -> None:
        self._deps = deps
        self._secrets = secrets
        self._storage = storage

    def create_or_update(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str,
                         body: DatastoreBody) -> tuple[DatastoreView, bool]:
        check_datastore_name(name)
        self._workspace(caller, sub_id, rg_name, ws_name)  # a missing workspace is 404 before the body is judged
        req = _parse(body)
        d = self._deps
        with d.uow(write=True) as uow:
            ws = writable(require_workspace(uow, caller, sub_id, rg_name, ws_name))
            if ws.kind is WorkspaceKind.PROJECT:
                confine_to_own_containers(uow, ws, req.fields["account_name"], req.fields["container_name"])
            existing = uow.datastores.get(ws.key, name)
            if existing is not None and existing.is_default:
                fixed = ("datastore_type", "account_name", "container_name")
                if any(getattr(existing, f) != req.fields[f] for f in fixed):
                    raise Conflict("DefaultDatastoreReadOnly",
                                   f"'{existing.name}' is a default datastore of the workspace: its storage cannot change.")
            secret_name = Datastore.secret_name_for(name)
            if existing is None:
                ds = Datastore(key=d.ids.new_id(), workspace_key=ws.key, name=name, is_default=False,
                               created_at=d.clock.now(), secret_name=secret_name if req.secret else None, **req.fields)
                uow.datastores.add(ds)
            else:
                ds = replace(existing, secret_name=secret_name if req.secret else None, **req.fields)
                uow.datastores.save(ds)
            if req.secret is not None:
                self._secrets.put(uow, ws.key, secret_name, req.secret)
            else:
                self._secrets.delete(uow, ws.key, secret_name)
            view = DatastoreView(ws, ds)
            record_write(d, uow, caller, scope=view.arm_id)
            uow.commit()
        return view, existing is None

    def get(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str) -> DatastoreView:
        with self._deps.uow() as uow:
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            return DatastoreView(ws, _require(uow, ws, name))

    def list(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, offset: int, limit: int) -> Page[DatastoreView]:
        with self._deps.uow() as uow:
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            page = uow.datastores.list(ws.key, offset, limit)
            return Page([DatastoreView(ws, ds) for ds in page.items], page.more)

    def delete(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str) -> bool:
        """Remove a datastore and its secret; ``False`` when there was none (ARM answers 204)."""
        d = self._deps
        with d.uow(write=True) as uow:
            ws = writable(require_workspace(uow, caller, sub_id, rg_name, ws_name))
            ds = uow.datastores.get(ws.key, name)
            if ds is None:
                return False
            if ds.is_default:
                raise Conflict("CannotDeleteDefaultDatastore",
                               f"'{ds.name}' is a default datastore of the workspace and cannot be deleted.")
            if ds.secret_name:
                self._secrets.delete(uow, ws.key, ds.secret_name)
            uow.datastores.delete(ds.key)
            record_write(d, uow, caller, scope=DatastoreView(ws, ds).arm_id)
            uow.commit()
        return True

    def list_secrets(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str,
                     expire_after_hours: float = 1.0) -> DatastoreSecrets:
        """The datastore's secret; for the workspace's own storage, a container SAS amlite signs,
        valid ``expire_after_hours`` (Azure's ``expirableSecret``)."""
        with self._deps.uow() as uow:
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            ds = _require(uow, ws, name)
            value = self._secrets.get(uow, ws.key, ds.secret_name) if ds.secret_name else None
        if ds.served_by_amlite:
            access = self._storage.container_access(ds.account_name, ds.container_name, ws.location, expire_after_hours)
            return DatastoreSecrets("Sas", access.sas)
        return DatastoreSecrets(ds.credentials_type, value)

    def upload_access(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str) -> tuple[Datastore, ContainerAccess]:
        """Where a client uploads a workspace's code (azure-ai-ml's ``startPendingUpload``): the
        workspace's own storage (its default datastore) and a one-hour container SAS to it."""
        with self._deps.uow() as uow:
            ws = writable(require_workspace(uow, caller, sub_id, rg_name, ws_name))
            ds = next((d for d in uow.datastores.of_workspace(ws.key) if d.served_by_amlite), None)
        if ds is None:
            raise Conflict("DefaultDatastoreNotServed",
                           f"Workspace '{ws.name}' has no default blob datastore that amlite serves to upload into.")
        return ds, self._storage.container_access(ds.account_name, ds.container_name, ws.location)

    def _workspace(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str) -> Workspace:
        with self._deps.uow() as uow:
            return require_workspace(uow, caller, sub_id, rg_name, ws_name)


def check_datastore_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise invalid("InvalidDatastoreName",
                      f"Datastore name '{name}' may contain only letters, digits and '_' (1 to 255 characters).",
                      "datastoreName")
    return name


def _parse(body: DatastoreBody) -> _Request:
    props = body.properties
    if props is None:
        raise invalid("InvalidRequestContent", "properties must be an object.", P)
    dtype = props.datastore_type
    if dtype not in STORAGE_FIELD:
        raise invalid("InvalidRequestContent",
                      f"datastoreType '{dtype}' is not supported; use {', '.join(STORAGE_FIELD)}.", f"{P}.datastoreType")
    account = props.account_name
    if account is None or not is_storage_account_name(account):
        raise invalid("InvalidRequestContent", f"accountName '{account}' is not valid: {STORAGE_ACCOUNT_NAME_RULE}.",
                      f"{P}.accountName")
    field = STORAGE_FIELD[dtype]
    container = {"containerName": props.container_name, "filesystem": props.filesystem,
                 "fileShareName": props.file_share_name}[field]
    if container is None or not re.fullmatch(r"[A-Za-z0-9$][A-Za-z0-9._$-]{0,254}", container):
        raise invalid("InvalidRequestContent", f"A {dtype} datastore needs {field}.", f"{P}.{field}")
    protocol = props.protocol or "https"
    if protocol not in PROTOCOLS:
        raise invalid("InvalidRequestContent", f"protocol '{protocol}' is not valid; use one of {', '.join(PROTOCOLS)}.",
                      f"{P}.protocol")
    fields: dict[str, Any] = {
        "datastore_type": dtype, "account_name": account, "container_name": container,
        "endpoint": _text(props.endpoint, "endpoint", 255) or "core.windows.net", "protocol": protocol,
        # The storage account's own ids when given; none given: it sits with the workspace.
        "subscription_id": check_subscription_id(sid) if (sid := _text(props.subscription_id, "subscriptionId", 64)) else None,
        "resource_group_name": check_resource_group_name(rg) if (rg := _text(props.resource_group, "resourceGroup", 90)) else None,
        "description": _text(props.description, "description", 10_000) or "",
        "tags": props.tags or {},
    }
    credentials_type, secret = _credentials(props.credentials)
    fields["credentials_type"] = credentials_type
    return _Request(fields, secret)


def _credentials(creds: DatastoreCredentials | None) -> tuple[str, str | None]:
    target = f"{P}.credentials"
    if creds is None:
        return "None", None
    ctype = creds.credentials_type
    if ctype not in CREDENTIALS:
        raise invalid("InvalidRequestContent", f"credentialsType '{ctype}' is not supported; use AccountKey, Sas or None.",
                      f"{target}.credentialsType")
    secret_field = CREDENTIALS[ctype]
    if secret_field is None:
        return "None", None
    secrets = creds.secrets
    value = None if secrets is None else secrets.key if secret_field == "key" else secrets.sas_token
    if not value:
        raise invalid("InvalidRequestContent", f"{ctype} credentials need secrets.{secret_field}.",
                      f"{target}.secrets.{secret_field}")
    if secrets is not None and secrets.secrets_type not in (None, ctype):
        raise invalid("InvalidRequestContent", f"secrets.secretsType must be '{ctype}' for {ctype} credentials.",
                      f"{target}.secrets.secretsType")
    return ctype, value


def _text(value: str | None, key: str, limit: int) -> str | None:
    if value is not None and len(value) > limit:
        raise invalid("InvalidRequestContent", f"{key} must be a string of at most {limit} characters.", f"{P}.{key}")
    return value


def _require(uow: UnitOfWork, ws: Workspace, name: str) -> Datastore:
    ds = uow.datastores.get(ws.key, name)
    if ds is None:
        raise NotFound("ResourceNotFound", f"The datastore '{name}' does not exist in workspace '{ws.name}'.")
    return ds
