"""The server's keys live in the store, on both stores: servers with nothing but the database and
their settings in common (each its own data directory) accept each other's tokens and open each
other's secrets; a deployment that kept its keys in the data directory keeps them (old tokens and
sealed secrets stay valid); a key-encryption key always wraps them (the configured one, else one
the server makes in its data directory), and a server with another one refuses to start instead
of making keys of its own."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from amlite.api.app import create_app
from amlite.bootstrap import Container, build
from amlite.config import Settings
from amlite.domain.server_keys import SECRETS_KEY, TOKEN_SIGNING_KEY
from amlite.domain.storage_paths import SAS_KEY
from amlite.services.server_keys import ServerKeyUnavailable
from amlite.store import tables
from amlite.store.engine import alembic_config
from tests.integration.conftest import ML, RES, settings_for
from tests.pg import postgres_database

KEY = "c2VjcmV0LWFjY291bnQta2V5LXZhbHVl=="
DATASTORE = {"properties": {
    "datastoreType": "AzureBlob", "accountName": "mydata", "containerName": "raw",
    "credentials": {"credentialsType": "AccountKey", "secrets": {"secretsType": "AccountKey", "key": KEY}},
}}


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database for each test (the keys are made on a first start)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
    else:
        with postgres_database() as url:
            yield url


def settings(tmp_path: Path, name: str, db_url: str, kek: str | None = None) -> Settings:
    """A server of its own (data directory ``name``) on the shared database."""
    (tmp_path / name).mkdir(exist_ok=True)
    return replace(settings_for(tmp_path / name, db_url), key_encryption_key=kek)


def client(container: Container, token: str | None = None) -> TestClient:
    result = TestClient(create_app(container), base_url="http://127.0.0.1:8600")
    if token is not None:
        result.headers["Authorization"] = f"Bearer {token}"
    return result


def log_in(container: Container, creds: dict[str, str]) -> str:
    token = client(container).post(f"/{creds['tenantId']}/oauth2/v2.0/token", data={
        "grant_type": "password", "username": creds["username"], "password": creds["password"]})
    assert token.status_code == 200, token.text
    return str(token.json()["access_token"])


def stored_keys(engine: sa.Engine) -> dict[str, tuple[str, str | None]]:
    with engine.connect() as conn:
        return {row.name: (row.material, row.wrapped_by) for row in conn.execute(sa.select(tables.server_keys))}


def test_servers_with_separate_data_dirs_share_keys_through_the_store(tmp_path: Path, db_url: str) -> None:
    kek = Fernet.generate_key().decode()
    first = build(settings(tmp_path, "a", db_url, kek))
    second = build(settings(tmp_path, "b", db_url, kek))
    try:
        assert not second.settings.credentials_file.exists()  # the tenant was made once, by the first
        assert not (second.settings.data_dir / "signing-key.pem").exists()
        assert not (second.settings.data_dir / "secrets.key").exists()
        assert not second.settings.key_encryption_key_file.exists()  # the configured one is used
        creds = json.loads(first.settings.credentials_file.read_text())
        on_first, on_second = client(first, log_in(first, creds)), client(second, log_in(first, creds))
        group = f"/subscriptions/{creds['subscriptionId']}/resourceGroups/rg1"
        workspace = f"{group}/providers/Microsoft.MachineLearningServices/workspaces/ws1"
        assert on_second.put(f"{group}?{RES}", json={"location": "eastus"}).status_code == 201  # token of one, on the other
        assert on_first.put(f"{workspace}?{ML}", json={"location": "eastus"}).status_code == 200
        # a secret sealed by the first opens on the second, and one sealed by the second on the first
        assert on_first.put(f"{workspace}/datastores/one?{ML}", json=DATASTORE).status_code == 201
        assert on_second.put(f"{workspace}/datastores/two?{ML}", json=DATASTORE).status_code == 201
        for api, name in ((on_second, "one"), (on_first, "two")):
            secrets = api.post(f"{workspace}/datastores/{name}/listSecrets?{ML}")
            assert secrets.status_code == 200 and secrets.json() == {"secretsType": "AccountKey", "key": KEY}, secrets.text
        assert first.identity.jwks(first.tenant_id) == second.identity.jwks(second.tenant_id)
    finally:
        first.close()
        second.close()


def test_keys_kept_in_the_data_directory_are_imported_and_old_tokens_stay_valid(tmp_path: Path, db_url: str) -> None:
    kek = Fernet.generate_key().decode()
    old_settings = settings(tmp_path, "old", db_url, kek)
    deployment = build(old_settings)
    creds = json.loads(old_settings.credentials_file.read_text())
    old_token = log_in(deployment, creds)
    workspace = (f"/subscriptions/{creds['subscriptionId']}/resourceGroups/rg1/providers/"
                 "Microsoft.MachineLearningServices/workspaces/ws1")
    api = client(deployment, old_token)
    assert api.put(f"/subscriptions/{creds['subscriptionId']}/resourceGroups/rg1?{RES}",
                   json={"location": "eastus"}).status_code == 201
    assert api.put(f"{workspace}?{ML}", json={"location": "eastus"}).status_code == 200
    assert api.put(f"{workspace}/datastores/raw?{ML}", json=DATASTORE).status_code == 201
    # Make it the deployment of the previous version: its keys in data-directory files, no
    # server_keys table (its migration undone).
    fernet = Fernet(kek.encode())
    keys = {name: fernet.decrypt(material.encode()).decode() for name, (material, _) in
            stored_keys(deployment.engine).items()}
    old_settings.signing_key_file.write_bytes(keys[TOKEN_SIGNING_KEY].encode())
    old_settings.secrets_key_file.write_bytes(keys[SECRETS_KEY].encode() + b"\n")
    config = alembic_config(deployment.engine.url.render_as_string(hide_password=False))
    with deployment.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    deployment.close()

    upgraded = build(old_settings)  # the first start of the new version
    replica = build(settings(tmp_path, "new-replica", db_url, kek))  # a new process: the database and its settings
    try:
        stored = stored_keys(upgraded.engine)
        assert set(stored) == {TOKEN_SIGNING_KEY, SECRETS_KEY, SAS_KEY}  # the SAS key is new in this version
        assert fernet.decrypt(stored[TOKEN_SIGNING_KEY][0].encode()).decode() == keys[TOKEN_SIGNING_KEY]
        assert fernet.decrypt(stored[SECRETS_KEY][0].encode()).decode() == keys[SECRETS_KEY] + "\n"
        for server in (upgraded, replica):
            api = client(server, old_token)
            assert api.get(f"{workspace}?{ML}").status_code == 200  # the token issued before the upgrade
            secrets = api.post(f"{workspace}/datastores/raw/listSecrets?{ML}")
            assert secrets.json() == {"secretsType": "AccountKey", "key": KEY}, secrets.text
    finally:
        upgraded.close()
        replica.close()


def test_without_a_configured_key_encryption_key_the_server_makes_one_and_a_database_copy_yields_nothing(
        tmp_path: Path, db_url: str) -> None:
    first = build(settings(tmp_path, "a", db_url))  # no key-encryption key configured
    kid = first.identity.jwks(first.tenant_id)["keys"][0]["kid"]
    made = first.settings.key_encryption_key_file
    first.close()
    assert made.stat().st_mode & 0o777 == 0o600
    stored = stored_keys(first.engine)
    assert all(wrapped_by is not None for _, wrapped_by in stored.values())
    assert "PRIVATE KEY" not in stored[TOKEN_SIGNING_KEY][0]  # a copy of the database alone: nothing usable
    assert b"PRIVATE KEY" in Fernet(made.read_bytes().strip()).decrypt(stored[TOKEN_SIGNING_KEY][0].encode())

    again = build(settings(tmp_path, "a", db_url))  # the same data directory: its key, the same keys
    try:
        assert again.identity.jwks(again.tenant_id)["keys"][0]["kid"] == kid
    finally:
        again.close()
    replica = build(settings(tmp_path, "b", db_url, made.read_text().strip()))  # a replica given that key
    try:
        assert replica.identity.jwks(replica.tenant_id)["keys"][0]["kid"] == kid
    finally:
        replica.close()
    assert stored_keys(replica.engine) == stored  # read, not wrapped a second time

    with pytest.raises(ServerKeyUnavailable) as none_given:  # another data directory, no key given
        build(settings(tmp_path, "c", db_url))
    assert none_given.value.code == "KeyEncryptionKeyMismatch"
    assert "AMLITE_KEY_ENCRYPTION_KEY" in none_given.value.message
    with pytest.raises(ServerKeyUnavailable) as other_given:
        build(settings(tmp_path, "d", db_url, Fernet.generate_key().decode()))
    assert other_given.value.code == "KeyEncryptionKeyMismatch"
    assert stored_keys(replica.engine) == stored  # a refused start changed nothing


def test_keys_stored_in_clear_are_wrapped_at_the_next_start(tmp_path: Path, db_url: str) -> None:
    kek = Fernet.generate_key().decode()
    server = build(settings(tmp_path, "a", db_url, kek))
    kid = server.identity.jwks(server.tenant_id)["keys"][0]["kid"]
    fernet = Fernet(kek.encode())
    with server.engine.begin() as conn:  # a hand-made row in clear
        for name, (material, _) in stored_keys(server.engine).items():
            conn.execute(tables.server_keys.update().where(tables.server_keys.c.name == name).values(
                material=fernet.decrypt(material.encode()).decode(), wrapped_by=None))
    server.close()
    again = build(settings(tmp_path, "a", db_url, kek))
    try:
        assert again.identity.jwks(again.tenant_id)["keys"][0]["kid"] == kid
        assert all(wrapped_by is not None for _, wrapped_by in stored_keys(again.engine).values())
    finally:
        again.close()


def test_servers_with_separate_data_dirs_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    """PostgreSQL: several servers may start on one new database at the same moment."""
    kek = Fernet.generate_key().decode()
    with postgres_database() as url:
        built: dict[int, Container] = {}
        failures: list[BaseException] = []

        def boot(index: int) -> None:
            try:
                built[index] = build(settings(tmp_path, f"s{index}", url, kek))
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [threading.Thread(target=boot, args=(i,)) for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        try:
            assert not failures, failures
            assert len({c.identity.jwks(c.tenant_id)["keys"][0]["kid"] for c in built.values()}) == 1
            assert set(stored_keys(built[0].engine)) == {TOKEN_SIGNING_KEY, SECRETS_KEY, SAS_KEY}
        finally:
            for container in built.values():
                container.close()
