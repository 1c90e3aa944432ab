"""Jobs to ARM JSON: Azure ML's ``JobBase`` with ``CommandJob`` properties, plus what amlite adds
(the files a run left as ``artifacts`` manifests, ``warnings``, ``error``, start and end times,
and in ``job show`` the ``metrics`` its MLflow run logged). The image a command job runs on is
Azure's job property ``AzureML.DerivedImageName`` (its repository in the workspace's registry) and
amlite's ``environmentImage`` (the full name, login server included)."""

from __future__ import annotations

from typing import Any

from amlite.api.render import system_data, ts
from amlite.domain.images import DERIVED_IMAGE_PROPERTY
from amlite.domain.jobs import output_uri
from amlite.services.jobs import JobView


def job(view: JobView, endpoint: str) -> dict[str, Any]:
    j = view.job
    wire = j.spec.to_wire()
    outputs = {}
    for name, out in wire["outputs"].items():
        outputs[name] = {**out, "uri": output_uri(j.name, name)}
        if name in j.outputs:
            outputs[name]["artifacts"] = [e.as_json() for e in j.outputs[name]]
    tracking = f"{endpoint}/mlflow/v1.0{view.workspace.arm_id}"
    props: dict[str, Any] = {
        **wire, "outputs": outputs, "codeId": None, "displayName": j.display_name, "description": j.description or None,
        "tags": dict(j.tags), "status": j.status.value, "isArchived": j.is_archived,
        "services": {"Tracking": {"jobServiceType": "Tracking", "endpoint": tracking}},
        "warnings": list(j.warnings), "logs": [e.as_json() for e in j.logs],
        "mlflowRunId": j.run_id, "startTime": ts(j.start_time), "endTime": ts(j.end_time),
    }
    if j.image:
        props["properties"] = {**props["properties"], DERIVED_IMAGE_PROPERTY: j.image.split("/", 1)[1]}
        props["environmentImage"] = j.image
    if view.metrics:  # job show: the latest value of each metric the job's MLflow run logged
        props["metrics"] = dict(view.metrics)
    if j.error_code:
        props["error"] = {"code": j.error_code, "message": j.error_message}
    return {"id": view.arm_id, "name": j.name, "type": "Microsoft.MachineLearningServices/workspaces/jobs",
            "properties": props, "systemData": system_data(j.stamp)}
