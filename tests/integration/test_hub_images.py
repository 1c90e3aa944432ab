"""Environment images of a hub's projects, through the API on both stores: a job's environment build
is named under its own project's namespace of the hub's container registry, each project builds its
own and lists only its own, and a project cannot name another project's image, in an environment of
its own or through a registry's environment its job runs on."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import ML, Api
from tests.integration.test_hubs import _family
from tests.integration.test_jobs import wait_for

# A pip dependency the server already has: pip finds it satisfied and installs nothing, so no index is reached.
ENV = {"properties": {"image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04", "condaFile": {"dependencies": ["python", "pip", {"pip": ["pyyaml"]}]}}}


def _run(api: Api, rg: str, ws: str, job: str) -> dict[str, Any]:
    r = api.request("PUT", f"{api.ws_path(rg, ws)}/environments/deps/versions/1", ML, json=ENV)
    assert r.status_code in (200, 201), r.text
    path = f"{api.ws_path(rg, ws)}/jobs/{job}"
    r = api.request("PUT", path, ML, json={"properties": {
        "jobType": "Command", "command": "python -c \"import yaml; print('built', yaml.__name__)\"",
        "environmentId": "azureml:deps:1"}})
    assert r.status_code == 201, r.text
    props: dict[str, Any] = wait_for(api, path, ("Completed", "Failed", "Canceled"))["properties"]
    log = api.request("GET", f"{path}/logs", ML).text
    assert props["status"] == "Completed", (props.get("error"), log)
    assert "built yaml" in log
    props["log"] = log
    return props


def _images(api: Api, rg: str, ws: str) -> list[dict[str, Any]]:
    r = api.request("GET", f"{api.ws_path(rg, ws)}/images", ML)
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["value"]
    return found


def test_each_project_builds_and_sees_only_its_own_images(api: Api, name: str) -> None:
    hub, alpha, beta = _family(api, name, "7")
    acr = hub["properties"]["containerRegistry"].rsplit("/", 1)[1].lower() + ".azurecr.io"
    a_id, b_id = alpha["properties"]["workspaceId"], beta["properties"]["workspaceId"]

    a_job = _run(api, name, "alpha7", "ja")
    b_job = _run(api, name, "beta7", "jb")
    a_image, b_image = a_job["environmentImage"], b_job["environmentImage"]
    digest = a_image.rsplit("azureml_", 1)[1]
    assert a_image == f"{acr}/{a_id}/azureml_{digest}" and len(digest) == 32
    assert b_image == f"{acr}/{b_id}/azureml_{digest}"  # the same content, in its own namespace
    assert a_job["properties"]["AzureML.DerivedImageName"] == f"{a_id}/azureml_{digest}"
    # Each project built its own virtualenv: B did not run on A's build.
    assert f"as {a_image}" in a_job["log"] and f"as {b_image}" in b_job["log"]

    a_seen, b_seen = _images(api, name, "alpha7"), _images(api, name, "beta7")
    assert [(i["name"], i["namespace"], i["builtByJob"]) for i in a_seen] == [(a_image, a_id, "ja")]
    assert [(i["name"], i["namespace"], i["builtByJob"]) for i in b_seen] == [(b_image, b_id, "jb")]
    assert a_seen[0]["registry"] == acr and a_seen[0]["repository"] == f"{a_id}/azureml_{digest}"
    assert _images(api, name, "hub7") == []  # the hub's namespace holds none of its projects' images

    # A project may not name another project's image of the hub's registry, by any spelling.
    before = api.snapshot()
    envs = f"{api.ws_path(name, 'alpha7')}/environments"
    for theirs in (b_image, f"{b_image}:latest", f"{acr.upper()}/{b_id}/azureml_{digest}@sha256:00",
                   f"{acr}/azureml/azureml_{digest}"):
        r = api.request("PUT", f"{envs}/theirs/versions/1", ML, json={"properties": {"image": theirs}})
        assert r.status_code == 403, r.text
        error = r.json()["error"]
        assert error["code"] == "ProjectImageIsolation" and a_id in error["message"], error
    assert api.snapshot() == before
    for fine in (a_image, f"{a_image}:latest", "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04"):
        r = api.request("PUT", f"{envs}/mine/versions/{len(fine)}", ML, json={"properties": {"image": fine}})
        assert r.status_code in (200, 201), r.text


def test_a_default_workspace_builds_under_azures_namespace_of_its_own_registry(api: Api, name: str) -> None:
    api.create_group(name)
    ws = api.create_workspace(name, "plain7")
    acr = ws["properties"]["containerRegistry"].rsplit("/", 1)[1].lower() + ".azurecr.io"
    job = _run(api, name, "plain7", "jp")
    digest = job["environmentImage"].rsplit("azureml_", 1)[1]
    assert job["environmentImage"] == f"{acr}/azureml/azureml_{digest}"
    assert job["properties"]["AzureML.DerivedImageName"] == f"azureml/azureml_{digest}"
    assert [i["name"] for i in _images(api, name, "plain7")] == [job["environmentImage"]]
    # A Default workspace's registry is its own: naming any image in it is its own business.
    r = api.request("PUT", f"{api.ws_path(name, 'plain7')}/environments/other/versions/1", ML,
                    json={"properties": {"image": f"{acr}/somewhere/else:1"}})
    assert r.status_code in (200, 201), r.text


def test_a_project_job_cannot_run_on_another_projects_image_named_by_a_registry_environment(
        api: Api, name: str) -> None:
    from tests.integration.test_registry_assets import make_registry, reg_path

    hub, alpha, beta = _family(api, name, "r")
    acr = hub["properties"]["containerRegistry"].rsplit("/", 1)[1].lower() + ".azurecr.io"
    b_image = f"{acr}/{beta['properties']['workspaceId']}/azureml_{'0' * 32}"
    make_registry(api, name, f"reg{name}", ["eastus"])
    # A registry is no project's: an environment there may name any image.
    r = api.request("PUT", f"{reg_path(api, name, f'reg{name}')}/environments/borrowed/versions/1", ML,
                    json={"properties": {"image": b_image}})
    assert r.status_code in (200, 201), r.text
    job = {"properties": {"jobType": "Command", "command": "echo hi",
                          "environmentId": f"azureml://registries/reg{name}/environments/borrowed/versions/1"}}
    before = api.snapshot()
    r = api.request("PUT", f"{api.ws_path(name, 'alphar')}/jobs/borrow", ML, json=job)
    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == "ProjectImageIsolation"
    assert r.json()["error"]["target"] == "properties.environmentId.image"
    assert api.snapshot() == before
    # The project whose namespace it is may use it.
    path = f"{api.ws_path(name, 'betar')}/jobs/own"
    r = api.request("PUT", path, ML, json=job)
    assert r.status_code == 201, r.text
    assert wait_for(api, path, ("Completed", "Failed", "Canceled"))["properties"]["status"] == "Completed"
