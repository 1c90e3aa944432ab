"""azure-ai-ml 1.35.2, unmodified and through its public API only, against a real amlite server
over TLS (its self-signed CA in ``REQUESTS_CA_BUNDLE``). MLClient finds every endpoint from
amlite's cloud metadata; uploads go to the storage accounts amlite serves
(``https://{account}.blob.core.localhost:{port}``).

``{account}.blob.core.localhost`` does not resolve on this machine (glibc's resolver maps only
``localhost`` itself, and ``/etc/hosts`` cannot hold a wildcard), so the test process resolves
names under ``.blob.core.localhost`` to 127.0.0.1 itself, as a hosts line would; nothing leaves
loopback."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import ssl
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken

from tests.e2e.conftest import ServerProcess, start_server

pytest.importorskip("azure.ai.ml")
from azure.ai.ml import MLClient, load_registry  # noqa: E402
from azure.ai.ml.entities import Data, Environment, Model  # noqa: E402

SUFFIX = ".blob.core.localhost"
ML = "api-version=2024-10-01"


@pytest.fixture(scope="module", autouse=True)
def blob_hosts_resolve_to_loopback() -> Iterator[None]:
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.lower().endswith(SUFFIX):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    socket.getaddrinfo = resolve  # type: ignore[assignment]
    yield
    socket.getaddrinfo = real  # type: ignore[assignment]


class AmliteToken:
    """A TokenCredential (azure-core's protocol) that signs in at amlite's OAuth2 token endpoint."""

    def __init__(self, server: ServerProcess, context: ssl.SSLContext) -> None:
        self.server, self.context = server, context

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        creds = self.server.credentials
        form = f"grant_type=password&username={creds['username']}&password={creds['password']}".encode()
        request = urllib.request.Request(f"{self.server.endpoint}/{creds['tenantId']}/oauth2/v2.0/token", data=form,
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(request, context=self.context) as answer:  # noqa: S310 - loopback
            body = json.loads(answer.read())
        return AccessToken(body["access_token"], int(time.time()) + int(body["expires_in"]))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = start_server(tmp_path_factory.mktemp("amlite-aiml") / "data", tls=True)
    old = os.environ.get("REQUESTS_CA_BUNDLE")
    os.environ["REQUESTS_CA_BUNDLE"] = str(srv.ca_file)
    yield srv
    srv.stop()
    if old is None:
        os.environ.pop("REQUESTS_CA_BUNDLE", None)
    else:
        os.environ["REQUESTS_CA_BUNDLE"] = old


@pytest.fixture(scope="module")
def ctx(server: ServerProcess) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(server.ca_file))


@pytest.fixture(scope="module")
def credential(server: ServerProcess, ctx: ssl.SSLContext) -> AmliteToken:
    return AmliteToken(server, ctx)


def arm(server: ServerProcess, ctx: ssl.SSLContext, cred: AmliteToken, method: str, path: str,
        body: Any = None) -> Any:
    """amlite's own API, for setting up and for checking what azure-ai-ml did."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{server.endpoint}{path}", data=data, method=method, headers={
        "Authorization": f"Bearer {cred.get_token().token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, context=ctx) as answer:  # noqa: S310 - loopback
        raw = answer.read()
    return json.loads(raw) if raw and raw[:1] in b"{[" else raw


def cloud(server: ServerProcess) -> dict[str, str]:
    """What MLClient's ``cloud_metadata`` needs, read from amlite's ARM cloud-metadata document."""
    with urllib.request.urlopen(f"{server.endpoint}/metadata/endpoints?api-version=2022-09-01",  # noqa: S310
                                context=ssl.create_default_context(cafile=str(server.ca_file))) as answer:
        meta = json.loads(answer.read())
    return {"azure_portal": meta["portal"], "resource_manager": meta["resourceManager"],
            "active_directory": meta["authentication"]["loginEndpoint"], "aml_resource_id": meta["resourceManager"],
            "storage_endpoint": meta["suffixes"]["storage"], "registry_discovery_endpoint": meta["resourceManager"]}


@pytest.fixture(scope="module")
def setup(server: ServerProcess, ctx: ssl.SSLContext, credential: AmliteToken) -> dict[str, str]:
    sub = server.credentials["subscriptionId"]
    arm(server, ctx, credential, "PUT", f"/subscriptions/{sub}/resourceGroups/rg-aiml?api-version=2024-03-01",
        {"location": "eastus"})
    arm(server, ctx, credential, "PUT", f"/subscriptions/{sub}/resourceGroups/rg-aiml/providers/"
        f"Microsoft.MachineLearningServices/workspaces/ws-aiml?{ML}", {"location": "eastus"})
    return {"sub": sub, "rg": "rg-aiml", "ws": "ws-aiml"}


def ml_client(server: ServerProcess, credential: AmliteToken, setup: dict[str, str], **kwargs: Any) -> MLClient:
    scope = {"workspace_name": setup["ws"]} if "registry_name" not in kwargs else {}
    return MLClient(credential, setup["sub"], setup["rg"], cloud="amlite", cloud_metadata=cloud(server), **scope,
                    **kwargs)


def test_workspaces_get_and_list(server: ServerProcess, credential: AmliteToken, setup: dict[str, str]) -> None:
    client = ml_client(server, credential, setup)
    ws = client.workspaces.get(setup["ws"])
    assert ws.name == setup["ws"] and ws.location == "eastus"
    assert setup["ws"] in [w.name for w in client.workspaces.list()]


def test_model_in_a_workspace_uploads_its_file_and_archives(server: ServerProcess, ctx: ssl.SSLContext,
                                                           credential: AmliteToken, setup: dict[str, str],
                                                           tmp_path: Path) -> None:
    client = ml_client(server, credential, setup)
    weights = tmp_path / "model.pkl"
    weights.write_bytes(b"weights of a real model " * 100)
    created = client.models.create_or_update(Model(name="aiml-model", version="1", path=str(weights),
                                                   type="custom_model"))
    assert created.version == "1"
    got = client.models.get("aiml-model", "1")
    assert got.path and "LocalUpload" in str(got.path)
    assert "aiml-model" in [m.name for m in client.models.list()]
    # amlite's own API holds the same bytes, as an ordinary version's artifact
    path = (f"/subscriptions/{setup['sub']}/resourceGroups/{setup['rg']}/providers/"
            f"Microsoft.MachineLearningServices/workspaces/{setup['ws']}")
    version = arm(server, ctx, credential, "GET", f"{path}/models/aiml-model/versions/1?{ML}")
    (entry,) = version["properties"]["artifacts"]
    assert entry["sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    blob = arm(server, ctx, credential, "GET", f"{path}/artifacts/blobs/{entry['sha256']}?{ML}")
    assert blob == weights.read_bytes()
    client.models.archive("aiml-model", "1")
    assert arm(server, ctx, credential, "GET", f"{path}/models/aiml-model/versions/1?{ML}")["properties"]["isArchived"]


def test_environment_and_data_in_a_workspace(server: ServerProcess, credential: AmliteToken, setup: dict[str, str],
                                             tmp_path: Path) -> None:
    client = ml_client(server, credential, setup)
    env = client.environments.create_or_update(Environment(name="aiml-env", version="1",
                                                           image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04"))
    assert env.version == "1"
    assert client.environments.get("aiml-env", "1").image.startswith("mcr.microsoft.com/")
    csv = tmp_path / "rows.csv"
    csv.write_text("a,b\n1,2\n")
    data = client.data.create_or_update(Data(name="aiml-data", version="1", path=str(csv), type="uri_file"))
    assert data.version == "1"
    assert client.data.get("aiml-data", "1").path
    client.data.archive("aiml-data", "1")
    client.environments.archive("aiml-env", "1")


def test_registry_from_yaml_model_create_and_share(server: ServerProcess, ctx: ssl.SSLContext,
                                                  credential: AmliteToken, setup: dict[str, str],
                                                  tmp_path: Path) -> None:
    client = ml_client(server, credential, setup)
    spec = tmp_path / "registry.yml"
    spec.write_text("name: aimlreg\nlocation: eastus\nreplication_locations:\n  - location: eastus\n"
                    "  - location: westus\n")
    registry = client.registries.begin_create(load_registry(str(spec))).result()
    assert registry.name == "aimlreg"
    reg_client = ml_client(server, credential, setup, registry_name="aimlreg")
    weights = tmp_path / "reg.bin"
    weights.write_bytes(b"registry weights")
    made = reg_client.models.create_or_update(Model(name="reg-model", version="1", path=str(weights)))
    assert made.version == "1"
    assert reg_client.models.get("reg-model", "1").version == "1"
    shared_from = tmp_path / "share.bin"
    shared_from.write_bytes(b"to be shared")
    client.models.create_or_update(Model(name="to-share", version="1", path=str(shared_from)))
    shared = client.models.share("to-share", "1", share_with_name="shared", share_with_version="1",
                                 registry_name="aimlreg")
    assert shared.version == "1"
    reg = f"/subscriptions/{setup['sub']}/resourceGroups/{setup['rg']}/providers/Microsoft.MachineLearningServices/registries/aimlreg"
    copy = arm(server, ctx, credential, "GET", f"{reg}/models/shared/versions/1?{ML}")
    assert copy["properties"]["artifacts"][0]["sha256"] == hashlib.sha256(b"to be shared").hexdigest()
