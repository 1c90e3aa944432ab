"""The shared access signatures amlite's storage accounts accept: what ``sign_sas`` hands out
``check_sas`` admits, for that container, those permissions and until that time; anything else
is Azure Storage's ``403 AuthenticationFailed``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode

import pytest

from amlite.domain.errors import AuthorizationFailed
from amlite.domain.storage_paths import SERVICE_VERSION, check_sas, sign_sas

KEY = b"k" * 32
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def token(permissions: str = "racwdl", expires: datetime = NOW + timedelta(hours=1), account: str = "acct1",
          container: str = "box", region: str = "westeurope", key: bytes = KEY) -> dict[str, str]:
    return dict(parse_qsl(sign_sas(key, account, container, region, permissions, expires)))


def refused(query: dict[str, str], needed: str = "r", container: str = "box", account: str = "acct1",
            now: datetime = NOW) -> str:
    with pytest.raises(AuthorizationFailed) as caught:
        check_sas(KEY, account, container, query, needed, now)
    assert caught.value.code == "AuthenticationFailed"
    return caught.value.message


def test_a_signed_token_admits_its_container_with_its_region_and_expiry() -> None:
    query = token()
    assert query["sv"] == SERVICE_VERSION and query["sr"] == "c" and query["si"] == "westeurope"
    grant = check_sas(KEY, "ACCT1", "box", query, "rw", NOW)  # account names are case-insensitive
    assert (grant.account, grant.container, grant.region) == ("acct1", "box", "westeurope")
    assert grant.expires == NOW + timedelta(hours=1)


def test_the_token_survives_a_round_trip_through_a_url() -> None:
    query = dict(parse_qsl(urlencode(token())))
    assert check_sas(KEY, "acct1", "box", query, "r", NOW).permissions == "racwdl"


@pytest.mark.parametrize("field, value", [("sig", "0" * 64), ("sp", "racwdlx"), ("si", "eastus"),
                                          ("se", "2099-01-01T00:00:00Z"), ("sv", "2020-02-10")])
def test_changing_any_signed_field_is_refused(field: str, value: str) -> None:
    query = {**token(), field: value}
    assert "not valid" in refused(query)


def test_another_container_account_or_key_is_refused() -> None:
    assert "not valid" in refused(token(), container="other")
    assert "not valid" in refused(token(), account="acct2")
    assert "not valid" in refused(token(key=b"x" * 32))


def test_an_expired_token_is_refused_at_its_expiry() -> None:
    query = token(expires=NOW)
    assert "expired" in refused(query)
    assert check_sas(KEY, "acct1", "box", query, "r", NOW - timedelta(seconds=1)).container == "box"


def test_a_permission_the_token_lacks_is_refused() -> None:
    assert "does not grant 'w'" in refused(token(permissions="rl"), needed="w")
    assert check_sas(KEY, "acct1", "box", token(permissions="rl"), "l", NOW).permissions == "rl"


def test_no_signature_is_refused_and_says_where_to_get_one() -> None:
    assert "listSecrets" in refused({})
    query = token()
    query.pop("sig")
    assert "listSecrets" in refused(query)
