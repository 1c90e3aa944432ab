"""``ml_client.online_endpoints`` and ``ml_client.online_deployments``, as azure-ai-ml's.

Creating a deployment first registers what it names inline (a local model path becomes a model
version, an inline environment an environment version, as azure-ai-ml registers anonymous
assets) and uploads its code folder to the workspace's storage; the deployment then carries the
code's manifest (``codeConfiguration.artifacts``). ``begin_create_or_update(...).result()``
returns once the deployment's ``init()`` ran, and raises the deployment's failure otherwise;
``get_logs`` shows what its scoring process printed.

``invoke`` sends the request file to the endpoint's scoring URI with the endpoint's key (``Key``
endpoints) or a token from the endpoint's ``token`` action.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from amlite.sdk._constants import ML_API_VERSION
from amlite.sdk._pipeline import HttpPipeline, ItemPaged, quote
from amlite.sdk.endpoint_entities import (
    EndpointAuthKeys,
    EndpointAuthToken,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
)
from amlite.sdk.asset_entities import Environment, Model
from amlite.sdk.errors import ValidationException, error_from_response
from amlite.sdk.polling import LROPoller

if TYPE_CHECKING:
    from amlite.sdk.ml_client import MLClient

__all__ = ["OnlineDeploymentOperations", "OnlineEndpointOperations"]

DEPLOYMENT_HEADER = "azureml-model-deployment"


class _WorkspaceOperations:
    def __init__(self, pipeline: HttpPipeline, client: MLClient, polling_interval: float = 1.0) -> None:
        self._pipeline = pipeline
        self._client = client
        self._interval = polling_interval

    def _endpoint_url(self, name: str) -> str:
        c = self._client
        if not (c.subscription_id and c.resource_group_name and c.workspace_name):
            raise ValidationException("Online endpoints need a workspace: give MLClient subscription_id, "
                                      "resource_group_name and workspace_name.", code="WorkspaceRequired")
        return (f"/subscriptions/{quote(c.subscription_id)}/resourceGroups/{quote(c.resource_group_name)}/providers/"
                f"Microsoft.MachineLearningServices/workspaces/{quote(c.workspace_name)}/onlineEndpoints"
                + (f"/{quote(name)}" if name else ""))


class OnlineEndpointOperations(_WorkspaceOperations):
    def begin_create_or_update(self, endpoint: ManagedOnlineEndpoint, **kwargs: Any) -> LROPoller[ManagedOnlineEndpoint]:
        url = self._endpoint_url(endpoint.name)
        response = self._pipeline.send("PUT", url, api_version=ML_API_VERSION, json=endpoint._to_rest())
        return LROPoller(self._pipeline, response, lambda r: ManagedOnlineEndpoint._from_rest(r.json() if r else {}),
                         api_version=ML_API_VERSION, final_url=self._pipeline.url(url), polling_interval=self._interval)

    def get(self, name: str, **kwargs: Any) -> ManagedOnlineEndpoint:
        return ManagedOnlineEndpoint._from_rest(self._pipeline.get_json(self._endpoint_url(name), api_version=ML_API_VERSION))

    def list(self, **kwargs: Any) -> ItemPaged[ManagedOnlineEndpoint]:
        return self._pipeline.paged(self._endpoint_url(""), api_version=ML_API_VERSION,
                                    factory=ManagedOnlineEndpoint._from_rest)

    def begin_delete(self, name: str, **kwargs: Any) -> LROPoller[None]:
        response = self._pipeline.send("DELETE", self._endpoint_url(name), api_version=ML_API_VERSION)
        return LROPoller(self._pipeline, response, lambda _r: None, api_version=ML_API_VERSION,
                         polling_interval=self._interval)

    def get_keys(self, name: str, **kwargs: Any) -> EndpointAuthKeys | EndpointAuthToken:
        """The endpoint's keys (``Key`` endpoints) or an access token (token endpoints)."""
        endpoint = self.get(name)
        if endpoint.auth_mode == "key":
            body = self._pipeline.send("POST", f"{self._endpoint_url(name)}/listKeys", api_version=ML_API_VERSION).json()
            return EndpointAuthKeys(body.get("primaryKey"), body.get("secondaryKey"))
        body = self._pipeline.send("POST", f"{self._endpoint_url(name)}/token", api_version=ML_API_VERSION).json()
        return EndpointAuthToken(str(body["accessToken"]), int(body["expiryTimeUtc"]), int(body["refreshAfterTimeUtc"]),
                                 str(body.get("tokenType") or "Bearer"))

    def regenerate_keys(self, name: str, *, key_type: str = "primary", **kwargs: Any) -> EndpointAuthKeys:
        if key_type.lower() not in ("primary", "secondary"):
            raise ValidationException("key_type must be 'primary' or 'secondary'.", code="InvalidArguments")
        body = self._pipeline.send("POST", f"{self._endpoint_url(name)}/regenerateKeys", api_version=ML_API_VERSION,
                                   json={"keyType": key_type.capitalize()}).json()
        return EndpointAuthKeys(body.get("primaryKey"), body.get("secondaryKey"))

    def invoke(self, endpoint_name: str, *, request_file: str | None = None, deployment_name: str | None = None,
               **kwargs: Any) -> str:
        """POST the request file's content to the endpoint's scoring URI; the answer's text."""
        if request_file is None:
            raise ValidationException("invoke needs a request_file.", code="InvalidArguments")
        path = Path(request_file)
        if not path.is_file():
            raise ValidationException(f"request_file: the local path '{path}' does not exist.", code="LocalPathNotFound")
        endpoint = self.get(endpoint_name)
        credential = self.get_keys(endpoint_name)
        secret = credential.primary_key if isinstance(credential, EndpointAuthKeys) else credential.access_token
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        if deployment_name:
            headers[DEPLOYMENT_HEADER] = deployment_name
        response = self._pipeline.send_raw("POST", str(endpoint.scoring_uri), content=path.read_bytes(), headers=headers)
        if response.status_code >= 400:
            raise error_from_response(response)
        return response.text


