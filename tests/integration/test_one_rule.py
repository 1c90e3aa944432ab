"""One rule, one place: a name or a version the SDK refuses before sending, the server refuses on
receipt, with the same words (``amlite.schemas.rules``), and what one accepts the other accepts."""

from __future__ import annotations

import pytest

from amlite.schemas.rules import asset_name_problem, version_problem
from amlite.sdk.asset_entities import Data, Model
from amlite.sdk.errors import ValidationException
from tests.integration.conftest import ML, Api

URI = "https://account.blob.core.windows.net/c/m"

# (name, version, the rule's sentence)
BAD = [
    ("_m", "1", asset_name_problem("_m")),
    ("-m", "1", asset_name_problem("-m")),
    (".m", "1", asset_name_problem(".m")),
    ("has space", "1", asset_name_problem("has space")),
    ("a" * 256, "1", asset_name_problem("a" * 256)),
    ("m", "_x", version_problem("_x")),
    ("m", "-1", version_problem("-1")),
    ("m", "..", version_problem("..")),
    ("m", ".hidden", version_problem(".hidden")),
    ("m", "1 2", version_problem("1 2")),
    ("m", "a" * 65, version_problem("a" * 65)),
]


def sdk_refusal(name: str, version: str) -> str:
    with pytest.raises(ValidationException) as err:
        Model(name=name, version=version, path=URI)._spec()
    return str(err.value)


@pytest.mark.parametrize("name, version, rule", BAD, ids=[f"{n[:8]}:{v[:8]}" for n, v, _ in BAD])
def test_the_sdk_and_the_server_refuse_with_the_same_words(api: Api, name: str, version: str, rule: str | None) -> None:
    assert rule is not None
    rg = "one-rule"
    api.create_group(rg)
    api.create_workspace(rg, "onerulews")
    before = api.snapshot()
    # An HTTP client folds a ".." segment away before sending; escaped, it reaches the server as "..".
    segment = "%2E%2E" if version == ".." else version
    r = api.request("PUT", api.ws_path(rg, "onerulews") + f"/models/{name}/versions/{segment}", ML,
                    json={"properties": {"modelUri": URI}})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["message"] == f"{rule}."
    assert error["code"] == ("InvalidAssetName" if name != "m" else "InvalidAssetVersion")
    assert rule in sdk_refusal(name, version)
    assert api.snapshot() == before


@pytest.mark.parametrize("name, version", [("m", "1"), ("My-Model_1.v2", "22.02-py3"), ("0abc", "v1-rc_2")])
def test_what_the_sdk_accepts_the_server_accepts(api: Api, name: str, version: str) -> None:
    Model(name=name, version=version, path=URI)._spec()
    Data(name=name, version=version, path=URI)._spec()
    api.create_group("one-rule-ok")
    api.create_workspace("one-rule-ok", "oneruleok")
    r = api.request("PUT", api.ws_path("one-rule-ok", "oneruleok") + f"/models/{name}/versions/{version}", ML,
                    json={"properties": {"modelUri": URI}})
    assert r.status_code in (200, 201), r.text
