"""A workspace's labeling projects: create or replace (PUT), read, list, delete, pause, resume,
and the refused label export (``domain.labeling`` says why).

A project's data must be a data asset version of its own workspace: ``dataConfiguration.dataId``
is resolved inside the write's unit of work (``ReferenceResolver``), so a project never names
data that is not there when it is created. A replace keeps the project's id, creation time and
status; pausing and resuming change only the status.
"""

from __future__ import annotations

from typing import Any

from amlite.domain.assets import AssetKind
from amlite.domain.errors import Conflict, NotFound, invalid
from amlite.domain.labeling import (
    LabelingProject,
    LabelingStatus,
    check_project_name,
    data_reference,
    judge_properties,
)
from amlite.domain.references import parse_asset_reference
from amlite.domain.resources import Workspace
from amlite.ports import UnitOfWork
from amlite.services.asset_owners import workspace_owner
from amlite.services.asset_references import ReferenceResolver
from amlite.services.audit import record_write
from amlite.services.context import Caller, Deps
from amlite.services.workspace_scope import require_workspace, writable

_DATA_TARGET = "properties.dataConfiguration.dataId"


def project_not_found(name: str) -> NotFound:
    return NotFound("LabelingJobNotFound", f"The labeling project '{name}' was not found.")


def project_scope(ws: Workspace, name: str) -> str:
    return f"{ws.arm_id}/labelingJobs/{name}"


class LabelingService:
    def __init__(self, deps: Deps, references: ReferenceResolver) -> None:
        self._deps = deps
        self._references = references

    def list(self, caller: Caller, sub_id: str, rg: str, ws_name: str) -> tuple[Workspace, list[LabelingProject]]:
        with self._deps.uow() as uow:
            ws = require_workspace(uow, caller, sub_id, rg, ws_name)
            return ws, uow.labeling_projects.of_workspace(ws.key)

    def get(self, caller: Caller, sub_id: str, rg: str, ws_name: str, name: str) -> tuple[Workspace, LabelingProject]:
        with self._deps.uow() as uow:
            ws = require_workspace(uow, caller, sub_id, rg, ws_name)
            found = uow.labeling_projects.get(ws.key, name)
        if found is None:
            raise project_not_found(name)
        return ws, found

    def put(self, caller: Caller, sub_id: str, rg: str, ws_name: str, name: str,
            props: dict[str, Any]) -> tuple[Workspace, LabelingProject, bool]:
        check_project_name(name)
        d = self._deps
        now = d.clock.now()
        with d.uow(write=True) as uow:
            ws = writable(require_workspace(uow, caller, sub_id, rg, ws_name))
            spec = judge_properties(props)  # after the workspace: a missing one is a 404, as ARM answers
            self._require_data(uow, caller, ws, spec["dataConfiguration"]["dataId"])
            existing = uow.labeling_projects.get(ws.key, name)
            if existing is None:
                project = LabelingProject(key=d.ids.new_id(), workspace_key=ws.key, name=name,
                                          project_id=d.ids.new_id(), spec=spec, status=LabelingStatus.RUNNING,
                                          created_at=now, modified_at=now, created_by=caller.name)
                uow.labeling_projects.add(project)
            else:
                project = LabelingProject(key=existing.key, workspace_key=ws.key, name=existing.name,
                                          project_id=existing.project_id, spec=spec, status=existing.status,
                                          created_at=existing.created_at, modified_at=now,
                                          created_by=existing.created_by)
                uow.labeling_projects.save(project)
            record_write(d, uow, caller, scope=project_scope(ws, project.name))
            uow.commit()
        return ws, project, existing is None

    def delete(self, caller: Caller, sub_id: str, rg: str, ws_name: str, name: str) -> bool:
        d = self._deps
        with d.uow(write=True) as uow:
            ws = writable(require_workspace(uow, caller, sub_id, rg, ws_name))
            found = uow.labeling_projects.get(ws.key, name)
            if found is None:
                return False
            uow.labeling_projects.delete(found.key)
            record_write(d, uow, caller, scope=project_scope(ws, found.name))
            uow.commit()
        return True

    def pause(self, caller: Caller, sub_id: str, rg: str, ws_name: str, name: str) -> tuple[Workspace, LabelingProject]:
        return self._set_status(caller, sub_id, rg, ws_name, name, LabelingStatus.PAUSED)

    def resume(self, caller: Caller, sub_id: str, rg: str, ws_name: str, name: str) -> tuple[Workspace, LabelingProject]:
        return self._set_status(caller, sub_id, rg, ws_name, name, LabelingStatus.RUNNING)

    def export_refusal(self, caller: Caller, sub_id: str, rg: str, ws_name: str, name: str) -> Conflict:
        """The answer to ``exportLabels`` once the project is found: refused, because amlite has no
        labeling interface, so the project holds no labels, and an empty export would pass for a
        finished one."""
        with self._deps.uow() as uow:
            ws = require_workspace(uow, caller, sub_id, rg, ws_name)
            found = uow.labeling_projects.get(ws.key, name)
        if found is None:
            raise project_not_found(name)
        return Conflict("LabelsNotAvailable",
                       f"The labeling project '{found.name}' has no labels to export: amlite has no labeling "
                       "interface, so no item of its data has been labeled.")

    def _set_status(self, caller: Caller, sub_id: str, rg: str, ws_name: str, name: str,
                    status: LabelingStatus) -> tuple[Workspace, LabelingProject]:
        d = self._deps
        now = d.clock.now()
        with d.uow(write=True) as uow:
            ws = writable(require_workspace(uow, caller, sub_id, rg, ws_name))
            found = uow.labeling_projects.get(ws.key, name)
            if found is None:
                raise project_not_found(name)
            changed = found.paused(now) if status is LabelingStatus.PAUSED else found.resumed(now)
            if changed is not found:
                uow.labeling_projects.save(changed)
                record_write(d, uow, caller, scope=project_scope(ws, found.name))
                uow.commit()
        return ws, changed

    def _require_data(self, uow: UnitOfWork, caller: Caller, ws: Workspace, data_id: str) -> None:
        """The data asset version ``dataId`` names, in this workspace (a registry's or another
        workspace's data is refused: a project labels its own workspace's data)."""
        ref = parse_asset_reference(data_reference(data_id), AssetKind.DATA, _DATA_TARGET)
        other = ref.workspace is not None and (
            ref.workspace.subscription_id.lower(), ref.workspace.resource_group.lower(),
            ref.workspace.workspace.lower()) != (ws.subscription_id.lower(), ws.resource_group_name.lower(),
                                                 ws.name.lower())
        if ref.registry is not None or other:
            raise invalid("LabelingDataNotInWorkspace", f"'{data_id}' is not a data asset of workspace '{ws.name}'; a "
                          "labeling project labels data registered in its own workspace.", _DATA_TARGET)
        self._references.resolve(uow, caller, workspace_owner(ws), ref, _DATA_TARGET)
