"""Tokens: the OAuth2 grants, and every way a bearer token can be wrong (each a 401)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest

from amlite.domain.resources import Principal, PrincipalKind
from amlite.services.tokens import hash_secret
from tests.integration.conftest import Api

TOKEN = "/{tenant}/oauth2/v2.0/token"


def token_request(api: Api, **form: str) -> dict:
    r = api.client.post(TOKEN.format(tenant=api.tenant), data=form, headers={"Authorization": ""})
    return {"status": r.status_code, **r.json()}


def rg_list(api: Api, token: str) -> int:
    return api.client.get(f"/subscriptions/{api.sub}/resourcegroups?api-version=2024-03-01",
                          headers={"Authorization": f"Bearer {token}"}).status_code


def test_password_grant_gives_a_jwt_with_azure_claims(api: Api) -> None:
    body = token_request(api, grant_type="password", username=api.credentials["username"],
                         password=api.credentials["password"], scope="https://management.azure.com/.default")
    assert body["status"] == 200 and body["token_type"] == "Bearer" and body["expires_in"] > 3000
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["tid"] == api.tenant and claims["aud"] == "https://management.azure.com/"
    assert claims["upn"] == "admin@amlite.local"
    assert {"oid", "iat", "exp", "iss", "nbf"} <= set(claims)
    assert rg_list(api, body["access_token"]) == 200


def test_az_style_scope_and_refresh_grant_work(api: Api) -> None:
    body = token_request(api, grant_type="password", username=api.credentials["username"],
                         password=api.credentials["password"], scope="https://management.core.windows.net//.default")
    assert jwt.decode(body["access_token"], options={"verify_signature": False})["aud"] == "https://management.core.windows.net/"
    assert rg_list(api, body["access_token"]) == 200
    refreshed = token_request(api, grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert refreshed["status"] == 200 and rg_list(api, refreshed["access_token"]) == 200
    # A refresh token is not an access token, and an access token does not refresh.
    assert rg_list(api, body["refresh_token"]) == 401
    assert token_request(api, grant_type="refresh_token", refresh_token=body["access_token"])["error"] == "invalid_grant"


def test_client_credentials_for_a_service_principal(api: Api, name: str) -> None:
    d = api.container.deps
    app_id = d.ids.new_id()
    with d.uow(write=True) as uow:
        uow.principals.add(Principal(id=d.ids.new_id(), tenant_id=api.tenant, kind=PrincipalKind.SERVICE_PRINCIPAL,
                                     display_name=name, app_id=app_id, secret_hash=hash_secret("s3cret"),
                                     created_at=d.clock.now()))
        uow.commit()
    ok = token_request(api, grant_type="client_credentials", client_id=app_id, client_secret="s3cret")
    assert ok["status"] == 200
    claims = jwt.decode(ok["access_token"], options={"verify_signature": False})
    assert claims["appid"] == app_id and claims["idtyp"] == "app"
    # Authenticated but without any role assignment: denied, naming the action and scope.
    r = api.client.get(f"/subscriptions/{api.sub}/resourcegroups?api-version=2024-03-01",
                       headers={"Authorization": f"Bearer {ok['access_token']}"})
    assert r.status_code == 403
    error = r.json()["error"]
    assert error["code"] == "AuthorizationFailed"
    assert "Microsoft.Resources/subscriptions/resourceGroups/read" in error["message"] and api.sub in error["message"]
    bad = token_request(api, grant_type="client_credentials", client_id=app_id, client_secret="wrong")
    assert bad["status"] == 401 and bad["error"] == "invalid_client"


@pytest.mark.parametrize("form, error", [
    ({"grant_type": "password", "username": "admin@amlite.local", "password": "wrong"}, "invalid_grant"),
    ({"grant_type": "password", "username": "nobody@amlite.local", "password": "x"}, "invalid_grant"),
    ({"grant_type": "authorization_code", "code": "x"}, "unsupported_grant_type"),
])
def test_bad_credentials_get_oauth_errors(api: Api, form: dict[str, str], error: str) -> None:
    body = token_request(api, **form)
    assert body["status"] in (400, 401) and body["error"] == error and body["error_description"]


def _forge(api: Api, **overrides: object) -> str:
    """A token signed with the server's own key but with chosen claims."""
    good = token_request(api, grant_type="password", username=api.credentials["username"],
                         password=api.credentials["password"])["access_token"]
    claims = jwt.decode(good, options={"verify_signature": False})
    claims.update(overrides)
    key = api.container.identity._tokens._key  # the server's signing key, to forge only the claim under test
    return jwt.encode(claims, key.private, algorithm="RS256", headers={"kid": key.kid})


