"""Credentials: token requests, caching until shortly before expiry, the CLI profile, the env."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from amlite.sdk.credentials import (
    AmliteCliCredential,
    ClientSecretCredential,
    DefaultAmliteCredential,
    UsernamePasswordCredential,
)
from amlite.sdk.errors import ClientAuthenticationError, CredentialUnavailableError
from amlite.sdk.profile import ProfileStore

BASE = "http://127.0.0.1:9"


class TokenServer:
    """A fake token endpoint recording the grants it was asked for."""

    def __init__(self, expires_in: int = 3600) -> None:
        self.expires_in = expires_in
        self.forms: list[dict[str, str]] = []
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.forms.append(form)
        self.paths.append(request.url.path)
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        if form.get("password") == "wrong" or form.get("refresh_token") == "revoked":
            return httpx.Response(400, json={"error": "invalid_grant", "error_description": "Bad credentials."})
        n = len(self.forms)
        body = {"token_type": "Bearer", "expires_in": self.expires_in, "access_token": f"at-{n}"}
        if form["grant_type"] in ("password", "refresh_token"):
            body["refresh_token"] = f"rt-{n}"
        return httpx.Response(200, json=body)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def test_client_secret_credential_posts_the_grant_and_caches() -> None:
    server = TokenServer()
    cred = ClientSecretCredential("tid", "app", "secret", BASE + "/", transport=server.transport)
    first = cred.get_token("https://management.azure.com/.default")
    second = cred.get_token("https://management.azure.com/.default")
    assert first == second and first.token == "at-1"
    assert len(server.forms) == 1
    assert server.paths == ["/tid/oauth2/v2.0/token"]
    assert server.forms[0] == {"grant_type": "client_credentials", "client_id": "app",
                               "client_secret": "secret", "scope": "https://management.azure.com/.default"}
    assert cred.endpoint == BASE


def test_token_is_replaced_shortly_before_expiry() -> None:
    server = TokenServer(expires_in=60)  # margin: half the lifetime, at most 5 minutes
    cred = ClientSecretCredential("tid", "app", "secret", BASE, transport=server.transport)
    cred.get_token()
    cred.get_token()
    assert len(server.forms) == 1
    cached, lifetime = cred._cache["https://management.azure.com/.default"]
    cred._cache["https://management.azure.com/.default"] = (cached._replace(expires_on=cached.expires_on - 40), lifetime)
    assert cred.get_token().token == "at-2"


def test_bad_password_is_client_authentication_error() -> None:
    cred = UsernamePasswordCredential("tid", "u", "wrong", BASE, transport=TokenServer().transport)
    with pytest.raises(ClientAuthenticationError) as info:
        cred.get_token()
    assert str(info.value) == "(invalid_grant) Bad credentials."


def test_username_password_uses_refresh_token_afterwards() -> None:
    server = TokenServer(expires_in=0)
    cred = UsernamePasswordCredential("tid", "u", "pw", BASE, transport=server.transport)
    cred.get_token()
    cred.get_token()  # expired at once (lifetime 0 s): refresh
    assert [f["grant_type"] for f in server.forms] == ["password", "refresh_token"]
    assert server.forms[1]["refresh_token"] == "rt-1"


def _login(directory: Path, user_type: str = "user", **tokens: object) -> ProfileStore:
    store = ProfileStore(directory)
    store.save_profile({"endpoint": BASE, "tenantId": "tid", "user": {"name": "u", "type": user_type},
                        "subscriptions": [{"id": "s1", "name": "one", "isDefault": True}]})
    store.save_tokens(dict(tokens))
    return store


def test_cli_credential_uses_stored_token_then_refreshes_and_writes_back(tmp_path: Path) -> None:
    import time

    server = TokenServer()
    store = _login(tmp_path, accessToken="stored", expiresOn=int(time.time()) + 3600,
                   expiresIn=3600, refreshToken="rt-0")
    cred = AmliteCliCredential(config_dir=tmp_path, transport=server.transport)
    assert cred.endpoint == BASE
    assert cred.get_token().token == "stored"
    assert server.forms == []
    store.save_tokens({**store.load_tokens(), "expiresOn": int(time.time()) + 10})
    fresh = AmliteCliCredential(config_dir=tmp_path, transport=server.transport).get_token()
    assert fresh.token == "at-1"
    assert server.forms[0]["grant_type"] == "refresh_token" and server.forms[0]["refresh_token"] == "rt-0"
    saved = store.load_tokens()
    assert saved["accessToken"] == "at-1" and saved["refreshToken"] == "rt-1"
    assert stat.S_IMODE(os.stat(tmp_path / "tokens.json").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "profile.json").st_mode) == 0o600


def test_cli_credential_service_principal_uses_stored_secret(tmp_path: Path) -> None:
    server = TokenServer()
    _login(tmp_path, "servicePrincipal", clientId="app", clientSecret="s3cret")
    assert AmliteCliCredential(config_dir=tmp_path, transport=server.transport).get_token().token == "at-1"
    assert server.forms[0]["grant_type"] == "client_credentials"
    assert server.forms[0]["client_secret"] == "s3cret"


def test_cli_credential_revoked_refresh_token_says_login_again(tmp_path: Path) -> None:
    _login(tmp_path, refreshToken="revoked")
    with pytest.raises(ClientAuthenticationError) as info:
        AmliteCliCredential(config_dir=tmp_path, transport=TokenServer().transport).get_token()
    assert "amlite login" in str(info.value)


def test_cli_credential_without_login(tmp_path: Path) -> None:
    cred = AmliteCliCredential(config_dir=tmp_path)
    assert cred.endpoint is None
    with pytest.raises(CredentialUnavailableError) as info:
        cred.get_token()
    assert "amlite login" in str(info.value)


def test_default_credential_prefers_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMLITE_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("AZURE_TENANT_ID", "tid")
    monkeypatch.setenv("AZURE_CLIENT_ID", "app")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "sec")
    monkeypatch.setenv("AMLITE_ENDPOINT", BASE + "/")
    server = TokenServer()
    cred = DefaultAmliteCredential(transport=server.transport)
    assert isinstance(cred.credential, ClientSecretCredential)
    assert cred.endpoint == BASE
    assert cred.get_token().token == "at-1"
    monkeypatch.delenv("AZURE_CLIENT_SECRET")
    monkeypatch.delenv("AMLITE_ENDPOINT")
    _login(tmp_path, refreshToken="rt-x")
    fallback = DefaultAmliteCredential(transport=server.transport)
    assert isinstance(fallback.credential, AmliteCliCredential)
    assert fallback.endpoint == BASE


def test_profile_store_defaults_round_trip(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.save_defaults({"group": "rg1", "workspace": "ws1"})
    assert store.load_defaults() == {"group": "rg1", "workspace": "ws1"}
    store.save_defaults({"workspace": ""})
    assert store.load_defaults() == {"group": "rg1"}
    assert json.loads(json.dumps(store.load_defaults())) == {"group": "rg1"}
