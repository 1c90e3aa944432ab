"""Settings precedence and region configuration; secret hashing; token checks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from amlite.config import ConfigError, Settings
from amlite.domain.errors import AuthenticationFailed
from amlite.services.tokens import SigningKey, TokenService, hash_secret, new_private_key_pem, verify_secret


def test_defaults_are_embedded(tmp_path: Path) -> None:
    s = Settings.load(data_dir=tmp_path, env={})
    assert s.db_url == f"sqlite:///{tmp_path / 'amlite.db'}"
    assert s.endpoint == "http://127.0.0.1:8600"
    names = [r.region.name for r in s.regions]
    assert {"eastus", "eastus2", "westus", "centralus"} <= set(names)
    assert all(r.storage_root == tmp_path / "regions" / r.region.name for r in s.regions)


def test_options_beat_environment_beat_file(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("port: 9000\nhost: 127.0.0.2\nregions:\n  - {name: alpha, paired_region: beta}\n  - {name: beta, paired_region: alpha, storage_root: /srv/b}\n")
    s = Settings.load(data_dir=tmp_path, config_file=cfg, env={"AMLITE_PORT": "9100"})
    assert (s.port, s.host) == (9100, "127.0.0.2")
    assert Settings.load(data_dir=tmp_path, config_file=cfg, port=9200, env={"AMLITE_PORT": "9100"}).port == 9200
    assert [r.region.name for r in s.regions] == ["alpha", "beta"]
    assert s.regions[1].storage_root == Path("/srv/b")
    toml = tmp_path / "c.toml"
    toml.write_text('db = "postgresql+psycopg://u@127.0.0.1/x"\n')
    assert Settings.load(data_dir=tmp_path, config_file=toml, env={}).db_url.startswith("postgresql+psycopg")


@pytest.mark.parametrize("text", ["port: abc", "regions: []", "regions:\n  - {name: a, paired_region: zz}", "db: mysql://x", "- a list"])
def test_bad_configuration_is_refused_clearly(tmp_path: Path, text: str) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError):
        Settings.load(data_dir=tmp_path, config_file=cfg, env={})


def test_secrets_hash_with_a_salt_and_verify() -> None:
    one, two = hash_secret("pw"), hash_secret("pw")
    assert one != two and one.startswith("scrypt$")
    assert verify_secret("pw", one) and not verify_secret("other", one)
    assert not verify_secret("pw", None) and not verify_secret("pw", "garbage")


def test_signing_key_is_kept_and_tokens_check_expiry() -> None:
    pem = new_private_key_pem()
    key = SigningKey(pem)
    assert SigningKey(pem).kid == key.kid  # the kid follows the key: a restart publishes the same one
    tokens = TokenService(key, "http://127.0.0.1:8600")
    now = datetime.now(timezone.utc)
    token, _ = tokens.issue(tenant_id="t", object_id="o", name="n", principal_type="User", now=now)
    assert tokens.verify(token, now=now).object_id == "o"
    old, _ = tokens.issue(tenant_id="t", object_id="o", name="n", principal_type="User", now=now - timedelta(hours=2))
    with pytest.raises(AuthenticationFailed) as info:
        tokens.verify(old, now=now)
    assert info.value.code == "ExpiredAuthenticationToken"
    with pytest.raises(AuthenticationFailed) as info:
        tokens.verify(token, now=now, tenant_id="other")
    assert info.value.code == "InvalidAuthenticationTokenTenant"


def test_a_remembered_token_is_still_judged_at_every_use() -> None:
    """The service remembers a token whose signature checked out; its lifetime, tenant, audience
    and kind are judged again each time, and another key's token is never taken for it."""
    tokens = TokenService(SigningKey(new_private_key_pem()), "http://127.0.0.1:8600")
    now = datetime.now(timezone.utc)
    token, expires = tokens.issue(tenant_id="t", object_id="o", name="n", principal_type="User", now=now)
    assert tokens.verify(token, now=now).object_id == "o"
    assert tokens.verify(token, now=now + timedelta(minutes=30)).object_id == "o"
    for later, kwargs, code in (
        (expires + timedelta(minutes=5), {}, "ExpiredAuthenticationToken"),
        (now, {"tenant_id": "other"}, "InvalidAuthenticationTokenTenant"),
        (now, {"refresh": True}, "InvalidAuthenticationToken"),
        (now, {"audience": "https://elsewhere/"}, "InvalidAuthenticationTokenAudience"),
    ):
        with pytest.raises(AuthenticationFailed) as info:
            tokens.verify(token, now=later, **kwargs)  # type: ignore[arg-type]
        assert info.value.code == code
    other = TokenService(SigningKey(new_private_key_pem()), "http://127.0.0.1:8600")
    with pytest.raises(AuthenticationFailed) as info:
        other.verify(token, now=now)
    assert info.value.code == "InvalidAuthenticationToken"


def test_workers_and_key_encryption_key_settings(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    kek = Fernet.generate_key().decode()
    cfg = tmp_path / "c.yaml"
    cfg.write_text("workers: 3\nkey_encryption_key_env: MY_KEK\n")
    s = Settings.load(data_dir=tmp_path, config_file=cfg, env={"MY_KEK": kek})
    assert (s.workers, s.key_encryption_key) == (3, kek)
    assert kek not in repr(s)
    assert Settings.load(data_dir=tmp_path, config_file=cfg, workers=2, env={"MY_KEK": kek, "AMLITE_WORKERS": "5"}).workers == 2
    assert Settings.load(data_dir=tmp_path, env={"AMLITE_WORKERS": "5"}).workers == 5
    assert Settings.load(data_dir=tmp_path, env={}).key_encryption_key is None
    for env, message in (({}, "MY_KEK, which is not set"), ({"MY_KEK": "short"}, "must be a Fernet key")):
        with pytest.raises(ConfigError, match=message):
            Settings.load(data_dir=tmp_path, config_file=cfg, env=env)
    with pytest.raises(ConfigError, match="workers must be at least 1"):
        Settings.load(data_dir=tmp_path, env={"AMLITE_WORKERS": "0"})