def test_expired_tampered_wrong_audience_and_wrong_tenant_tokens_get_401(api: Api) -> None:
    now = int(api.container.deps.clock.now().timestamp())
    expired = _forge(api, exp=now - 3600, iat=now - 7200, nbf=now - 7200)
    wrong_aud = _forge(api, aud="https://storage.azure.com/")
    other_tenant = "00000000-0000-0000-0000-000000000001"
    wrong_tenant = _forge(api, tid=other_tenant, iss=f"{api.container.endpoint}/{other_tenant}/v2.0")
    good = token_request(api, grant_type="password", username=api.credentials["username"],
                         password=api.credentials["password"])["access_token"]
    head, payload, sig = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["oid"] = "00000000-0000-0000-0000-000000000002"
    tampered = ".".join([head, base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("="), sig])
    foreign_key = jwt.encode({"tid": api.tenant, "aud": "https://management.azure.com/"}, "a-key-that-is-not-the-servers-key-at-all", algorithm="HS256")
    unsigned = ".".join([base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("="), payload, ""])
    expected = {
        unsigned: "InvalidAuthenticationToken",
        expired: "ExpiredAuthenticationToken", wrong_aud: "InvalidAuthenticationTokenAudience",
        wrong_tenant: "InvalidAuthenticationTokenTenant", tampered: "InvalidAuthenticationToken",
        foreign_key: "InvalidAuthenticationToken", "garbage": "InvalidAuthenticationToken",
    }
    for token, code in expected.items():
        r = api.client.get("/subscriptions?api-version=2024-03-01", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, (code, r.text)
        assert r.json()["error"]["code"] == code
    basic = api.client.get("/subscriptions?api-version=2024-03-01", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401


def test_a_deleted_principal_token_stops_working(api: Api, name: str) -> None:
    d = api.container.deps
    pid = d.ids.new_id()
    with d.uow(write=True) as uow:
        uow.principals.add(Principal(id=pid, tenant_id=api.tenant, kind=PrincipalKind.USER, display_name=name,
                                     user_principal_name=f"{name}@amlite.local", secret_hash=hash_secret("pw"),
                                     created_at=d.clock.now()))
        uow.commit()
    token = token_request(api, grant_type="password", username=f"{name}@amlite.local", password="pw")["access_token"]
    assert rg_list(api, token) == 403  # valid token, no role
    from amlite.store.tables import principals
    with api.container.engine.begin() as conn:
        conn.execute(principals.delete().where(principals.c.id == pid))
    assert rg_list(api, token) == 401


def test_key_discovery_publishes_the_signing_key(api: Api) -> None:
    jwks = api.client.get(f"/{api.tenant}/discovery/v2.0/keys", headers={"Authorization": ""}).json()
    token = token_request(api, grant_type="password", username=api.credentials["username"],
                          password=api.credentials["password"])["access_token"]
    key = jwt.PyJWKSet.from_dict(jwks).keys[0]
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience="https://management.azure.com/")
    assert claims["tid"] == api.tenant
    assert timedelta(seconds=claims["exp"] - claims["iat"]) == timedelta(hours=1)


@pytest.mark.parametrize("raw", [
    b"grant_type=password&username=\xff\xfe&password=x",          # not UTF-8
    b"grant_type=password&username=%ff%fe&password=x",            # percent-encoded bytes that are not UTF-8
    b"grant_type=password&username=admin%00@amlite.local&password=x",  # a NUL no database stores intact
])
def test_a_token_form_that_is_not_clean_text_is_an_oauth_400(api: Api, raw: bytes) -> None:
    r = api.client.post(f"/{api.tenant}/oauth2/v2.0/token", content=raw,
                        headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_request"


def test_the_token_endpoint_answers_every_refusal_in_oauth_terms(api: Api) -> None:
    """Its clients (MSAL, azure-identity) read OAuth2's body; an ARM body there is unreadable to them."""
    url = f"/{api.tenant}/oauth2/v2.0/token"
    as_json = api.client.post(url, json={"grant_type": "password"})
    too_long = api.client.post(f"{url}?x={'a' * 40_000}", data={"grant_type": "password"})
    wrong_method = api.client.request("TRACE", f"/{api.tenant}/oauth2/v2.0/authorize")
    no_such_route = api.client.get(f"/{api.tenant}/oauth2/v2.0/nothing-here")
    for r in (as_json, too_long, wrong_method, no_such_route):
        assert r.status_code in (400, 404, 405, 414), r.text
        assert r.json()["error"] == "invalid_request" and r.json()["error_description"], r.text
    assert (wrong_method.status_code, no_such_route.status_code) == (405, 404)


def test_tokens_for_the_servers_own_endpoint_and_azure_resource_id_forms_are_accepted(api: Api) -> None:
    """A cloud pointed at amlite has it as its ``resource_manager``: its clients ask for
    ``<endpoint>/.default``. ARM takes its resource ids with and without the trailing slash."""
    endpoint = api.container.endpoint
    for scope, aud in ((f"{endpoint}/.default", f"{endpoint}/"), (f"{endpoint}//.default", f"{endpoint}/")):
        body = token_request(api, grant_type="password", username=api.credentials["username"],
                             password=api.credentials["password"], scope=scope)
        assert jwt.decode(body["access_token"], options={"verify_signature": False})["aud"] == aud
        assert rg_list(api, body["access_token"]) == 200
    for aud in ("https://management.azure.com", "https://management.core.windows.net", endpoint):
        assert rg_list(api, _forge(api, aud=aud)) == 200, aud
    assert rg_list(api, _forge(api, aud="https://127.0.0.2:8600/")) == 401  # another server's endpoint


def test_the_openid_document_names_endpoints_that_answer(api: Api) -> None:
    doc = api.client.get(f"/{api.tenant}/v2.0/.well-known/openid-configuration", headers={"Authorization": ""}).json()
    assert {"issuer", "token_endpoint", "authorization_endpoint", "jwks_uri"} <= set(doc)
    base = str(api.client.base_url).rstrip("/")
    jwks = api.client.get(doc["jwks_uri"].removeprefix(base), headers={"Authorization": ""})
    assert jwks.status_code == 200 and jwks.json()["keys"]
    # sign-in in a browser is not built: refused in OAuth2's terms, not a 404
    refused = api.client.get(doc["authorization_endpoint"].removeprefix(base),
                             params={"response_type": "code", "client_id": "x"}, headers={"Authorization": ""})
    assert refused.status_code == 400 and refused.json()["error"] == "unsupported_response_type"
    unknown = api.client.get("/no-such-tenant/oauth2/v2.0/authorize", headers={"Authorization": ""})
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_request"
