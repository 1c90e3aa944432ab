"""The asset domain: names, versions, fingerprints, manifests, version bodies and references."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from amlite.domain.asset_specs import version_content, version_patch, with_derived_uri
from amlite.domain.assets import (
    AssetKind,
    AssetVersion,
    ListViewType,
    ManifestEntry,
    VersionContent,
    check_asset_name,
    check_manifest,
    check_version,
    differing_fields,
    fingerprint,
    next_version_after,
    parse_tag_filter,
    updated_version,
)
from amlite.domain.errors import InvalidInput
from amlite.domain.references import AssetRef, WorkspaceLocator, parse_asset_reference, parse_datastore_path
from amlite.domain.resources import AuditStamp
from amlite.schemas.arm_assets import AssetVersionBody, AssetVersionPatchBody
from amlite.schemas.arm_common import parse_request

M = AssetKind.MODELS
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
STAMP = AuditStamp("a", "User", NOW, "a", "User", NOW)


def parse_version_body(kind: AssetKind, body: dict[str, Any]) -> VersionContent:
    """A version body as the API reads it: its JSON types by the request model, its rules by the domain."""
    return version_content(kind, parse_request(AssetVersionBody, body).properties)


def parse_version_patch(kind: AssetKind, body: dict[str, Any]) -> VersionContent:
    return version_patch(kind, parse_request(AssetVersionPatchBody, body).properties)


@pytest.mark.parametrize("name", ["m", "My-Model_1.v2", "0abc", "a" * 255])
def test_valid_asset_names(name: str) -> None:
    assert check_asset_name(name, M) == name


@pytest.mark.parametrize("name", ["", "-m", ".m", "has space", "a/b", "a" * 256, "naïve"])
def test_invalid_asset_names(name: str) -> None:
    with pytest.raises(InvalidInput) as err:
        check_asset_name(name, M)
    assert err.value.code == "InvalidAssetName" and err.value.target == "name"


def test_versions_are_strings() -> None:
    assert check_version(1, M) == "1"
    assert check_version("22.02-py3", M) == "22.02-py3"
    for bad in ("", "1 2", "v/1", "a" * 65, True, None, 1.5):
        with pytest.raises(InvalidInput):
            check_version(bad, M)


def test_next_version_moves_past_explicit_integers_only() -> None:
    assert next_version_after(1, "1") == 2
    assert next_version_after(3, "10") == 11
    assert next_version_after(11, "4") == 11
    assert next_version_after(2, "22.02-py3") == 2
    assert next_version_after(2, "9" * 30) == 2  # not a number the container could count to


def test_fingerprint_ignores_order_and_mutable_fields() -> None:
    a = (ManifestEntry("b.txt", "1" * 64, 1), ManifestEntry("a.txt", "2" * 64, 2))
    assert fingerprint({"x": 1, "y": [1, 2]}, a) == fingerprint({"y": [1, 2], "x": 1}, tuple(reversed(a)))
    assert fingerprint({"x": 1}, a) != fingerprint({"x": 2}, a)
    assert fingerprint({"x": 1}, a) != fingerprint({"x": 1}, a[:1])
    one = parse_version_body(M, {"properties": {"modelUri": "https://x", "description": "d", "tags": {"a": "1"}}})
    two = parse_version_body(M, {"properties": {"modelUri": "https://x", "modelType": "custom_model"}})
    assert one.fingerprint == two.fingerprint  # defaults filled in; description and tags are not content


def test_differing_fields_name_what_changed() -> None:
    spec = parse_version_body(M, {"properties": {"modelUri": "https://x"}}).spec
    existing = _version(spec, ())
    changed = VersionContent(spec={**spec, "modelType": "mlflow_model"}, manifest=(ManifestEntry("a", "1" * 64, 1),))
    assert differing_fields(existing, changed) == ["modelType", "artifacts"]


def test_manifest_paths_stay_inside_the_upload_root() -> None:
    ok = check_manifest([{"path": "model/w.bin", "sha256": "A" * 64, "size": 3}])
    assert ok == (ManifestEntry("model/w.bin", "a" * 64, 3),)
    for path in ("../x", "/abs", "a/../../b", "a//b", "./a", "C:/x", "a\\b", ""):
        with pytest.raises(InvalidInput):
            check_manifest([{"path": path, "sha256": "a" * 64, "size": 1}])
    with pytest.raises(InvalidInput):
        check_manifest([{"path": "a", "sha256": "a" * 64, "size": 1}, {"path": "a", "sha256": "b" * 64, "size": 1}])
    with pytest.raises(InvalidInput):
        check_manifest([{"path": "a", "sha256": "xyz", "size": 1}])
    with pytest.raises(InvalidInput):
        check_manifest([{"path": "a", "sha256": "a" * 64, "size": -1}])


@pytest.mark.parametrize("kind, props, target", [
    (AssetKind.MODELS, {}, "properties.modelUri"),
    (AssetKind.MODELS, {"modelUri": "https://x", "modelType": "onnx"}, "properties.modelType"),
    (AssetKind.MODELS, {"modelUri": "model.pkl"}, "properties.modelUri"),
    (AssetKind.ENVIRONMENTS, {}, "properties.image"),
    (AssetKind.ENVIRONMENTS, {"condaFile": "deps: []", "build": {"contextUri": "https://x"}}, "properties.condaFile"),
    (AssetKind.ENVIRONMENTS, {"image": "x", "osType": "Mac"}, "properties.osType"),
    (AssetKind.COMPONENTS, {}, "properties.componentSpec"),
    (AssetKind.COMPONENTS, {"componentSpec": {"type": "sweep"}}, "properties.componentSpec.type"),
    (AssetKind.COMPONENTS, {"componentSpec": {"command": "x"}}, "properties.componentSpec.environment"),
    (AssetKind.COMPONENTS, {"componentSpec": {"command": "x ${{outputs.o}}", "environment": "azureml:e:1"}},
     "properties.componentSpec.command"),
    (AssetKind.COMPONENTS, {"componentSpec": {"type": "pipeline", "jobs": {}}}, "properties.componentSpec.jobs"),
    (AssetKind.DATA, {"dataType": "uri_file"}, "properties.dataUri"),
    (AssetKind.DATA, {"dataUri": "https://x", "isArchived": "yes"}, "properties.isArchived"),
])
def test_version_bodies_are_judged_with_the_field_named(kind: AssetKind, props: dict[str, Any], target: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_version_body(kind, {"properties": props})
    assert err.value.target == target


def test_version_bodies_keep_values_as_strings_and_fill_defaults() -> None:
    content = parse_version_body(AssetKind.DATA, {"properties": {
        "dataUri": "azureml://datastores/ds/paths/p", "properties": {"v": 2.10, "flag": True}, "tags": {"n": 1}}})
    assert content.spec == {"dataType": "uri_folder", "dataUri": "azureml://datastores/ds/paths/p",
                            "properties": {"v": "2.1", "flag": "true"}}
    assert content.tags == {"n": "1"}
    env = parse_version_body(AssetKind.ENVIRONMENTS, {"properties": {"image": "python:3.11", "condaFile": "name: x"}})
    assert env.spec["osType"] == "Linux" and env.spec["condaFile"] == "name: x"
    component = parse_version_body(AssetKind.COMPONENTS, {"properties": {"componentSpec": {
        "$schema": "https://azuremlschemas/x.json", "command": "python t.py $[[--lr ${{inputs.lr}}]]",
        "inputs": {"lr": {"type": "number", "optional": True}}, "environment": "azureml:env@latest"}}})
    assert "$schema" not in component.spec["componentSpec"]


def test_uploaded_versions_derive_their_uri() -> None:
    uri = "azureml://subscriptions/s/resourcegroups/rg/workspaces/ws/datastores/workspaceblobstore/paths/models/m/3/"
    manifest = [{"path": "w.bin", "sha256": "a" * 64, "size": 1}]
    env = parse_version_body(AssetKind.ENVIRONMENTS, {"properties": {"artifacts": manifest}})
    assert with_derived_uri(AssetKind.ENVIRONMENTS, env.spec, uri)["build"] == {"dockerfilePath": "Dockerfile",
                                                                                 "contextUri": uri}
    model = parse_version_body(M, {"properties": {"artifacts": manifest, "modelUri": "ignored-when-uploaded"}})
    assert with_derived_uri(M, model.spec, uri)["modelUri"] == uri


def test_patch_names_only_mutable_fields() -> None:
    patch = parse_version_patch(M, {"properties": {"description": "d", "isArchived": True}})
    assert (patch.description, patch.tags, patch.is_archived) == ("d", None, True)
    with pytest.raises(InvalidInput) as err:
        parse_version_patch(M, {"properties": {"modelType": "mlflow_model"}})
    assert err.value.target == "properties.modelType"


def test_an_update_changes_only_mutable_fields() -> None:
    versions = [_version({}, (), version="10", seq=1)]
    changed = updated_version(versions[0], VersionContent(spec={}, tags={"a": "b"}), '"n"', STAMP)
    assert changed is not None and changed.tags == {"a": "b"} and changed.etag == '"n"'
    assert updated_version(versions[0], VersionContent(spec={}, tags={}), '"n"', STAMP) is None


def test_list_view_and_tag_filter() -> None:
    assert ListViewType.parse(None) is ListViewType.ACTIVE_ONLY
    assert ListViewType.parse("all") is ListViewType.ALL
    with pytest.raises(InvalidInput):
        ListViewType.parse("Everything")
    assert parse_tag_filter("stage=prod, owner") == {"stage": "prod", "owner": None}
    assert parse_tag_filter(None) == {}


@pytest.mark.parametrize("text, expected", [
    ("azureml:env:1", AssetRef(AssetKind.ENVIRONMENTS, "env", "1")),
    ("azureml:my.env:22.02-py3", AssetRef(AssetKind.ENVIRONMENTS, "my.env", "22.02-py3")),
    ("azureml:env@latest", AssetRef(AssetKind.ENVIRONMENTS, "env", label="latest")),
    ("azureml:env@prod", AssetRef(AssetKind.ENVIRONMENTS, "env", label="prod")),
    ("azureml://subscriptions/s1/resourcegroups/rg/workspaces/ws/environments/env/versions/3",
     AssetRef(AssetKind.ENVIRONMENTS, "env", "3", workspace=WorkspaceLocator("s1", "rg", "ws"))),
    ("azureml:/subscriptions/s1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
     "/environments/env/versions/3",
     AssetRef(AssetKind.ENVIRONMENTS, "env", "3", workspace=WorkspaceLocator("s1", "rg", "ws"))),
])
def test_asset_references_parse(text: str, expected: AssetRef) -> None:
    assert parse_asset_reference(text, AssetKind.ENVIRONMENTS, "environment") == expected


@pytest.mark.parametrize("text, code", [
    ("env:1", "InvalidAssetReference"),
    ("file:./env.yml", "InvalidAssetReference"),
    ("azureml:env", "InvalidAssetReference"),
    ("azureml:env@", "InvalidAssetReference"),
    ("azureml:bad name:1", "InvalidAssetReference"),
    ("azureml://subscriptions/s/resourcegroups/rg/workspaces/ws/models/m/versions/1", "InvalidAssetReference"),
    ("azureml://registries/reg/models/env/versions/1", "InvalidAssetReference"),
    ("azureml://registries/reg/environments/env", "InvalidAssetReference"),
    ("azureml://registries/reg/environments/bad name/versions/1", "InvalidAssetReference"),
    ("", "InvalidAssetReference"),
])
def test_bad_asset_references_name_the_field(text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_asset_reference(text, AssetKind.ENVIRONMENTS, "componentSpec.environment")
    assert err.value.code == code and err.value.target == "componentSpec.environment"


def test_registry_references_parse() -> None:
    ref = parse_asset_reference("azureml://registries/Reg1/environments/env/versions/3", AssetKind.ENVIRONMENTS, "e")
    assert (ref.registry, ref.name, ref.version, ref.label) == ("Reg1", "env", "3", None)
    latest = parse_asset_reference("azureml://registries/reg/models/m/labels/latest", AssetKind.MODELS, "m")
    assert (latest.registry, latest.name, latest.version, latest.label) == ("reg", "m", None, "latest")
    assert str(latest) == "azureml://registries/reg/models/m/labels/latest"


def test_datastore_paths_parse() -> None:
    short = parse_datastore_path("azureml://datastores/workspaceblobstore/paths/data/iris.csv", "dataUri")
    assert short is not None and (short.datastore, short.path, short.workspace) == ("workspaceblobstore", "data/iris.csv", None)
    long = parse_datastore_path(
        "azureml://subscriptions/s/resourcegroups/rg/workspaces/ws/datastores/ds/paths/models/m/1/", "modelUri")
    assert long is not None and long.workspace == WorkspaceLocator("s", "rg", "ws") and long.path == "models/m/1/"
    assert parse_datastore_path("https://acct.blob.core.windows.net/c/x", "dataUri") is None
    with pytest.raises(InvalidInput):
        parse_datastore_path("azureml://registries/r/data/d/versions/1", "dataUri")
    with pytest.raises(InvalidInput):
        parse_datastore_path("azureml://datastores/bad-name/paths/x", "dataUri")


def _version(spec: dict[str, Any], manifest: tuple[ManifestEntry, ...], *, version: str = "1", seq: int = 1,
             archived: bool = False) -> AssetVersion:
    return AssetVersion(key="k" + version, container_key="c", version=version, seq=seq, spec=spec, manifest=manifest,
                        fingerprint=fingerprint(spec, manifest), description="", tags={}, is_archived=archived,
                        etag='"e"', stamp=STAMP)


@pytest.mark.parametrize("version", [".", "..", ".hidden", "-1", "_x", "1\n", "1\x00", "a/b"])
def test_versions_that_are_path_segments_or_traversal_are_refused(version: str) -> None:
    with pytest.raises(InvalidInput):
        check_version(version, M)


def test_the_server_and_the_client_apply_one_version_rule() -> None:
    from amlite.schemas._common import check_version as client_check

    samples = [".", "..", ".a", "-a", "_a", "a", "1", "1.0", "v1-rc_2", "a" * 64, "a" * 65, "1\n", "\n1", "a b",
               "é", "1.", "1..2", "a/b", "%2E"]
    for sample in samples:
        try:
            client_check(sample)
            client_ok = True
        except ValueError:
            client_ok = False
        try:
            check_version(sample, M)
            server_ok = True
        except InvalidInput:
            server_ok = False
        assert client_ok == server_ok, sample


@pytest.mark.parametrize("paths", [["a", "a/b"], ["x/a/b/c", "x/a"], ["m/w.bin", "m/w.bin/x"]])
def test_a_manifest_path_cannot_be_both_a_file_and_a_folder(paths: list[str]) -> None:
    with pytest.raises(InvalidInput, match="both a file and a folder"):
        check_manifest([{"path": p, "sha256": "a" * 64, "size": 1} for p in paths])
    assert len(check_manifest([{"path": p, "sha256": "a" * 64, "size": 1} for p in ("a/b", "a/c", "ab")])) == 3


@pytest.mark.parametrize("path", ["a\nb", "line\r", "tab\tname", "nul\x00", "esc\x1b", "c1\x85"])
def test_a_manifest_path_with_a_control_character_is_refused(path: str) -> None:
    with pytest.raises(InvalidInput) as err:
        check_manifest([{"path": path, "sha256": "a" * 64, "size": 1}])
    assert err.value.code == "InvalidArtifactPath"


def test_the_yaml_models_offer_exactly_the_types_the_server_takes() -> None:
    from typing import get_args

    from amlite.schemas.assets import DataSpec, ModelSpec
    from amlite.schemas.rules import DATA_TYPES, MODEL_TYPES

    assert get_args(ModelSpec.model_fields["type"].annotation) == MODEL_TYPES
    assert get_args(DataSpec.model_fields["type"].annotation) == DATA_TYPES
