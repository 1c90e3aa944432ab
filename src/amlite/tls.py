"""TLS for ``amlite server``: the certificate it serves, made locally or given.

Microsoft's clients refuse to send a bearer token over plain http (azure-core's
``BearerTokenCredentialPolicy``), and azure-ai-ml builds ``https://`` storage URLs whatever the
server says, so talking to amlite with them needs TLS. Two ways:

- ``--tls self-signed``: the first start makes a local certificate authority (``ca.pem``, a key
  that never leaves the data dir) and a server certificate it signs, both under
  ``<data dir>/tls/``. Later starts reuse them; the server certificate alone is made again when
  it no longer names every host amlite hands out (a new ``endpoint``, a new ``--host``), nears its
  end, or was not signed by the CA beside it. Clients trust the CA, not the server certificate,
  so a renewed certificate needs nothing new on their side: ``REQUESTS_CA_BUNDLE=<data dir>/tls/ca.pem``
  covers requests (azure-core, MSAL, azure-storage-blob) and amlite's own CLI and SDK.
- ``--tls-cert``/``--tls-key``: a certificate (chain) and key in PEM from a real CA, served as
  they are; checked at start so a wrong pair is refused before anything listens.

The certificate names ``localhost``, ``127.0.0.1``, ``::1``, the host in the server's endpoint,
the address it listens on and, when it listens on every interface, this machine's name; and
``*.blob.<storage_suffix>``, the storage accounts amlite serves on the same port.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from amlite.config import ConfigError, Settings

__all__ = ["ServedCertificate", "files", "prepare", "server_names"]

#: Names every self-signed server certificate carries: the loopback names a client on this machine uses.
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")
#: Lifetimes. The CA lasts long (clients keep trusting it); the server certificate stays under the
#: 398 days browsers accept and is renewed on a start within ``RENEW_BEFORE`` of its end.
CA_DAYS = 3650
SERVER_DAYS = 397
RENEW_BEFORE = datetime.timedelta(days=30)
_WILDCARD_HOSTS = {"", "0.0.0.0", "::"}


@dataclass(frozen=True)
class ServedCertificate:
    """What uvicorn serves, and the CA bundle clients must trust (``None``: a real CA's)."""

    cert_file: Path
    key_file: Path
    ca_file: Path | None


def server_names(settings: Settings) -> tuple[str, ...]:
    """The DNS names and IP addresses the server certificate must carry, in a stable order."""
    names = list(LOCAL_NAMES)
    endpoint_host = urlsplit(settings.endpoint).hostname or ""
    for host in (endpoint_host, settings.host.strip("[]")):
        if host and host not in _WILDCARD_HOSTS:
            names.append(host)
    if settings.host.strip("[]") in _WILDCARD_HOSTS:
        names.append(socket.gethostname())
    names.append(f"*.blob.{settings.storage_suffix}")  # the storage accounts amlite serves on its own port
    return tuple(dict.fromkeys(name.lower() for name in names))


def files(settings: Settings) -> ServedCertificate | None:
    """Where the served certificate is, without making anything (``None``: TLS is off)."""
    tls = settings.tls
    if tls.self_signed:
        directory = settings.tls_dir
        return ServedCertificate(directory / "server.pem", directory / "server-key.pem", directory / "ca.pem")
    if tls.cert_file is not None and tls.key_file is not None:
        return ServedCertificate(tls.cert_file, tls.key_file, None)
    return None


def prepare(settings: Settings, now: datetime.datetime | None = None) -> ServedCertificate | None:
    """Make (or reuse) the self-signed CA and server certificate, or check the given pair; ``None``
    when TLS is off. Raises :class:`ConfigError` for a pair that cannot be served."""
    served = files(settings)
    if served is None:
        return None
    if settings.tls.self_signed:
        now = now or datetime.datetime.now(datetime.UTC)
        ca_key, ca_cert = _load_or_make_ca(settings.tls_dir, now)
        _ensure_server_certificate(served, ca_key, ca_cert, server_names(settings), now)
    _check_pair(served)
    return served


# -- the local CA and the server certificate ------------------------------------------------------


def _load_or_make_ca(directory: Path, now: datetime.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    cert_path, key_path = directory / "ca.pem", directory / "ca-key.pem"
    if cert_path.exists() and key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ConfigError(f"{key_path} is not the elliptic-curve key amlite makes for its local CA")
        return key, x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "amlite"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"amlite local CA ({socket.gethostname()})"),
    ])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(key_path, _key_pem(key))  # the key first: a CA certificate without it is never left behind
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def _ensure_server_certificate(served: ServedCertificate, ca_key: ec.EllipticCurvePrivateKey,
                               ca_cert: x509.Certificate, names: Iterable[str], now: datetime.datetime) -> None:
    wanted = tuple(names)
    if _still_good(served, ca_cert, wanted, now):
        return
    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = []
    for name in wanted:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt_names.append(x509.DNSName(name))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "amlite"),
                                 x509.NameAttribute(NameOID.COMMON_NAME, wanted[0])]))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(min(now + datetime.timedelta(days=SERVER_DAYS), ca_cert.not_valid_after_utc))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=True, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(served.key_file, _key_pem(key))
    _write(served.cert_file, cert.public_bytes(serialization.Encoding.PEM))


def _still_good(served: ServedCertificate, ca_cert: x509.Certificate, names: tuple[str, ...],
                now: datetime.datetime) -> bool:
    """The existing server certificate names every host, is not near its end, and the CA beside it signed it."""
    if not (served.cert_file.exists() and served.key_file.exists()):
        return False
    try:
        cert = x509.load_pem_x509_certificate(served.cert_file.read_bytes())
        cert.verify_directly_issued_by(ca_cert)
        present = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, TypeError, x509.ExtensionNotFound, x509.InvalidSignature):
        return False
    carried = {str(n).lower() for n in present.get_values_for_type(x509.DNSName)}
    carried |= {str(ip) for ip in present.get_values_for_type(x509.IPAddress)}
    covered = all(str(ipaddress.ip_address(n)) in carried if _is_ip(n) else n in carried for n in names)
    return covered and cert.not_valid_after_utc - RENEW_BEFORE > now


def _check_pair(served: ServedCertificate) -> None:
    """Load the pair as the server will, so a wrong file or a key of another certificate is
    refused at start with its path, not by every connection afterwards."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(str(served.cert_file), str(served.key_file))
    except FileNotFoundError as exc:
        raise ConfigError(f"TLS file {exc.filename} does not exist") from None
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"the TLS certificate {served.cert_file} and key {served.key_file} cannot be "
                          f"served together: {exc}") from None


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write_private(path: Path, data: bytes) -> None:
    """Owner-only, written beside and renamed into place: a reader never sees half a key."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
