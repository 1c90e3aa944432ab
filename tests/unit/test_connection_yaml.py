"""Connection YAML against azure-ai-ml itself: the REST properties amlite sends for a file are the
ones azure-ai-ml's ``_to_rest_object()`` sends, and what ``amlite ml connection show`` prints for
the server's answer is azure-ai-ml's ``_to_dict()`` of it; plus the YAML amlite refuses offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from amlite.schemas import YamlSchemaError
from amlite.schemas.connections import connection_dict, parse_connection, rest_category_of

FILES = {
    "aoai": "name: my-aoai\ntype: azure_open_ai\nazure_endpoint: https://contoso.openai.azure.com/\n"
            "api_version: '2024-02-01'\napi_key: sk-1\n",
    "search": "name: s\ntype: azure_ai_search\nendpoint: https://s.search.windows.net\napi_key: k\n",
    "api_key": "name: a\ntype: api_key\napi_base: https://api.example.com\napi_key: k\n",
    "git": "name: g\ntype: git\ntarget: https://github.com/c/r\ncredentials:\n  type: pat\n  pat: p\n",
    "feed": "name: f\ntype: python_feed\ntarget: https://pypi.example.com/simple\n"
            "credentials:\n  type: username_password\n  username: u\n  password: p\n",
    "s3": "name: b\ntype: s3\ntarget: https://s3.amazonaws.com/b\n"
          "credentials:\n  type: access_key\n  access_key_id: A\n  secret_access_key: S\n",
    "acr": "name: r\ntype: container_registry\ntarget: c.azurecr.io\n"
           "credentials:\n  type: service_principal\n  client_id: c\n  client_secret: s\n  tenant_id: t\n",
    "blob": "name: d\ntype: azure_blob\nurl: https://acct.blob.core.windows.net/raw\naccount_name: acct\n"
            "container_name: raw\ncredentials:\n  type: sas\n  sas_token: sv=1\n",
    "custom": "name: c\ntype: custom\ntarget: https://x\nmetadata:\n  team: nlp\ncredentials:\n  type: api_key\n"
              "  key: k\n",
    "none": "name: n\ntype: git\ntarget: https://github.com/c/public\n",
}


def _azure(text: str, tmp_path: Path) -> Any:
    ml = pytest.importorskip("azure.ai.ml")
    path = tmp_path / "c.yml"
    path.write_text(text)
    return ml.load_connection(path)


def _no_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", sorted(FILES))
def test_rest_properties_and_printed_dict_match_azure_ai_ml(name: str, tmp_path: Path) -> None:
    azure = _azure(FILES[name], tmp_path)
    theirs = azure._to_rest_object().as_dict()["properties"]
    ours = parse_connection(yaml.safe_load(FILES[name])).properties
    assert ours["category"].lower() == theirs["category"].lower()  # azure-ai-ml sends "AzureOpenAi"
    assert (ours["authType"], ours["target"], ours["isSharedToAll"]) == (
        theirs["authType"], theirs["target"], theirs["isSharedToAll"])
    assert ours["metadata"] == _no_none(theirs.get("metadata") or {})
    assert ours.get("credentials", {}) == (theirs.get("credentials") or {})

    from azure.ai.ml._restclient.arm_ml_service.models import WorkspaceConnectionPropertiesV2BasicResource
    from azure.ai.ml.entities import WorkspaceConnection

    conn_id = f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/connections/{azure.name}"
    answer = {"id": conn_id, "name": azure.name, "type": "Microsoft.MachineLearningServices/workspaces/connections",
              "properties": {k: v for k, v in ours.items() if k != "credentials"}}
    expected = WorkspaceConnection._from_rest_object(
        WorkspaceConnectionPropertiesV2BasicResource(json.loads(json.dumps(answer))))._to_dict()
    # azure-ai-ml fills an Azure OpenAI connection's metadata with ``ResourceId: None`` when no
    # resource id is given; metadata values are strings on the wire, so amlite leaves the key out.
    for key in ("tags", "metadata"):
        expected[key] = _no_none(expected.get(key) or {})
    assert connection_dict(answer) == dict(expected)


def test_a_hub_connection_seen_from_a_project_is_marked() -> None:
    hub = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/hub"
    answer = {"id": f"{hub}/connections/c", "name": "c", "properties": {
        "category": "Git", "target": "t", "authType": "None", "createdByWorkspaceArmId": hub}}
    assert connection_dict(answer, hub.replace("/hub", "/proj"))["shared_from"] == hub
    assert "shared_from" not in connection_dict(answer, hub.upper())


@pytest.mark.parametrize("text, field", [
    ("type: git\ntarget: x\n", "name"),
    ("name: a\ntarget: x\n", "type"),
    ("name: a\ntype: git\n", "target"),
    ("name: a\ntype: azure_open_ai\napi_key: k\n", "azure_endpoint"),
    ("name: a\ntype: git\ntarget: x\ncredentials:\n  type: telepathy\n", "credentials.type"),
    ("name: a\ntype: git\ntarget: x\ncredentials:\n  type: pat\n  token: t\n", "credentials.token"),
    ("name: a\ntype: git\ntarget: x\napi_key: k\n", "api_key"),
    ("name: a\ntype: azure_open_ai\nazure_endpoint: x\napi_key: k\ncredentials:\n  type: api_key\n  key: k\n",
     "api_key"),
    ("name: a\ntype: git\ntarget: x\ndescription: d\n", "description"),
    ("name: a\ntype: git\ntarget: x\nis_shared: maybe\n", "is_shared"),
    ("name: a\ntype: azure_blob\ncredentials:\n  type: sas\n  sas_token: s\n", "url"),
])
def test_yaml_refused_offline_names_the_field(text: str, field: str) -> None:
    with pytest.raises(YamlSchemaError) as err:
        parse_connection(yaml.safe_load(text), "c.yml")
    assert err.value.field == field


def test_custom_keys_and_list_types() -> None:
    spec = parse_connection(yaml.safe_load(
        "name: c\ntype: custom\ntarget: t\ncredentials:\n  type: custom_keys\n  keys:\n    a: '1'\n    b: two\n"))
    assert (spec.properties["authType"], spec.properties["credentials"]) == ("CustomKeys", {"keys": {"a": "1", "b": "two"}})
    assert [rest_category_of(t) for t in ("git", "python_feed", "azure_open_ai", "custom", "azure_ai_search")] == [
        "Git", "PythonFeed", "AzureOpenAI", "CustomKeys", "CognitiveSearch"]
