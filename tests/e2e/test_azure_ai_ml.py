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
from azure.ai.ml import MLClient, load_component, load_registry  # noqa: E402
from azure.ai.ml.entities import BuildContext, Data, Environment, Model  # noqa: E402

SUFFIX = ".blob.core.localhost"
ML = "api-version=2024-10-01"
CLOUD = "amlite-local"
REGISTRY = "aimlreg"
IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04"


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
    return MLClient(credential, setup["sub"], setup["rg"], cloud=CLOUD, cloud_metadata=cloud(server), **scope,
                    **kwargs)


def ws_path(setup: dict[str, str]) -> str:
    return (f"/subscriptions/{setup['sub']}/resourceGroups/{setup['rg']}/providers/"
            f"Microsoft.MachineLearningServices/workspaces/{setup['ws']}")


def reg_path(setup: dict[str, str], registry: str = REGISTRY) -> str:
    return (f"/subscriptions/{setup['sub']}/resourceGroups/{setup['rg']}/providers/"
            f"Microsoft.MachineLearningServices/registries/{registry}")


def stored_files(server: ServerProcess, ctx: ssl.SSLContext, cred: AmliteToken, owner: str, kind: str, name: str,
                 version: str) -> dict[str, bytes]:
    """The files of a version as amlite's own API serves them (its manifest, then each blob), by path."""
    found = arm(server, ctx, cred, "GET", f"{owner}/{kind}/{name}/versions/{version}?{ML}")
    return {e["path"]: arm(server, ctx, cred, "GET", f"{owner}/artifacts/blobs/{e['sha256']}?{ML}")
            for e in found["properties"].get("artifacts", [])}


def is_archived(server: ServerProcess, ctx: ssl.SSLContext, cred: AmliteToken, owner: str, kind: str, name: str,
                version: str) -> bool:
    return bool(arm(server, ctx, cred, "GET", f"{owner}/{kind}/{name}/versions/{version}?{ML}")["properties"]["isArchived"])


def component_folder(tmp_path: Path, name: str, environment: str) -> tuple[Path, dict[str, bytes]]:
    """A command component's YAML with a code folder of two files; returns the YAML and the files."""
    src = tmp_path / f"{name}-src"
    (src / "lib").mkdir(parents=True)
    files = {"train.py": f"print('training {name}')\n".encode(), "lib/util.py": b"ANSWER = 42\n"}
    for rel, data in files.items():
        (src / rel).write_bytes(data)
    spec = tmp_path / f"{name}.yml"
    spec.write_text(f"name: {name}\nversion: '1'\ntype: command\ncode: ./{src.name}\nenvironment: {environment}\n"
                    "inputs:\n  epochs: {type: integer, default: 3}\n"
                    "command: python train.py --epochs ${{inputs.epochs}}\n")
    return spec, files


