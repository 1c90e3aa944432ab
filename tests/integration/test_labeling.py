"""A workspace's labeling projects through the API, on both stores: create, replace, read, list,
pause, resume, delete; the body's checks (its data must be a data asset of the workspace); the
refused label export; the activity log."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import ML, Api


def project_body(data_id: str, **changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "jobType": "Labeling", "description": "pets",
        "dataConfiguration": {"dataId": data_id},
        "labelCategories": {"species": {"displayName": "Species", "multiSelect": "Disabled",
                                        "classes": {"cat": {"displayName": "Cat"}, "dog": {"displayName": "Dog"}}}},
        "labelingJobMediaProperties": {"mediaType": "Image", "annotationType": "Classification"},
        "mlAssistConfiguration": {"mlAssist": "Disabled"},
    }
    props.update(changes)
    return {"properties": props}


def put_data(api: Api, ws: str, name: str, version: str = "1") -> str:
    r = api.request("PUT", f"{ws}/data/{name}/versions/{version}", ML,
                    json={"properties": {"dataType": "uri_folder", "dataUri": "https://example.org/images/"}})
    assert r.status_code in (200, 201), r.text
    return str(r.json()["id"])


def test_a_labeling_project_is_created_paused_resumed_and_deleted(api: Api, name: str) -> None:
    rg = f"{name}-rg"
    api.create_group(rg)
    api.create_workspace(rg, "ws1")
    ws = api.ws_path(rg, "ws1")
    data_arm_id = put_data(api, ws, "images")
    lp = f"{ws}/labelingJobs/pets"

    created = api.request("PUT", lp, ML, json=project_body("azureml:images:1"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"] == lp and body["type"] == "Microsoft.MachineLearningServices/workspaces/labelingJobs"
    props = body["properties"]
    assert (props["jobType"], props["status"], props["provisioningState"]) == ("Labeling", "Running", "Succeeded")
    assert props["labelCategories"]["species"]["classes"] == {"cat": {"displayName": "Cat"}, "dog": {"displayName": "Dog"}}
    assert props["progressMetrics"] == {"completedDatapointCount": 0, "skippedDatapointCount": 0}
    project_id = props["projectId"]

    # Azure's own form of dataId, the data version's bare ARM id; a replace keeps the project's id.
    replaced = api.request("PUT", lp, ML, json=project_body(data_arm_id, description="pets, again"))
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["properties"]["projectId"] == project_id
    assert replaced.json()["properties"]["description"] == "pets, again"

    paused = api.request("POST", f"{lp}/pause", ML)
    assert paused.status_code == 200 and paused.json()["properties"]["status"] == "Paused"
    assert api.request("GET", lp, ML).json()["properties"]["status"] == "Paused"
    assert api.request("POST", f"{lp}/pause", ML).json()["properties"]["status"] == "Paused"
    resumed = api.request("POST", f"{lp}/resume", ML)
    assert resumed.status_code == 200 and resumed.json()["properties"]["status"] == "Running"

    exported = api.request("POST", f"{lp}/exportLabels", ML, json={"format": "Coco"})
    assert exported.status_code == 409 and exported.json()["error"]["code"] == "LabelsNotAvailable"
    missing = api.request("POST", f"{ws}/labelingJobs/nope/exportLabels", ML)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "LabelingJobNotFound"
    assert api.request("POST", f"{ws}/labelingJobs/nope/pause", ML).status_code == 404

    assert [p["name"] for p in api.request("GET", f"{ws}/labelingJobs", ML).json()["value"]] == ["pets"]
    log = api.request("GET", f"/subscriptions/{api.sub}/providers/Microsoft.Insights/eventtypes/management/values",
                      "api-version=2015-04-01").json()["value"]
    written = [e["operationName"]["value"] for e in log if e["resourceId"].lower() == lp.lower()]
    assert "Microsoft.MachineLearningServices/workspaces/labeling/projects/write" in written, written

    assert api.request("DELETE", lp, ML).status_code == 200
    assert api.request("DELETE", lp, ML).status_code == 204
    gone = api.request("GET", lp, ML)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "LabelingJobNotFound"


def test_a_project_labels_only_data_of_its_workspace_and_bad_bodies_change_nothing(api: Api, name: str) -> None:
    rg = f"{name}-rg"
    api.create_group(rg)
    api.create_workspace(rg, "ws1")
    api.create_workspace(rg, "other")
    ws, other = api.ws_path(rg, "ws1"), api.ws_path(rg, "other")
    put_data(api, ws, "images")
    elsewhere = put_data(api, other, "images")
    before = api.snapshot()
    for body, code, target in (
            (project_body("azureml:images:2"), "AssetReferenceNotFound", "properties.dataConfiguration.dataId"),
            (project_body("azureml:absent:1"), "AssetReferenceNotFound", "properties.dataConfiguration.dataId"),
            (project_body(elsewhere), "LabelingDataNotInWorkspace", "properties.dataConfiguration.dataId"),
            (project_body("azureml://registries/shared/data/images/versions/1"), "LabelingDataNotInWorkspace",
             "properties.dataConfiguration.dataId"),
            (project_body("azureml:images:1", labelCategories={}), "InvalidRequestContent", "properties.labelCategories"),
            (project_body("azureml:images:1", mlAssistConfiguration={"mlAssist": "Enabled"}), "MLAssistNotSupported",
             "properties.mlAssistConfiguration.mlAssist"),
            (project_body("azureml:images:1", jobType="Command"), "InvalidRequestContent", "properties.jobType")):
        r = api.request("PUT", f"{ws}/labelingJobs/pets", ML, json=body)
        assert r.status_code == 400, r.text
        assert (r.json()["error"]["code"], r.json()["error"].get("target")) == (code, target), r.text
    assert api.snapshot() == before
    assert api.request("GET", f"{ws}/labelingJobs", ML).json()["value"] == []
    assert api.request("PUT", f"{api.ws_path(rg, 'absent')}/labelingJobs/pets", ML,
                       json=project_body("azureml:images:1")).status_code == 404