class OnlineDeploymentOperations(_WorkspaceOperations):
    def _url(self, endpoint_name: str, name: str = "") -> str:
        return f"{self._endpoint_url(endpoint_name)}/deployments" + (f"/{quote(name)}" if name else "")

    def begin_create_or_update(self, deployment: ManagedOnlineDeployment, **kwargs: Any) -> LROPoller[ManagedOnlineDeployment]:
        if not deployment.endpoint_name:
            raise ValidationException("A deployment needs its endpoint_name.", code="InvalidArguments")
        body = self._to_rest(deployment)
        url = self._url(deployment.endpoint_name, deployment.name)
        response = self._pipeline.send("PUT", url, api_version=ML_API_VERSION, json=body)
        endpoint = deployment.endpoint_name
        return LROPoller(self._pipeline, response,
                         lambda r: ManagedOnlineDeployment._from_rest(r.json() if r else {}, endpoint),
                         api_version=ML_API_VERSION, final_url=self._pipeline.url(url), polling_interval=self._interval)

    def _to_rest(self, d: ManagedOnlineDeployment) -> dict[str, Any]:
        from amlite.sdk import artifacts

        if d.instance_count != 1:
            raise ValidationException("instance_count must be 1: a deployment runs as one local process.",
                                      code="InvalidArguments")
        model = d.model
        if isinstance(model, Model):
            model = self._model_id(self._client.models.create_or_update(model))
        environment = d.environment
        if isinstance(environment, Environment):
            environment = self._env_id(self._client.environments.create_or_update(environment))
        code = d.code_configuration
        if code is None or not code.code or not code.scoring_script:
            raise ValidationException("A deployment needs code_configuration with code and scoring_script.",
                                      code="InvalidArguments")
        folder = Path(code.code)
        if not folder.is_dir():
            raise ValidationException(f"code_configuration.code: the local path '{folder}' is not a folder.",
                                      code="LocalPathNotFound")
        workspace = self._endpoint_url("").rsplit("/onlineEndpoints", 1)[0]
        manifest = [e.to_dict() for e in artifacts.upload_tree(self._pipeline, workspace, folder)]
        props: dict[str, Any] = {
            "endpointComputeType": "Managed", "model": model, "environmentId": environment,
            "codeConfiguration": {"scoringScript": code.scoring_script.replace("\\", "/"), "artifacts": manifest},
            "environmentVariables": d.environment_variables, "instanceType": d.instance_type,
            "description": d.description, "properties": d.properties,
        }
        return {"tags": d.tags, "sku": {"name": "Default", "capacity": d.instance_count},
                "properties": {k: v for k, v in props.items() if v is not None}}

    @staticmethod
    def _model_id(model: Model) -> str:
        return f"azureml:{model.name}:{model.version}"

    @staticmethod
    def _env_id(env: Environment) -> str:
        return f"azureml:{env.name}:{env.version}"

    def get(self, name: str, endpoint_name: str, **kwargs: Any) -> ManagedOnlineDeployment:
        body = self._pipeline.get_json(self._url(endpoint_name, name), api_version=ML_API_VERSION)
        return ManagedOnlineDeployment._from_rest(body, endpoint_name)

    def list(self, endpoint_name: str, **kwargs: Any) -> ItemPaged[ManagedOnlineDeployment]:
        return self._pipeline.paged(self._url(endpoint_name), api_version=ML_API_VERSION,
                                    factory=lambda b: ManagedOnlineDeployment._from_rest(b, endpoint_name))

    def begin_delete(self, name: str, endpoint_name: str, **kwargs: Any) -> LROPoller[None]:
        response = self._pipeline.send("DELETE", self._url(endpoint_name, name), api_version=ML_API_VERSION)
        return LROPoller(self._pipeline, response, lambda _r: None, api_version=ML_API_VERSION,
                         polling_interval=self._interval)

    def get_logs(self, name: str, endpoint_name: str, lines: int = 5000, container_type: str | None = None,
                 **kwargs: Any) -> str:
        body: dict[str, Any] = {"tail": lines}
        if container_type:
            body["containerType"] = container_type
        answer = self._pipeline.send("POST", f"{self._url(endpoint_name, name)}/getLogs", api_version=ML_API_VERSION,
                                     json=body).json()
        return str(answer.get("content") or "")
