"""The environment images a workspace sees in its container registry: ``GET {ws}/images``
(amlite's route; Azure lists a registry's repositories through the registry itself, and the
project's namespace is what a project's identity may read there). Each item is an image built for
the workspace's environments, in Azure's naming (``<registry>/<namespace>/azureml_<hash>``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from amlite.api import render
from amlite.api.deps import ML_VERSION, Authorize, container, ws_scope
from amlite.api.render import ts
from amlite.services.context import Caller
from amlite.services.images import BuiltImage

router = APIRouter()
V = [Depends(ML_VERSION)]
WS = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
READ = Authorize("Microsoft.MachineLearningServices/workspaces/environments/read", ws_scope, in_use_case=True)


@router.get(WS + "/images", dependencies=V)
def list_images(subscription_id: str, resource_group: str, workspace: str, request: Request,
                caller: Caller = Depends(READ)) -> Any:
    c = container(request)
    found = c.images.list_images(caller, subscription_id, resource_group, workspace)
    return render.json({"value": [_image(i) for i in found]})


def _image(image: BuiltImage) -> dict[str, Any]:
    return {"name": image.name, "registry": image.registry, "repository": image.repository,
            "namespace": image.namespace, "environmentId": image.environment_id, "builtByJob": image.built_by_job,
            "builtAt": ts(image.built_at)}
