"""A region's object storage in the configuration: local by default, Azure when asked, with the
secret in the file or in the environment, and clear refusals; bootstrap makes the adapter."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlite.blobs.azure import AzureBlobStore
from amlite.blobs.local import LocalBlobStore
from amlite.bootstrap import make_blob_store
from amlite.config import ConfigError, Settings

CS = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;"


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Settings:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    return Settings.load(data_dir=tmp_path, config_file=cfg, env=env or {})


def test_storage_is_local_by_default(tmp_path: Path) -> None:
    s = Settings.load(data_dir=tmp_path, env={})
    assert all(r.storage.kind == "local" for r in s.regions)
    store = make_blob_store(s.regions[0])
    assert isinstance(store, LocalBlobStore) and store.root == tmp_path / "regions" / s.regions[0].region.name


def test_a_region_can_use_azure_and_others_stay_local(tmp_path: Path) -> None:
    s = load(tmp_path, f"""
regions:
  - {{name: eastus}}
  - name: westus
    storage: {{kind: azure, connection_string: "{CS}", container_prefix: west-}}
""")
    east, west = s.regions
    assert east.storage.kind == "local" and west.storage.kind == "azure"
    assert CS not in repr(west), "secrets stay out of reprs and logs"
    store = make_blob_store(west)
    assert isinstance(store, AzureBlobStore) and store.region == "westus" and store.prefix == "west-"
    assert isinstance(make_blob_store(east), LocalBlobStore)


def test_a_default_storage_applies_to_every_region_with_its_own_prefix(tmp_path: Path) -> None:
    s = load(tmp_path, "storage: {kind: azure, connection_string_env: MY_STORAGE}\n", env={"MY_STORAGE": CS})
    assert {r.storage.connection_string for r in s.regions} == {CS}
    stores = [make_blob_store(r) for r in s.regions]
    assert all(isinstance(st, AzureBlobStore) for st in stores)
    assert [st.prefix for st in stores if isinstance(st, AzureBlobStore)][0] == f"amlite-{s.regions[0].region.name}-"


def test_account_url_with_a_key(tmp_path: Path) -> None:
    s = load(tmp_path, "storage: {kind: azure, account_url: 'https://acct.blob.core.windows.net', account_key_env: K}\n",
             env={"K": "a2V5"})
    assert (s.regions[0].storage.account_url, s.regions[0].storage.account_key) == ("https://acct.blob.core.windows.net", "a2V5")
    assert isinstance(make_blob_store(s.regions[0]), AzureBlobStore)


@pytest.mark.parametrize("text, words", [
    ("storage: {kind: s3}", "must be 'local' or 'azure'"),
    ("storage: {kind: azure}", "needs a connection_string or an account_url"),
    ("storage: {kind: azure, connection_string_env: NOPE}", "NOPE, which is not set"),
    ("storage: azure", "must be a mapping"),
    (f"storage: {{kind: azure, connection_string: '{CS}', container_prefix: 'Bad_Prefix'}}", "container_prefix"),
    ("regions:\n  - {name: a, storage: {kind: azure}}", "regions[a].storage"),
    ("storage: {kind: local, hard_links: sometimes}", "storage.hard_links must be true or false"),
])
def test_bad_storage_settings_are_refused_clearly(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    assert words in str(caught.value)


def test_local_regions_share_blobs_by_hard_link_unless_told_not_to(tmp_path: Path) -> None:
    s = load(tmp_path, """
regions:
  - {name: eastus}
  - {name: westus, storage: {kind: local, hard_links: false}}
""")
    east, west = (make_blob_store(r) for r in s.regions)
    assert isinstance(east, LocalBlobStore) and isinstance(west, LocalBlobStore)
    assert (east.hard_links, west.hard_links) == (True, False)
    everywhere = load(tmp_path, "storage: {kind: local, hard_links: false}\n")
    assert not any(r.storage.hard_links for r in everywhere.regions)
