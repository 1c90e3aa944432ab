"""A workspace's labeling projects (``.../workspaces/{ws}/labelingJobs/{id}``, Azure's ``LabelingJob``).

A labeling project names the data asset whose items people label, the label categories and
their classes, and the kind of media (images or text). amlite keeps the project's control plane
as Azure does: create or replace, read, list, delete, pause and resume. It has no labeling
interface, so no item is ever labeled: the progress metrics stay at zero, ML-assisted labeling
(which trains models on the labels) is refused, and exporting the labels is refused because there
are none. A project that exists blocks the move of its workspace (seed 000: "Workspace with
currently running labeling projects"); a paused project has not completed either.

The body is judged here, with no I/O; that ``dataConfiguration.dataId`` names a data asset of the
workspace is the service's check (it reads the store).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from typing import Any

from amlite.domain.errors import invalid

TYPE = "Microsoft.MachineLearningServices/workspaces/labelingJobs"
#: Azure's RBAC actions for labeling ("Azure built-in roles", AzureML Data Scientist covers them).
ACTION = "Microsoft.MachineLearningServices/workspaces/labeling"
READ_ACTION = f"{ACTION}/projects/read"
WRITE_ACTION = f"{ACTION}/projects/write"
DELETE_ACTION = f"{ACTION}/projects/delete"
EXPORT_ACTION = f"{ACTION}/export/action"

_NAME_LIMIT = 255
_MEDIA = {"image": ("Image", ("Classification", "BoundingBox", "InstanceSegmentation")),
          "text": ("Text", ("Classification", "NamedEntityRecognition"))}
_SWITCH = ("Enabled", "Disabled")
_DEPTH = 5  # how deep label classes may nest their subclasses


class LabelingStatus(str, Enum):
    """The project's status (Azure's ``JobStatus`` values a labeling project takes in amlite)."""

    RUNNING = "Running"
    PAUSED = "Paused"


@dataclass(frozen=True)
class LabelingProject:
    key: str
    workspace_key: str
    name: str
    project_id: str
    #: The accepted ``properties`` as given (normalized by :func:`judge_properties`), read-only fields excluded.
    spec: dict[str, Any]
    status: LabelingStatus
    created_at: datetime
    modified_at: datetime
    created_by: str

    @property
    def data_id(self) -> str:
        return str(self.spec["dataConfiguration"]["dataId"])

    def paused(self, now: datetime) -> "LabelingProject":
        """Pausing a paused project changes nothing (the action is idempotent, as ARM actions are)."""
        return self if self.status is LabelingStatus.PAUSED else replace(self, status=LabelingStatus.PAUSED,
                                                                         modified_at=now)

    def resumed(self, now: datetime) -> "LabelingProject":
        return self if self.status is LabelingStatus.RUNNING else replace(self, status=LabelingStatus.RUNNING,
                                                                          modified_at=now)


def check_project_name(name: str) -> None:
    if not name or len(name) > _NAME_LIMIT or not name[0].isalnum() or not all(c.isalnum() or c in "-_" for c in name):
        raise invalid("InvalidLabelingJobName", f"'{name}' must be 1-{_NAME_LIMIT} letters, digits, '-' or '_', "
                      "starting with a letter or digit.", "id")


def judge_properties(props: dict[str, Any]) -> dict[str, Any]:
    """The accepted spec of a labeling project's ``properties``; anything else is ``400`` naming
    the field. Read-only fields sent back (status, progressMetrics, projectId, ...) are ignored."""
    p = "properties"
    job_type = props.get("jobType")
    if not isinstance(job_type, str) or job_type.lower() != "labeling":
        raise invalid("InvalidRequestContent", "properties.jobType must be 'Labeling'.", f"{p}.jobType")
    spec: dict[str, Any] = {}
    for field in ("description", "displayName", "experimentName"):
        value = props.get(field)
        if value is not None and not isinstance(value, str):
            raise invalid("InvalidRequestContent", f"{p}.{field} must be a string.", f"{p}.{field}")
        if value is not None:
            spec[field] = value
    for field in ("tags", "properties"):
        value = props.get(field)
        if value is None:
            continue
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise invalid("InvalidRequestContent", f"{p}.{field} must map names to strings.", f"{p}.{field}")
        spec[field] = dict(value)
    spec["dataConfiguration"] = _data_configuration(props.get("dataConfiguration"))
    spec["labelCategories"] = _categories(props.get("labelCategories"))
    media = _media(props.get("labelingJobMediaProperties"))
    if media is not None:
        spec["labelingJobMediaProperties"] = media
    spec["mlAssistConfiguration"] = _ml_assist(props.get("mlAssistConfiguration"))
    instructions = props.get("jobInstructions")
    if instructions is not None:
        uri = instructions.get("uri") if isinstance(instructions, dict) else None
        if not isinstance(uri, str) or not uri.lower().startswith(("https://", "http://")):
            raise invalid("InvalidRequestContent", "properties.jobInstructions.uri must be an http(s) URL.",
                          f"{p}.jobInstructions.uri")
        spec["jobInstructions"] = {"uri": uri}
    return spec


def _data_configuration(value: object) -> dict[str, Any]:
    where = "properties.dataConfiguration"
    if not isinstance(value, dict):
        raise invalid("InvalidRequestContent", f"{where} is required: the data asset to label, in dataId.", where)
    data_id = value.get("dataId")
    if not isinstance(data_id, str) or not data_id.strip():
        raise invalid("InvalidRequestContent", f"{where}.dataId is required: the id of a data asset version of the "
                      "workspace (azureml:<name>:<version> or its ARM id).", f"{where}.dataId")
    out: dict[str, Any] = {"dataId": data_id.strip()}
    refresh = value.get("incrementalDataRefresh", "Disabled")
    out["incrementalDataRefresh"] = _switch(refresh, f"{where}.incrementalDataRefresh")
    return out


def data_reference(data_id: str) -> str:
    """``dataId`` as a reference ``domain.references`` reads: Azure stores the bare ARM id of the
    data version; the ``azureml:`` forms are taken as they are."""
    return data_id if data_id.lower().startswith("azureml:") else f"azureml:{data_id}"


def _switch(value: object, where: str) -> str:
    found = next((s for s in _SWITCH if isinstance(value, str) and s.lower() == value.lower()), None)
    if found is None:
        raise invalid("InvalidRequestContent", f"{where} must be 'Enabled' or 'Disabled'.", where)
    return found


def _categories(value: object) -> dict[str, Any]:
    where = "properties.labelCategories"
    if not isinstance(value, dict) or not value:
        raise invalid("InvalidRequestContent", f"{where} must name at least one label category, each with its "
                      "classes.", where)
    out: dict[str, Any] = {}
    for name, category in value.items():
        here = f"{where}.{name}"
        if not isinstance(name, str) or not name.strip():
            raise invalid("InvalidRequestContent", f"A label category needs a non-empty name in {where}.", where)
        if not isinstance(category, dict):
            raise invalid("InvalidRequestContent", f"{here} must be an object with its classes.", here)
        classes = category.get("classes")
        if not isinstance(classes, dict) or not classes:
            raise invalid("InvalidRequestContent", f"{here}.classes must name at least one label class.",
                          f"{here}.classes")
        judged: dict[str, Any] = {"classes": _classes(classes, f"{here}.classes", 1),
                                  "multiSelect": _switch(category.get("multiSelect", "Disabled"),
                                                         f"{here}.multiSelect")}
        if category.get("displayName") is not None:
            judged["displayName"] = _text(category["displayName"], f"{here}.displayName")
        out[name] = judged
    return out


def _classes(value: dict[Any, Any], where: str, depth: int) -> dict[str, Any]:
    if depth > _DEPTH:
        raise invalid("InvalidRequestContent", f"Label classes nest at most {_DEPTH} levels deep.", where)
    out: dict[str, Any] = {}
    for name, cls in value.items():
        here = f"{where}.{name}"
        if not isinstance(name, str) or not name.strip():
            raise invalid("InvalidRequestContent", f"A label class needs a non-empty name in {where}.", where)
        cls = {} if cls is None else cls
        if not isinstance(cls, dict):
            raise invalid("InvalidRequestContent", f"{here} must be an object.", here)
        judged: dict[str, Any] = {}
        if cls.get("displayName") is not None:
            judged["displayName"] = _text(cls["displayName"], f"{here}.displayName")
        subclasses = cls.get("subclasses")
        if subclasses is not None:
            if not isinstance(subclasses, dict):
                raise invalid("InvalidRequestContent", f"{here}.subclasses must be an object.", f"{here}.subclasses")
            judged["subclasses"] = _classes(subclasses, f"{here}.subclasses", depth + 1)
        out[name] = judged
    return out


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise invalid("InvalidRequestContent", f"{where} must be a string.", where)
    return value


def _media(value: object) -> dict[str, Any] | None:
    where = "properties.labelingJobMediaProperties"
    if value is None:
        return None
    media = value.get("mediaType") if isinstance(value, dict) else None
    found = _MEDIA.get(media.lower()) if isinstance(media, str) else None
    if found is None:
        raise invalid("InvalidRequestContent", f"{where}.mediaType must be 'Image' or 'Text'.", f"{where}.mediaType")
    kind, annotations = found
    assert isinstance(value, dict)
    annotation = value.get("annotationType", "Classification")
    chosen = next((a for a in annotations if isinstance(annotation, str) and a.lower() == annotation.lower()), None)
    if chosen is None:
        raise invalid("InvalidRequestContent", f"{where}.annotationType of {kind} media must be one of "
                      f"{', '.join(annotations)}.", f"{where}.annotationType")
    return {"mediaType": kind, "annotationType": chosen}


def _ml_assist(value: object) -> dict[str, Any]:
    where = "properties.mlAssistConfiguration"
    if value is None:
        return {"mlAssist": "Disabled"}
    state = _switch(value.get("mlAssist") if isinstance(value, dict) else None, f"{where}.mlAssist")
    if state == "Enabled":
        raise invalid("MLAssistNotSupported", "ML-assisted labeling trains models on the labels people give, and "
                      "amlite has no labeling interface to give them; set mlAssist to 'Disabled'.",
                      f"{where}.mlAssist")
    return {"mlAssist": state}
