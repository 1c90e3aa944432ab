"""TLS settings and the self-signed certificate (``amlite.tls``): made once, reused, renewed when
the names it must carry change, and a given pair checked before the server listens."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

import pytest
from cryptography import x509

from amlite import tls
from amlite.config import ConfigError, Settings


def _settings(tmp_path: Path, **kwargs: object) -> Settings:
    return Settings.load(data_dir=tmp_path / "data", env={}, **kwargs)  # type: ignore[arg-type]


def _names(cert_file: Path) -> set[str]:
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {*san.get_values_for_type(x509.DNSName), *map(str, san.get_values_for_type(x509.IPAddress))}


def test_default_is_http_and_tls_makes_the_endpoint_https(tmp_path: Path) -> None:
    assert _settings(tmp_path).endpoint.startswith("http://")
    assert tls.prepare(_settings(tmp_path)) is None
    assert _settings(tmp_path, tls="self-signed").endpoint == "https://127.0.0.1:8600"
    assert _settings(tmp_path, tls="off").tls.enabled is False


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"tls": "yes"}, "must be 'self-signed'"),
    ({"tls_cert": "a.pem"}, "needs its key"),
    ({"tls_key": "k.pem"}, "needs its key"),
    ({"tls": "self-signed", "tls_cert": "a.pem", "tls_key": "k.pem"}, "not both"),
])
def test_contradictory_tls_options_are_refused(tmp_path: Path, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _settings(tmp_path, **kwargs)


def test_the_settings_file_and_environment_name_tls_too(tmp_path: Path) -> None:
    config = tmp_path / "amlite.yaml"
    config.write_text("tls: {cert: c.pem, key: k.pem}\n")
    from_file = Settings.load(data_dir=tmp_path, config_file=config, env={})
    assert from_file.tls.cert_file is not None and from_file.tls.cert_file.name == "c.pem"
    config.write_text("tls: {cert: c.pem, keyfile: k.pem}\n")
    with pytest.raises(ConfigError, match="keyfile"):
        Settings.load(data_dir=tmp_path, config_file=config, env={})
    # the command line (here the environment) decides as a whole, over the file
    assert Settings.load(data_dir=tmp_path, config_file=config, env={"AMLITE_TLS": "self-signed"}).tls.self_signed


def test_self_signed_is_made_once_and_reused(tmp_path: Path) -> None:
    settings = _settings(tmp_path, tls="self-signed")
    served = tls.prepare(settings)
    assert served is not None and served.ca_file is not None
    first = {p.name: p.read_bytes() for p in settings.tls_dir.iterdir()}
    assert set(first) == {"ca.pem", "ca-key.pem", "server.pem", "server-key.pem"}
    assert (settings.tls_dir / "ca-key.pem").stat().st_mode & 0o077 == 0
    assert {"localhost", "127.0.0.1", "::1"} <= _names(served.cert_file)

    tls.prepare(settings)
    assert {p.name: p.read_bytes() for p in settings.tls_dir.iterdir()} == first

    # a client trusting only the CA accepts the server certificate for each local name, no other
    for name in ("localhost", "127.0.0.1", "::1"):
        _handshake(served, name)
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(served, "example.org")


def _handshake(served: tls.ServedCertificate, server_hostname: str) -> None:
    """A TLS handshake in memory between a client trusting the CA and the served pair."""
    assert served.ca_file is not None
    client_ctx = ssl.create_default_context(cafile=str(served.ca_file))
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(str(served.cert_file), str(served.key_file))
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname=server_hostname)
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    done = {"client": False, "server": False}
    for _ in range(10):
        for side, obj in (("client", client), ("server", server)):
            if not done[side]:
                try:
                    obj.do_handshake()
                    done[side] = True
                except ssl.SSLWantReadError:
                    pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done.values()):
            return
    raise AssertionError("the handshake did not finish")


def test_a_new_endpoint_renews_the_server_certificate_under_the_same_ca(tmp_path: Path) -> None:
    settings = _settings(tmp_path, tls="self-signed")
    tls.prepare(settings)
    ca = (settings.tls_dir / "ca.pem").read_bytes()
    moved = Settings.load(data_dir=tmp_path / "data", env={"AMLITE_ENDPOINT": "https://ml.example.test:8600"},
                          tls="self-signed")
    served = tls.prepare(moved)
    assert served is not None
    assert "ml.example.test" in _names(served.cert_file)
    assert (settings.tls_dir / "ca.pem").read_bytes() == ca


def test_a_certificate_near_its_end_is_renewed(tmp_path: Path) -> None:
    settings = _settings(tmp_path, tls="self-signed")
    served = tls.prepare(settings)
    assert served is not None
    before = served.cert_file.read_bytes()
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=tls.SERVER_DAYS - 10)
    tls.prepare(settings, now=later)
    assert served.cert_file.read_bytes() != before


def test_a_given_pair_is_served_and_a_mismatched_one_refused(tmp_path: Path) -> None:
    one = tls.prepare(Settings.load(data_dir=tmp_path / "one", env={}, tls="self-signed"))
    two = tls.prepare(Settings.load(data_dir=tmp_path / "two", env={}, tls="self-signed"))
    assert one is not None and two is not None
    given = tls.prepare(_settings(tmp_path, tls_cert=one.cert_file, tls_key=one.key_file))
    assert given is not None and given.ca_file is None
    with pytest.raises(ConfigError, match="cannot be served together"):
        tls.prepare(_settings(tmp_path, tls_cert=one.cert_file, tls_key=two.key_file))
    with pytest.raises(ConfigError, match="does not exist"):
        tls.prepare(_settings(tmp_path, tls_cert=tmp_path / "missing.pem", tls_key=one.key_file))