def build_context(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    ctx_dir = tmp_path / "docker-context"
    ctx_dir.mkdir()
    files = {"Dockerfile": b"FROM mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04\nCOPY requirements.txt .\n",
             "requirements.txt": b"scikit-learn==1.5.0\n"}
    for rel, data in files.items():
        (ctx_dir / rel).write_bytes(data)
    return ctx_dir, files


def test_workspaces_get_and_list(server: ServerProcess, credential: AmliteToken, setup: dict[str, str]) -> None:
    client = ml_client(server, credential, setup)
    ws = client.workspaces.get(setup["ws"])
    assert ws.name == setup["ws"] and ws.location == "eastus"
    assert setup["ws"] in [w.name for w in client.workspaces.list()]


def test_model_in_a_workspace_uploads_its_file_downloads_and_archives(
        server: ServerProcess, ctx: ssl.SSLContext, credential: AmliteToken, setup: dict[str, str],
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
    assert [m.version for m in client.models.list(name="aiml-model")] == ["1"]
    # amlite's own API holds the same bytes, as an ordinary version's artifact
    assert stored_files(server, ctx, credential, ws_path(setup), "models", "aiml-model", "1") == {
        "model.pkl": weights.read_bytes()}
    # and azure-ai-ml downloads them back through the blob endpoint
    client.models.download("aiml-model", "1", download_path=str(tmp_path / "down"))
    assert (tmp_path / "down" / "aiml-model" / "model.pkl").read_bytes() == weights.read_bytes()
    client.models.archive("aiml-model", "1")
    assert is_archived(server, ctx, credential, ws_path(setup), "models", "aiml-model", "1")
    assert "aiml-model" not in [m.name for m in client.models.list(name="aiml-model")]


def test_environments_data_and_components_in_a_workspace(server: ServerProcess, ctx: ssl.SSLContext,
                                                         credential: AmliteToken, setup: dict[str, str],
                                                         tmp_path: Path) -> None:
    client, ws = ml_client(server, credential, setup), ws_path(setup)
    env = client.environments.create_or_update(Environment(name="aiml-env", version="1", image=IMAGE))
    assert env.version == "1" and client.environments.get("aiml-env", "1").image == IMAGE
    context_dir, context_files = build_context(tmp_path)
    built = client.environments.create_or_update(Environment(name="aiml-built", version="1",
                                                             build=BuildContext(path=str(context_dir))))
    assert built.build is not None
    assert stored_files(server, ctx, credential, ws, "environments", "aiml-built", "1") == context_files
    assert {"aiml-env", "aiml-built"} <= {e.name for e in client.environments.list()}

    csv = tmp_path / "rows.csv"
    csv.write_text("a,b\n1,2\n")
    data = client.data.create_or_update(Data(name="aiml-data", version="1", path=str(csv), type="uri_file"))
    assert data.version == "1" and client.data.get("aiml-data", "1").path
    assert stored_files(server, ctx, credential, ws, "data", "aiml-data", "1") == {"rows.csv": csv.read_bytes()}
    assert "aiml-data" in [d.name for d in client.data.list()]

    spec, code_files = component_folder(tmp_path, "aiml_train", "azureml:aiml-env:1")
    component = client.components.create_or_update(load_component(str(spec)))
    assert component.version == "1"
    got = client.components.get("aiml_train", "1")
    assert got.command.startswith("python train.py") and "codes/" in str(got.code)
    assert "aiml_train" in [c.name for c in client.components.list()]
    code = arm(server, ctx, credential, "GET", f"{ws}/components/aiml_train/versions/1?{ML}")
    code_ref = code["properties"]["componentSpec"]["code"]
    code_name, code_version = code_ref.split("/codes/")[1].split("/versions/")
    assert stored_files(server, ctx, credential, ws, "codes", code_name, code_version) == code_files
    # the same folder again is found by its hash, not uploaded twice
    again = client.components.create_or_update(load_component(str(spec)), version="2")
    assert again.version == "2" and str(again.code) == str(got.code)

    client.environments.archive("aiml-env", "1")
    client.data.archive("aiml-data", "1")
    client.components.archive("aiml_train", "2")
    assert is_archived(server, ctx, credential, ws, "environments", "aiml-env", "1")
    assert is_archived(server, ctx, credential, ws, "data", "aiml-data", "1")
    assert is_archived(server, ctx, credential, ws, "components", "aiml_train", "2")
    assert not is_archived(server, ctx, credential, ws, "components", "aiml_train", "1")


def test_registry_from_yaml_its_assets_and_share(server: ServerProcess, ctx: ssl.SSLContext, credential: AmliteToken,
                                                 setup: dict[str, str], tmp_path: Path) -> None:
    client = ml_client(server, credential, setup)
    spec = tmp_path / "registry.yml"
    spec.write_text(f"name: {REGISTRY}\nlocation: eastus\nreplication_locations:\n  - location: eastus\n"
                    "  - location: westus\n")
    registry = client.registries.begin_create(load_registry(str(spec))).result()
    assert registry.name == REGISTRY
    assert {r.location for r in registry.replication_locations} == {"eastus", "westus"}
    assert REGISTRY in [r.name for r in client.registries.list()]
    reg, reg_client = reg_path(setup), ml_client(server, credential, setup, registry_name=REGISTRY)

    weights = tmp_path / "reg.bin"
    weights.write_bytes(b"registry weights")
    made = reg_client.models.create_or_update(Model(name="reg-model", version="1", path=str(weights)))
    assert made.version == "1" and made.id == f"azureml://registries/{REGISTRY}/models/reg-model/versions/1"
    assert reg_client.models.get("reg-model", "1").version == "1"
    assert "reg-model" in [m.name for m in reg_client.models.list()]
    assert stored_files(server, ctx, credential, reg, "models", "reg-model", "1") == {"reg.bin": weights.read_bytes()}

    env = reg_client.environments.create_or_update(Environment(name="reg-env", version="1", image=IMAGE))
    assert env.version == "1" and reg_client.environments.get("reg-env", "1").image == IMAGE
    csv = tmp_path / "reg.csv"
    csv.write_text("x\n1\n")
    reg_client.data.create_or_update(Data(name="reg-data", version="1", path=str(csv), type="uri_file"))
    assert reg_client.data.get("reg-data", "1").version == "1"
    assert stored_files(server, ctx, credential, reg, "data", "reg-data", "1") == {"reg.csv": csv.read_bytes()}
    comp_spec, code_files = component_folder(tmp_path, "reg_train",
                                             f"azureml://registries/{REGISTRY}/environments/reg-env/versions/1")
    reg_client.components.create_or_update(load_component(str(comp_spec)))
    got = reg_client.components.get("reg_train", "1")
    assert got.version == "1" and f"registries/{REGISTRY}/codes/" in str(got.code)
    code_ref = arm(server, ctx, credential, "GET", f"{reg}/components/reg_train/versions/1?{ML}"
                   )["properties"]["componentSpec"]["code"]
    code_name, code_version = code_ref.split("/codes/")[1].split("/versions/")
    assert stored_files(server, ctx, credential, reg, "codes", code_name, code_version) == code_files
    assert "reg_train" in [c.name for c in reg_client.components.list()]

    for ops, kind, name in ((reg_client.models, "models", "reg-model"), (reg_client.environments, "environments", "reg-env"),
                            (reg_client.data, "data", "reg-data"), (reg_client.components, "components", "reg_train")):
        ops.archive(name, "1")
        assert is_archived(server, ctx, credential, reg, kind, name, "1"), kind

    shared_from = tmp_path / "share.bin"
    shared_from.write_bytes(b"to be shared")
    client.models.create_or_update(Model(name="to-share", version="1", path=str(shared_from)))
    shared = client.models.share("to-share", "1", share_with_name="shared", share_with_version="1",
                                 registry_name=REGISTRY)
    assert shared.version == "1"
    assert stored_files(server, ctx, credential, reg, "models", "shared", "1") == {"share.bin": b"to be shared"}


def test_arm_cloud_metadata_url_finds_every_endpoint(server: ServerProcess, ctx: ssl.SSLContext,
                                                      credential: AmliteToken, setup: dict[str, str],
                                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``cloud_metadata``: azure-ai-ml reads amlite's cloud from ``ARM_CLOUD_METADATA_URL`` (and
    sets ``AZUREML_CURRENT_CLOUD`` in the process, removed again here)."""
    monkeypatch.setenv("ARM_CLOUD_METADATA_URL", f"{server.endpoint}/metadata/endpoints?api-version=2019-05-01")
    monkeypatch.setenv("REGISTRY_DISCOVERY_ENDPOINT_URL", f"{server.endpoint}/")
    monkeypatch.delenv("AZUREML_CURRENT_CLOUD", raising=False)
    client = MLClient(credential, setup["sub"], setup["rg"], setup["ws"])
    assert client.workspaces.get(setup["ws"]).name == setup["ws"]
    weights = tmp_path / "meta.bin"
    weights.write_bytes(b"found through the metadata url")
    client.models.create_or_update(Model(name="meta-model", version="1", path=str(weights)))
    assert stored_files(server, ctx, credential, ws_path(setup), "models", "meta-model", "1") == {
        "meta.bin": weights.read_bytes()}
    reg_client = MLClient(credential, setup["sub"], setup["rg"], registry_name=REGISTRY)
    assert "reg-model" in [m.name for m in reg_client.models.list(list_view_type="All")]


def test_connections_created_read_and_deleted_by_azure_ai_ml(server: ServerProcess, ctx: ssl.SSLContext,
                                                             credential: AmliteToken, setup: dict[str, str],
                                                             tmp_path: Path) -> None:
    """``ml_client.connections`` unmodified: the key goes in once, reads leave it out, and
    ``populate_secrets`` fetches it through ``listsecrets``."""
    from azure.ai.ml import load_connection

    client = ml_client(server, credential, setup)
    (tmp_path / "aoai.yml").write_text("name: aiml-aoai\ntype: azure_open_ai\n"
                                       "azure_endpoint: https://contoso.openai.azure.com/\n"
                                       "api_version: '2024-02-01'\napi_key: sk-aiml-secret\n")
    (tmp_path / "git.yml").write_text("name: aiml-git\ntype: git\ntarget: https://github.com/contoso/repo\n"
                                      "credentials:\n  type: pat\n  pat: ghp-aiml-secret\n")
    made = client.connections.create_or_update(load_connection(tmp_path / "aoai.yml"))
    assert (made.name, made.type, made.target) == ("aiml-aoai", "azure_open_ai", "https://contoso.openai.azure.com/")
    client.connections.create_or_update(load_connection(tmp_path / "git.yml"))
    got = client.connections.get("aiml-aoai")
    assert got.api_version == "2024-02-01" and got.credentials.key is None
    assert sorted(c.name for c in client.connections.list()) == ["aiml-aoai", "aiml-git"]
    assert [c.name for c in client.connections.list(connection_type="git")] == ["aiml-git"]
    assert client.connections.get("aiml-aoai", populate_secrets=True).credentials.key == "sk-aiml-secret"
    stored = arm(server, ctx, credential, "POST", f"{ws_path(setup)}/connections/aiml-git/listsecrets?{ML}", {})
    assert stored["properties"]["credentials"] == {"pat": "ghp-aiml-secret"}
    client.connections.delete("aiml-git")
    assert [c.name for c in client.connections.list()] == ["aiml-aoai"]
